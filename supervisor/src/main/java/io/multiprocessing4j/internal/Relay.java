package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RelayAck;
import io.multiprocessing4j.proto.RelayChunk;
import io.multiprocessing4j.proto.RelayEnd;
import io.multiprocessing4j.proto.RelayMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Channel frames carried as Pekko messages between a handle on another machine and its session in the
 * parent (see remote.proto): each frame is split into chunks well under Artery's frame limit (256 KiB
 * by default: a larger message would be dropped), and windows bound what is sent and not yet
 * acknowledged, because Artery drops the messages that overflow its send queue (3072 by default, one
 * queue per destination JVM, shared by every session to it) instead of blocking the sender. So each
 * session has a window of its own, and all the sessions to one JVM share a {@link Budget} of chunks
 * below that queue's size. The receiver acknowledges every quarter window (or {@link #ACK_CHUNKS}), so a steady
 * stream never waits for an acknowledgement, and whatever it holds unacknowledged after
 * {@link #ACK_FLUSH_AFTER}, so that many sessions each holding less than a quarter window cannot exhaust
 * the shared budget for good.
 */
final class Relay {
  static final int CHUNK_BYTES = 64 * 1024;
  static final long WINDOW_BYTES = 8L * 1024 * 1024;
  static final int WINDOW_CHUNKS = 1024;
  /** Chunks all the sessions to one JVM may have unacknowledged: 2/3 of Artery's send queue. */
  static final int SYSTEM_CHUNKS = 2048;
  /**
   * A receiver acknowledges at least every this many chunks: the shared budget then keeps
   * {@code SYSTEM_CHUNKS / ACK_CHUNKS} sessions streaming small frames at once before any has to wait
   * for a held acknowledgement.
   */
  static final int ACK_CHUNKS = 64;
  /** How long a receiver holds an acknowledgement below the quarter window before sending it anyway. */
  static final Duration ACK_FLUSH_AFTER = Duration.ofMillis(10);

  private Relay() {}

  static RelayMessage end(String reason) {
    return RelayMessage.newBuilder().setEnd(RelayEnd.newBuilder().setReason(reason)).build();
  }

  /**
   * The chunks every {@link Sender} to one JVM has sent and not had acknowledged, bounded by
   * {@link #SYSTEM_CHUNKS}. Its monitor guards the counts of all those senders too, so that a sender
   * waits for its own window and for the budget in one place.
   */
  static final class Budget {
    private final int capacity;
    private int inFlight;

    Budget() {
      this(SYSTEM_CHUNKS);
    }

    Budget(int capacity) {
      this.capacity = capacity;
    }

    /** Chunks sent and not yet acknowledged, for tests. */
    synchronized int inFlight() {
      return inFlight;
    }
  }

  /** The sending half of one direction of a session. Thread-safe: a frame's chunks are never interleaved. */
  static final class Sender {
    private final Consumer<RelayMessage> peer;
    private final Budget budget;
    /**
     * Held while one frame's chunks are sent. It cannot be the budget's monitor, which a sender lets go
     * while it waits for room: another thread's frame would then slip in between two chunks.
     */
    private final ReentrantLock frameLock = new ReentrantLock();
    /** Guarded by the budget's monitor, as are the other counts. */
    private long unackedBytes;
    private long unackedChunks;
    private String ended;
    private long lastAckNanos = System.nanoTime();

    /**
     * @param peer tells the receiving actor (thread-safe, as an ActorRef's tell is)
     * @param budget shared by every sender to the same JVM
     */
    Sender(Consumer<RelayMessage> peer, Budget budget) {
      this.peer = peer;
      this.budget = budget;
    }

    /**
     * Sends one frame, waiting while the window or the budget is full. The wait cannot be interrupted
     * (a frame is sent whole or not at all); an interrupt is kept for the caller.
     *
     * @throws IOException if the session ended before or while waiting
     */
    void send(byte[] frame) throws IOException {
      frameLock.lock();
      try {
        int offset = 0;
        do {
          int length = Math.min(CHUNK_BYTES, frame.length - offset);
          reserve(length);
          boolean last = offset + length == frame.length;
          peer.accept(RelayMessage.newBuilder().setChunk(RelayChunk.newBuilder()
              .setData(ByteString.copyFrom(frame, offset, length)).setLast(last)).build());
          offset += length;
        } while (offset < frame.length);
      } finally {
        frameLock.unlock();
      }
    }

    /**
     * Sends {@code message} after any frame being sent, waiting {@code patience} at most for that frame
     * to go (a frame still waiting for room then stays incomplete, and the receiver drops its part).
     */
    void sendLast(RelayMessage message, Duration patience) {
      boolean locked = false;
      try {
        locked = frameLock.tryLock(patience.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        peer.accept(message);
      } finally {
        if (locked) {
          frameLock.unlock();
        }
      }
    }

    private void reserve(int length) throws IOException {
      boolean interrupted = false;
      try {
        synchronized (budget) {
          while (ended == null && (unackedBytes + length > WINDOW_BYTES || unackedChunks >= WINDOW_CHUNKS
              || budget.inFlight >= budget.capacity)) {
            try {
              budget.wait();
            } catch (InterruptedException e) {
              interrupted = true;
            }
          }
          if (ended != null) {
            throw new IOException(ended);
          }
          unackedBytes += length;
          unackedChunks++;
          budget.inFlight++;
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** The receiver took in what {@code ack} counts; counts past what is outstanding are ignored. */
    void acked(RelayAck ack) {
      synchronized (budget) {
        if (ended != null) {
          return;
        }
        lastAckNanos = System.nanoTime();
        long chunks = Math.max(0, Math.min(ack.getChunks(), unackedChunks));
        unackedChunks -= chunks;
        unackedBytes -= Math.max(0, Math.min(ack.getBytes(), unackedBytes));
        budget.inFlight -= (int) chunks;
        budget.notifyAll();
      }
    }

    /** When the receiver last acknowledged anything ({@link System#nanoTime}); creation before that. */
    long lastAckNanos() {
      synchronized (budget) {
        return lastAckNanos;
      }
    }

    /**
     * The session ended: waiting and later sends fail with {@code reason}, and what this sender had
     * outstanding goes back to the budget (no acknowledgement will come for it).
     */
    void end(String reason) {
      synchronized (budget) {
        if (ended == null) {
          ended = reason;
          budget.inFlight -= (int) unackedChunks;
          unackedChunks = 0;
          unackedBytes = 0;
        }
        budget.notifyAll();
      }
    }
  }

  /** Tells a receiving actor to acknowledge what it took in below the quarter window ({@link #ACK_FLUSH_AFTER}). */
  enum FlushAck { INSTANCE }

  /**
   * The receiving half of one direction of a session, used by one actor, which hands it its
   * {@link FlushAck} messages ({@link #flush}).
   */
  static final class Receiver {
    private final int maxFrameBytes;
    private ByteString.Output frame = ByteString.newOutput();
    private long unackedBytes;
    private long unackedChunks;

    Receiver(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Takes one chunk; returns the frame it completes, else null.
     *
     * @throws IOException if the frame grows past the limit
     */
    ByteString take(RelayChunk chunk) throws IOException {
      unackedBytes += chunk.getData().size();
      unackedChunks++;
      if ((long) frame.size() + chunk.getData().size() > maxFrameBytes) {
        throw new IOException("a relayed frame exceeds the limit of " + maxFrameBytes + " bytes");
      }
      chunk.getData().writeTo(frame);
      if (!chunk.getLast()) {
        return null;
      }
      ByteString complete = frame.toByteString();
      frame = ByteString.newOutput();
      return complete;
    }

    /**
     * Takes one chunk; returns the frame it completes, else null.
     *
     * @throws IOException if the frame grows past the limit or is not a frame
     */
    Frame takeFrame(RelayChunk chunk) throws IOException {
      ByteString complete = take(chunk);
      try {
        return complete == null ? null : Frame.parseFrom(complete);
      } catch (InvalidProtocolBufferException e) {
        throw new IOException("a malformed frame was relayed: " + e.getMessage(), e);
      }
    }

    /**
     * Once a chunk has been handled (its frame passed on, so a blocked hand-off holds the sender back):
     * acknowledges to {@code acks} what is due, or has {@code timers} flush a held acknowledgement soon.
     *
     * @param acks where acknowledgements go; null while not known yet (they are held until it is)
     */
    void acknowledge(ActorRef<RelayMessage> acks, TimerScheduler<Object> timers) {
      RelayMessage ack = acks == null ? null : ackDue();
      if (ack != null) {
        acks.tell(ack);
      } else if (holdsAck() && !timers.isTimerActive(FlushAck.INSTANCE)) {
        timers.startSingleTimer(FlushAck.INSTANCE, FlushAck.INSTANCE, ACK_FLUSH_AFTER);
      }
    }

    /** On {@link FlushAck}: acknowledges everything taken in so far, or waits on while {@code acks} is unknown. */
    void flush(ActorRef<RelayMessage> acks, TimerScheduler<Object> timers) {
      if (acks == null) {
        timers.startSingleTimer(FlushAck.INSTANCE, FlushAck.INSTANCE, ACK_FLUSH_AFTER);
        return;
      }
      RelayMessage ack = ackHeld();
      if (ack != null) {
        acks.tell(ack);
      }
    }

    /** The acknowledgement to send now, or null: every quarter window, or {@link #ACK_CHUNKS} chunks. */
    RelayMessage ackDue() {
      if (unackedBytes < WINDOW_BYTES / 4 && unackedChunks < ACK_CHUNKS) {
        return null;
      }
      return ackHeld();
    }

    /** Whether chunks taken in are not acknowledged yet. */
    boolean holdsAck() {
      return unackedChunks > 0;
    }

    /** The acknowledgement of everything taken in so far, or null if there is nothing to acknowledge. */
    RelayMessage ackHeld() {
      if (unackedChunks == 0) {
        return null;
      }
      RelayMessage ack = RelayMessage.newBuilder()
          .setAck(RelayAck.newBuilder().setBytes(unackedBytes).setChunks(unackedChunks)).build();
      unackedBytes = 0;
      unackedChunks = 0;
      return ack;
    }
  }
}
