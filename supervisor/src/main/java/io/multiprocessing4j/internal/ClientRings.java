package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * A handle's two rings to its broker on the same host ({@link RemoteCalls}): {@link #posts}, which the
 * broker drains, and {@link #replies}, through which the broker sends the items that answer this
 * handle's gets, tagged with their request ids.
 *
 * <p>Replies are taken by the thread waiting for one while it spins briefly ({@link #spinFor}), so an
 * item the broker sends within microseconds reaches its caller with no wake-up at all; otherwise by a
 * daemon thread that sleeps on the ring's doorbell. Either way each is handed to {@code answered}.
 */
final class ClientRings implements PostRing.Sink {
  /** How long a caller waiting for an item takes from the replies ring itself before it parks. */
  private static final long SPIN_NANOS = 50_000;

  final PostRing posts;
  final PostRing replies;
  private final BiConsumer<Long, Outcome> answered;
  private volatile boolean stopped;

  ClientRings(PostRing posts, PostRing replies, BiConsumer<Long, Outcome> answered) {
    this.posts = posts;
    this.replies = replies;
    this.answered = answered;
  }

  /** Starts the thread that takes replies nobody is spinning for. */
  void start(String threadName) {
    Thread drainer = new Thread(() -> {
      while (!stopped) {
        replies.awaitData(() -> stopped);
        drainReplies();
      }
    }, threadName);
    drainer.setDaemon(true);
    drainer.start();
  }

  /** Takes the replies that arrived until {@code answer} is done, for at most a few tens of microseconds. */
  void spinFor(CompletableFuture<Outcome> answer) {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (!answer.isDone() && System.nanoTime() - deadline < 0) {
      if (replies.hasData()) {
        drainReplies();
      } else {
        Thread.onSpinWait();
      }
    }
  }

  /** Hands over every reply that arrived. */
  void drainReplies() {
    replies.drain(this, Long.MAX_VALUE);
  }

  /** Stops the drainer thread; the caller takes what is left with {@link #drainReplies()}. */
  void stop() {
    stopped = true;
    replies.wake();
  }

  @Override
  public void message(Payload item, long tag) {
    answered.accept(tag, new Outcome.Item(item));
  }

  @Override
  public void tooLarge(long bytes) {
    // Never: this side accepts replies of any size.
  }
}
