package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.concurrent.CompletableFuture;

/**
 * A handle's two rings to its broker on the same host ({@link RemoteCalls}): {@link #posts}, which the
 * broker drains, and {@link #replies}, through which the broker sends the items that answer this
 * handle's gets, tagged with their request ids.
 *
 * <p>Replies are taken by the threads waiting for them, not by a thread of their own: every item in the
 * ring answers a get whose caller waits until it has its answer ({@link #await}). A waiting thread
 * spins, yields, then sleeps on the ring's doorbell ({@link Backoff}), so the broker's write wakes the
 * very thread that wants the item, in one scheduler wake-up, and an item sent within microseconds
 * costs none. Whichever waiter drains hands every item to its caller's answer and wakes the others.
 */
final class ClientRings implements PostRing.Sink {
  final PostRing posts;
  final PostRing replies;
  private final Answered answered;
  private volatile boolean lost;
  /** Where the records the broker pushes go (a pipe end read directly), once there is one. */
  private volatile DirectInbox pushes;

  /** Completes the answer of a request. */
  @FunctionalInterface
  interface Answered {
    void accept(long requestId, Outcome outcome);
  }

  ClientRings(PostRing posts, PostRing replies, Answered answered) {
    this.posts = posts;
    this.replies = replies;
    this.answered = answered;
  }

  /**
   * Waits until {@code answer} is done, taking the replies that arrive meanwhile (whoever they are for).
   *
   * @throws InterruptedException if the thread is interrupted first
   */
  void await(CompletableFuture<Outcome> answer) throws InterruptedException {
    Backoff wait = Backoff.forever(replies.block());
    try {
      while (!answer.isDone() && !lost) {
        if (replies.hasData()) {
          if (replies.drain(this, Long.MAX_VALUE) > 0) {
            if (!answer.isDone()) {
              // Someone else's answer: its caller may be asleep on the ring.
              replies.wake();
            }
            // Progress (e.g. a chunk of a large item): the next wait starts with a spin again.
            wait.done();
            wait = Backoff.forever(replies.block());
          }
        } else {
          wait.pause();
        }
      }
    } finally {
      wait.done();
    }
  }

  /** The connection is lost: takes what the broker sent before, and releases every waiter. */
  void lost() {
    replies.drain(this, Long.MAX_VALUE);
    lost = true;
    replies.wake();
  }

  /** From now on the broker may push records into the reply ring; they go to {@code inbox}. */
  void pushTo(DirectInbox inbox) {
    pushes = inbox;
  }

  @Override
  public void message(Payload item, long tag) {
    DirectInbox inbox = pushes;
    if (tag == ChannelCodec.PUSH_TAG && inbox != null) {
      inbox.pushed(item);
    } else {
      answered.accept(tag, new Outcome.Item(item));
    }
  }

  @Override
  public void tooLarge(long bytes) {
    // Never: this side accepts replies of any size.
  }
}
