package io.multiprocessing4j.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.multiprocessing4j.proto.ChannelRequest;
import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The broker's side of one client's {@link PostRing}: takes the messages the client posts through it
 * into the broker, as if each had come as a put frame on the client's connection, and handles the gets
 * it sends through it ({@link ChannelCodec#REQUEST_RECORD}) as if they had come as frames. A get in the
 * ring is what lets a parent thread that drains the ring while it waits for its own item (a ping-pong)
 * serve the child's next get too, with no other thread of the parent involved.
 *
 * <p>Who drains: a daemon thread per ring, which sleeps on the ring's doorbell while it is empty; the
 * parent's own getters, on their thread, when the broker holds no item for them and while they wait
 * for one, about a message's worth at a time ({@link Broker#getLocal}, {@link #await},
 * {@link #drainForGetter}), so a message is taken by the thread that wants it, with no
 * wake-up when it comes within microseconds and one when it comes later (the drainer thread steps
 * aside while a getter waits and for a while after one took, see {@link #stepAsideNanos}, so that the
 * ring's doorbell wakes the waiting getter itself and a stream costs no thread hand-off); and the
 * connection's reader, before it handles each frame and before it handles the connection's end, which
 * is what keeps the ring's messages in order with the connection's other calls and loses nothing a
 * process posted before it exited. Drains take turns ({@link PostRing#drain}), so the order is the ring's.
 *
 * <p>Back pressure: no drain takes a message in while the pipe end it feeds holds as much as it may
 * ({@link Broker#takesPostsOf}); the rest stays in the ring, and the writer waits for space there. The
 * drainer thread then sleeps until the broker has room again; the connection's reader, before a frame,
 * waits for the room to take what was posted before it, unless the writer has died; and at the
 * connection's end everything left is taken in at once (at most a ring's worth), so that a reader sees
 * every message of a writer that is gone, and then end of file, without waiting on anyone. While it
 * holds posts back it says so in the ring ({@link PostRing#setHeld}), and the writer's process sends
 * its gets as frames, which are not held up (as receiving on a duplex OS pipe does not wait for the
 * same process's blocked send); a get that went into the ring before the writer saw the mark is taken
 * from behind the held posts, by the drain that marked the ring and by the drainer thread every
 * {@value #HELD_RESCAN_NANOS} ns while the ring stays held.
 */
final class RingIntake implements PostRing.Sink {
  static final long STEP_ASIDE_MILLIS = 10;
  /** While the ring's posts are held back, how often its drainer looks for gets behind them. */
  private static final long HELD_RESCAN_NANOS = 5_000_000;
  /** How many bytes of messages a getter's drain takes at most, plus the rest of the last message. */
  static final long GETTER_BUDGET = 64 * 1024;
  private final Broker broker;
  private final BrokerClient.Remote client;
  private final PostRing ring;
  private volatile boolean stopped;
  /** Whether drains take every message in, room or not (the writer is gone). */
  private volatile boolean takeAll;
  /** What the ring's held word says ({@link PostRing#setHeld}), as last set here. */
  private volatile boolean held;
  /** Getters of the parent waiting on this ring; while there are any, the drainer thread parks. */
  private final AtomicInteger localWaiters = new AtomicInteger();
  private volatile Thread drainer;
  /** When a getter of the parent last took from this ring ({@link System#nanoTime()}). */
  private volatile long lastLocalGet = System.nanoTime() - STEP_ASIDE_MILLIS * 1_000_000;

  RingIntake(Broker broker, BrokerClient.Remote client, PostRing ring) {
    this.broker = broker;
    this.client = client;
    this.ring = ring;
  }

  /** Starts the ring's drainer thread. */
  void start(String threadName) {
    Thread thread = new Thread(() -> {
      while (!stopped) {
        long aside = stepAsideNanos();
        if (aside > 0) {
          LockSupport.parkNanos(this, aside);
        } else if (ring.hasData() && !accepts()) {
          // Held back. A get the writer put in before it could see the ring marked held sits behind
          // the held posts: a drain refuses the posts and takes the gets behind them, now and after
          // each short wait, for one that went in meanwhile.
          drain();
          long since = System.nanoTime();
          broker.awaitRoomFor(client,
              () -> stopped || stepAsideNanos() > 0 || System.nanoTime() - since > HELD_RESCAN_NANOS);
        } else if (ring.hasData()) {
          drain();
        } else {
          ring.awaitData(() -> stopped || stepAsideNanos() > 0);
        }
      }
    }, threadName);
    thread.setDaemon(true);
    drainer = thread;
    thread.start();
  }

  /**
   * How long the drainer thread should leave the ring to the parent's getters: while one waits on it
   * (a wait that lasted longer than {@value #STEP_ASIDE_MILLIS} ms unparks it when it ends, see
   * {@link #await}), and for {@value #STEP_ASIDE_MILLIS} ms after one last took from it. A
   * getter that keeps taking drains the ring itself ({@link Broker#getLocal}); a drainer beside it would
   * only contend for the ring and make the writer ring its doorbell (a system call and a wake-up) for
   * every record that finds the ring empty.
   */
  private long stepAsideNanos() {
    if (localWaiters.get() > 0) {
      // No longer than after a get: a short wait ends without waking the drainer, and the ring's
      // items for other consumers must not sit here for a longer sleep's rest.
      return STEP_ASIDE_MILLIS * 1_000_000;
    }
    return STEP_ASIDE_MILLIS * 1_000_000 - (System.nanoTime() - lastLocalGet);
  }

  /** A getter of the parent is about to take from the ring (see {@link #stepAsideNanos}). */
  void localGet() {
    lastLocalGet = System.nanoTime();
  }

  /** The parent's getter waits on another ring: this one's drainer takes over at once. */
  void handBack() {
    lastLocalGet = System.nanoTime() - STEP_ASIDE_MILLIS * 1_000_000;
    LockSupport.unpark(drainer);
  }

  /**
   * Waits until {@code answer} (a parent getter's) is done, draining this ring meanwhile: spins,
   * yields, then sleeps on the ring's doorbell; whatever else answers it wakes this thread.
   *
   * @throws InterruptedException if the thread is interrupted first
   */
  void await(CompletableFuture<Outcome> answer) throws InterruptedException {
    long start = System.nanoTime();
    localWaiters.incrementAndGet();
    ring.wake();
    Thread waiter = Thread.currentThread();
    answer.whenComplete((outcome, error) -> {
      if (Thread.currentThread() != waiter) {
        // Answered elsewhere (another ring's drainer, a put in this JVM): the waiter may be asleep.
        ring.wake();
      }
    });
    Backoff wait = Backoff.forever(ring.block());
    try {
      while (!answer.isDone() && !stopped) {
        if (ring.hasData() && accepts()) {
          if (drainForGetter() > 0) {
            // Progress (e.g. a chunk of a large message): the next wait starts with a spin again.
            wait.done();
            wait = Backoff.forever(ring.block());
          }
        } else {
          wait.pause();
        }
      }
    } finally {
      wait.done();
      localGet();
      // Only after a long wait: a getter that streams waits tens of thousands of times a second, and
      // waking the drainer each time (to park again) was a context switch on a core the stream needs.
      boolean longWait = System.nanoTime() - start > STEP_ASIDE_MILLIS * 1_000_000;
      if (localWaiters.decrementAndGet() == 0 && longWait) {
        LockSupport.unpark(drainer);
      }
    }
  }

  /** Takes the messages posted so far into the broker, as far as it takes them; returns how many records that was. */
  int drain() {
    return ring.drain(this, broker.maxMessageBytes);
  }

  /**
   * Takes every message posted so far into the broker, waiting for room as the reader makes it, so that
   * the frame the connection's reader handles next comes after them. If the writer dies meanwhile, the
   * rest is taken at once (its connection is ending, see {@link #drainEverything}).
   */
  void drainInOrder() {
    long posted = ring.published();
    while (!ring.drainedTo(posted) && !stopped) {
      if (!accepts()) {
        broker.awaitRoomFor(client, () -> stopped || ring.creatorDied(0));
        takeAll = takeAll || ring.creatorDied(0);
      }
      drain();
    }
  }

  /** At the connection's end: takes everything left in, whether the end it feeds has room or not. */
  void drainEverything() {
    takeAll = true;
    drain();
  }

  /**
   * Takes every message posted so far into the broker, unless another thread's drain of this ring lasts
   * longer than {@code waitNanos}: the caller may be another ring's intake, draining its own ring, and
   * two of them must not wait for each other.
   */
  void drainUnlessBusy(long waitNanos) {
    ring.drainUnlessBusy(this, broker.maxMessageBytes, waitNanos);
  }

  /**
   * Takes messages posted so far into the broker until about {@value #GETTER_BUDGET} bytes of them:
   * what a getter of the parent drains. The rest waits in the ring, outside the heap, so a writer faster
   * than the getter waits for ring space instead of piling messages up in the heap.
   */
  int drainForGetter() {
    return ring.drain(this, broker.maxMessageBytes, GETTER_BUDGET);
  }

  /** Whether the ring holds something not taken yet. */
  boolean hasData() {
    return ring.hasData();
  }

  /** Stops the drainer thread (after a last {@link #drain()} by the caller, if it wants one). */
  void stop() {
    stopped = true;
    ring.wake();
    LockSupport.unpark(drainer);
  }

  @Override
  public void message(Payload item, long tag) {
    if (item.getSerializerId() == ChannelCodec.REQUEST_RECORD) {
      try {
        broker.handle(client, ChannelRequest.parseFrom(item.getData()));
      } catch (InvalidProtocolBufferException e) {
        client.answer(0, new Outcome.Refused("malformed request in the ring: " + e.getMessage()));
      }
      return;
    }
    Outcome outcome = broker.put(client, 0, item, -1, false);
    if (outcome != null && outcome != Outcome.Status.DONE) {
      client.answer(0, outcome);
    }
  }

  @Override
  public boolean accepts() {
    boolean takes = takeAll || broker.takesPostsOf(client);
    if (takes == held) {
      // Changed: the writer's process sends its gets on the connection while the posts are held back.
      held = !takes;
      ring.setHeld(held);
    }
    return takes;
  }

  @Override
  public void tooLarge(long bytes) {
    client.answer(0, new Outcome.Refused("an item of " + bytes + " bytes exceeds the maximum of "
        + broker.maxMessageBytes + " bytes"));
  }
}
