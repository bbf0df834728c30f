package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The receiving side of a pipe end read directly, in the one child that holds the end ({@link RemoteCalls},
 * {@link PipeBroker}): the end's messages come from the writers' own rings ({@link DirectRoute}) and,
 * for whatever still passes through the broker, pushed into this connection's reply ring
 * ({@link DirectPush}); both are drained here into one list of received messages.
 *
 * <p>Order: a writer's ring is read only once the broker's record announcing it has been taken from the
 * reply ring, and that record follows everything the writer sent through the broker before; each ring
 * is drained in order, by one thread at a time. End of file is a record from the broker too, pushed
 * once the sending end closed (its writers are done): the rings are drained once more after it, so
 * everything written before is received first.
 *
 * <p>Who drains: a receiving thread, while it waits (spin, yield, then sleep on the doorbell of every
 * ring at once), so a message that comes within microseconds costs no wake-up; and a daemon thread,
 * asleep on the same doorbells, which steps aside while a receiver waits and keeps the rings from
 * filling up when no one receives, so a sender does not wait for a receiver.
 *
 * <p>Back pressure: neither takes a message in while this process holds {@code maxBufferedBytes} of
 * them unreceived (the pipe's limit, see {@link PipeBroker}); the rest stays in the writers' rings, so
 * they wait for space, and in the reply ring, so the broker's pushes wait too. Handing the end on takes
 * everything in regardless, to give it back.
 *
 * <p>Handing the end on ({@link #handOn}): asks the broker to stop pushing, closes every ring's gate
 * (their writers then go back to the broker), drains everything, and gives back what was not received
 * to the head of the broker's inbox, in order, before the copy of the end is registered. Receivers
 * wait meanwhile, then receive through the broker.
 */
final class DirectInbox {
  private static final long STEP_ASIDE_NANOS = 10_000_000;

  private final PostRing replies;
  private final long maxMessageBytes;
  private final long maxBufferedBytes;
  private final List<PostRing> rings = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedDeque<Payload> received = new ConcurrentLinkedDeque<>();
  /** The bytes of the messages in {@link #received}. */
  private final AtomicLong receivedBytes = new AtomicLong();
  private final PostRing.Sink ringSink = new PostRing.Sink() {
    @Override
    public void message(Payload item, long tag) {
      receive(item);
    }

    @Override
    public void tooLarge(long bytes) {
      // Never: a writer refuses at send what is longer than the pipe's maximum.
    }

    @Override
    public boolean accepts() {
      return hasRoom();
    }
  };
  /** The reply ring's records go to the connection's sink, as long as there is room for messages. */
  private final PostRing.Sink boundedRepliesSink;
  private final AtomicInteger waiters = new AtomicInteger();
  /** How long a receiver spins before it yields, learned as {@link Backoff} learns it. */
  private volatile int spinNanos = Backoff.INITIAL_SPIN_NANOS;
  private volatile boolean active;
  private volatile boolean handingOn;
  private volatile boolean endOfFile;
  private volatile boolean stopped;
  private volatile boolean lost;
  private volatile long lastTake = System.nanoTime() - STEP_ASIDE_NANOS;
  private Thread drainer;
  /** How many times the end was handed on from here. Guarded by this. */
  private int handOns;

  /**
   * @param replies the connection's reply ring, where the broker pushes
   * @param repliesSink what takes the reply ring's records (pushes reach {@link #pushed})
   * @param maxBufferedBytes how many bytes of messages not yet received this process takes in at most
   *     (a message is taken in while it holds less)
   */
  DirectInbox(PostRing replies, PostRing.Sink repliesSink, long maxMessageBytes, long maxBufferedBytes) {
    this.replies = replies;
    this.maxMessageBytes = maxMessageBytes;
    this.maxBufferedBytes = maxBufferedBytes;
    this.boundedRepliesSink = new PostRing.Sink() {
      @Override
      public void message(Payload item, long tag) {
        repliesSink.message(item, tag);
      }

      @Override
      public void tooLarge(long bytes) {
        repliesSink.tooLarge(bytes);
      }

      @Override
      public boolean accepts() {
        return hasRoom();
      }
    };
  }

  /** Whether the broker pushes this end's messages here. */
  boolean isActive() {
    return active;
  }

  /**
   * The broker answered a get with DIRECT_READER: from now on this end is read here, unless the end
   * was handed on since the get was sent ({@code handOnsSeen}, from {@link #awaitHandedOn}): the
   * hand-on undid that.
   */
  synchronized void activate(int handOnsSeen) {
    if (active || handingOn || handOns != handOnsSeen) {
      return;
    }
    active = true;
    Thread thread = new Thread(this::drainWhileActive, "multiprocessing4j-direct-inbox");
    thread.setDaemon(true);
    drainer = thread;
    thread.start();
  }

  /** A record the broker pushed, taken from the reply ring in order. */
  void pushed(Payload record) {
    switch (record.getSerializerId()) {
      case ChannelCodec.DIRECT_START:
        Path path = Path.of(record.getData().toString(StandardCharsets.UTF_8));
        try {
          rings.add(PostRing.open(path));
        } catch (IOException e) {
          // Only the broker deletes an unmapped ring's file, once it took this reader for gone.
        }
        deleteQuietly(path);
        break;
      case ChannelCodec.DIRECT_EOF:
        endOfFile = true;
        break;
      case ChannelCodec.DIRECT_STOPPED:
        stopped = true;
        break;
      default:
        receive(record);
    }
  }

  /** The connection to the broker is lost (its context closed): end of file once drained. */
  void lost() {
    lost = true;
    replies.wake();
  }

  /**
   * Takes the next message ({@code peek}: whether there is one, or the end of file) waiting up to
   * {@code timeoutMillis} (negative: for ever). Returns the item, READY for a peek, CLOSED at the end
   * of file, EMPTY when the time ran out, or null when the end stopped being read here (ask the broker).
   *
   * @throws InterruptedException if the thread is interrupted while waiting (nothing is taken)
   */
  Outcome take(long timeoutMillis, boolean peek) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + Math.max(0, timeoutMillis) * 1_000_000;
    long sleepNanos = 1_000_000;
    int spin = spinNanos;
    boolean slept = false;
    waiters.incrementAndGet();
    try {
      while (true) {
        if (!active) {
          return null;
        }
        Payload item = peek ? received.peek() : takeReceived();
        if (item != null) {
          return peek ? Outcome.Status.READY : new Outcome.Item(item);
        }
        if (drainAll() > 0) {
          continue;
        }
        if (endOfFile || lost) {
          drainAll();
          if (received.isEmpty()) {
            return peek ? Outcome.Status.READY : Outcome.Status.CLOSED;
          }
          continue;
        }
        long now = System.nanoTime();
        if (timeoutMillis >= 0 && now - deadline >= 0) {
          return Outcome.Status.EMPTY;
        }
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long waited = now - start;
        if (waited < spin) {
          Thread.onSpinWait();
        } else if (waited < spin + Backoff.YIELD_NANOS) {
          Thread.yield();
        } else {
          slept = true;
          long nanos = timeoutMillis >= 0 ? Math.min(sleepNanos, Math.max(1, deadline - now)) : sleepNanos;
          sleepOnRings(nanos);
          sleepNanos = Math.min(2 * sleepNanos, 50_000_000);
        }
      }
    } finally {
      // As Backoff: spinning fades out where the writer is rarely running while this one spins.
      spinNanos = slept ? Math.max(Backoff.MIN_SPIN_NANOS, spin - spin / 8)
          : Math.min(Backoff.MAX_SPIN_NANOS, spin * 2);
      lastTake = System.nanoTime();
      if (waiters.decrementAndGet() == 0) {
        LockSupport.unpark(drainer);
      }
    }
  }

  /**
   * Waits while the end is being handed on, so that receivers ask the broker only once it is done;
   * returns how many times it was handed on (for {@link #activate}).
   */
  synchronized int awaitHandedOn() throws InterruptedException {
    while (handingOn) {
      wait();
    }
    return handOns;
  }

  /**
   * Stops reading here before a copy of the end is registered (see the class comment), then runs
   * {@code registerCopy}; receivers wait until it is done.
   *
   * @param stop asks the broker to stop pushing; its answer is DIRECT_READER if it was pushing here
   * @param giveBack sends a message back to the head of the broker's inbox
   */
  void handOn(Supplier<CompletableFuture<Outcome>> stop, Consumer<Payload> giveBack, Runnable registerCopy) {
    Thread oldDrainer;
    synchronized (this) {
      handOns++;
      handingOn = true;
      active = false;
      oldDrainer = drainer;
    }
    try {
      // Nothing else drains from here on: what is taken is either received already or given back.
      while (waiters.get() > 0 || (oldDrainer != null && oldDrainer.isAlive())) {
        replies.wake();
        LockSupport.unpark(oldDrainer);
        LockSupport.parkNanos(100_000);
      }
      CompletableFuture<Outcome> stopping = stop.get();
      while (!stopping.isDone()) {
        // The broker may be waiting for room in the reply ring, kept full by back pressure, to answer.
        if (drainAll() == 0) {
          LockSupport.parkNanos(50_000);
        }
      }
      if (stopping.join() == Outcome.Status.DIRECT_READER) {
        while (!stopped && !lost) {
          if (drainAll() == 0) {
            LockSupport.parkNanos(50_000);
          }
        }
      }
      for (PostRing ring : rings) {
        RingGate.close(ring, ringSink, maxMessageBytes);
      }
      drainAll();
      List<Payload> left = new ArrayList<>();
      for (Payload item = takeReceived(); item != null; item = takeReceived()) {
        left.add(item);
      }
      for (int i = left.size() - 1; i >= 0; i--) {
        giveBack.accept(left.get(i));
      }
      registerCopy.run();
    } finally {
      synchronized (this) {
        rings.clear();
        stopped = false;
        endOfFile = false;
        handingOn = false;
        drainer = null;
        notifyAll();
      }
    }
  }

  /** This process no longer holds the end. */
  void close() {
    active = false;
    replies.wake();
  }

  private void receive(Payload item) {
    receivedBytes.addAndGet(item.getData().size());
    received.add(item);
  }

  private Payload takeReceived() {
    Payload item = received.poll();
    if (item != null) {
      receivedBytes.addAndGet(-item.getData().size());
    }
    return item;
  }

  /** Whether a drain takes another message in (see the class comment). */
  private boolean hasRoom() {
    return handingOn || lost || receivedBytes.get() < maxBufferedBytes;
  }

  private int drainAll() {
    int taken = replies.drain(boundedRepliesSink, Long.MAX_VALUE);
    for (PostRing ring : rings) {
      taken += ring.drain(ringSink, maxMessageBytes);
    }
    return taken;
  }

  private boolean hasData() {
    if (replies.hasData()) {
      return true;
    }
    for (PostRing ring : rings) {
      if (ring.hasData()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sleeps up to {@code nanos} on the doorbells of the reply ring and of every writer's ring at once:
   * a write to any of them rings this process. Registered before the last look, so no ring is missed.
   */
  private void sleepOnRings(long nanos) {
    List<PostRing> all = new ArrayList<>(rings.size() + 1);
    all.add(replies);
    all.addAll(rings);
    int[] slots = new int[all.size()];
    boolean rung = true;
    for (int i = 0; i < slots.length; i++) {
      slots[i] = Doorbell.asleep(all.get(i).block());
      rung &= slots[i] >= 0;
    }
    try {
      if (!hasData() && active && !endOfFile && !lost) {
        if (rung) {
          Doorbell.sleep(nanos);
        } else {
          LockSupport.parkNanos(Math.min(nanos, 1_000_000));
        }
      }
    } finally {
      for (int i = 0; i < slots.length; i++) {
        if (slots[i] >= 0) {
          Doorbell.awake(all.get(i).block(), slots[i]);
        }
      }
    }
  }

  /** The daemon drainer: keeps the rings from filling while no receiver drains them. */
  private void drainWhileActive() {
    long sleepNanos = 1_000_000;
    while (active && !lost) {
      long aside = waiters.get() > 0 ? 50_000_000 : STEP_ASIDE_NANOS - (System.nanoTime() - lastTake);
      if (aside > 0) {
        LockSupport.parkNanos(this, aside);
      } else if (!hasRoom()) {
        // Full: a receiver that takes makes room, and drains itself once it has taken everything.
        LockSupport.parkNanos(this, STEP_ASIDE_NANOS);
      } else if (drainAll() > 0) {
        sleepNanos = 1_000_000;
      } else {
        sleepOnRings(sleepNanos);
        sleepNanos = Math.min(2 * sleepNanos, 50_000_000);
      }
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // Its writer deletes it when it closes the end.
    }
  }
}
