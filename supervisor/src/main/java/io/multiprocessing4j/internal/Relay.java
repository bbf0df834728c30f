package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.RelayAck;
import io.multiprocessing4j.proto.RelayChunk;
import io.multiprocessing4j.proto.RelayEnd;
import io.multiprocessing4j.proto.RelayMessage;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Channel frames carried as Pekko messages between a handle on another machine and its session in the
 * parent (see remote.proto): each frame is split into chunks well under Artery's frame limit (256 KiB
 * by default: a larger message would be dropped), and a window bounds what is sent and not yet
 * acknowledged, because Artery drops the messages that overflow its send queue (3072 by default)
 * instead of blocking the sender. The receiver acknowledges every quarter window, so a steady stream
 * never waits for an acknowledgement.
 */
final class Relay {
  static final int CHUNK_BYTES = 64 * 1024;
  static final long WINDOW_BYTES = 8L * 1024 * 1024;
  static final int WINDOW_CHUNKS = 1024;

  private Relay() {}

  static RelayMessage end(String reason) {
    return RelayMessage.newBuilder().setEnd(RelayEnd.newBuilder().setReason(reason)).build();
  }

  /** The sending half of one direction of a session. Thread-safe: a frame's chunks are never interleaved. */
  static final class Sender {
    private final Consumer<RelayMessage> peer;
    private long unackedBytes;
    private long unackedChunks;
    private String ended;

    /** @param peer tells the receiving actor (thread-safe, as an ActorRef's tell is) */
    Sender(Consumer<RelayMessage> peer) {
      this.peer = peer;
    }

    /**
     * Sends one frame, waiting while the window is full. The wait cannot be interrupted (a frame is
     * sent whole or not at all); an interrupt is kept for the caller.
     *
     * @throws IOException if the session ended before or while waiting
     */
    synchronized void send(byte[] frame) throws IOException {
      boolean interrupted = false;
      try {
        int offset = 0;
        do {
          int length = Math.min(CHUNK_BYTES, frame.length - offset);
          while (ended == null && (unackedBytes + length > WINDOW_BYTES || unackedChunks >= WINDOW_CHUNKS)) {
            try {
              wait();
            } catch (InterruptedException e) {
              interrupted = true;
            }
          }
          if (ended != null) {
            throw new IOException(ended);
          }
          unackedBytes += length;
          unackedChunks++;
          boolean last = offset + length == frame.length;
          peer.accept(RelayMessage.newBuilder().setChunk(RelayChunk.newBuilder()
              .setData(ByteString.copyFrom(frame, offset, length)).setLast(last)).build());
          offset += length;
        } while (offset < frame.length);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    synchronized void acked(RelayAck ack) {
      unackedBytes -= ack.getBytes();
      unackedChunks -= ack.getChunks();
      notifyAll();
    }

    /** The session ended: waiting and later sends fail with {@code reason}. */
    synchronized void end(String reason) {
      if (ended == null) {
        ended = reason;
      }
      notifyAll();
    }
  }

  /** The receiving half of one direction of a session; used by one actor. */
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

    /** The acknowledgement to send now, or null: every quarter window. */
    RelayMessage ackDue() {
      if (unackedBytes < WINDOW_BYTES / 4 && unackedChunks < WINDOW_CHUNKS / 4) {
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
