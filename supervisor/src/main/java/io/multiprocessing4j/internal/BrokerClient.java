package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.FrameChannel;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * One user of a broker, as the broker sees it: either the parent's own handles ({@link Local}, answered
 * in memory) or one connection from a handle in some process ({@link Remote}, answered with frames).
 * Its mutable fields are guarded by the broker's lock.
 */
abstract class BrokerClient {
  /**
   * JoinableQueue: items this client took and has not yet marked done, oldest first; for the parent's
   * own handles ({@link Local}) empty placeholders, since only their count matters there.
   */
  final ArrayDeque<Payload> unacknowledged = new ArrayDeque<>();
  /** Pipe: which end this client holds; -1 before it attached. */
  int end = -1;
  /** Pipe: this client handed its end on once, so the broker no longer lets it read directly. */
  boolean directBarred;

  /** Delivers the answer to request {@code requestId}. Never called with the broker's lock held. */
  abstract void answer(long requestId, Outcome outcome);

  /** The parent's own handles of one broker (for a pipe, of one end): answers complete futures. */
  static final class Local extends BrokerClient {
    private final ConcurrentHashMap<Long, CompletableFuture<Outcome>> answers = new ConcurrentHashMap<>();

    Local(int end) {
      this.end = end;
    }

    @Override
    void answer(long requestId, Outcome outcome) {
      answers.computeIfAbsent(requestId, id -> new CompletableFuture<>()).complete(outcome);
    }

    /** The future answer of a call that is waiting; safe whether the answer came already or not. */
    CompletableFuture<Outcome> answerOf(long requestId) {
      CompletableFuture<Outcome> answer = answers.computeIfAbsent(requestId, id -> new CompletableFuture<>());
      answer.whenComplete((outcome, error) -> answers.remove(requestId));
      return answer;
    }
  }

  /** A connection from a handle in some process (possibly this one, for a handle that came back). */
  static final class Remote extends BrokerClient {
    final FrameChannel<Frame> channel;
    private final BiConsumer<BrokerClient, Payload> undeliverable;
    /** The ring this client posts through, once the broker accepted it. */
    volatile RingIntake ring;
    /** The ring through which items that answer this client's gets go, once the broker accepted it. */
    volatile PostRing replies;

    /**
     * @param undeliverable takes back an item whose answer could not be written (the connection broke
     *     while it was on its way), so that it is not lost
     */
    Remote(FrameChannel<Frame> channel, BiConsumer<BrokerClient, Payload> undeliverable) {
      this.channel = channel;
      this.undeliverable = undeliverable;
    }

    @Override
    void answer(long requestId, Outcome outcome) {
      if (requestId == 0 && outcome == Outcome.Status.DONE) {
        // A call nobody waits for went through; only its failures are reported, as notices.
        return;
      }
      PostRing ring = replies;
      if (ring != null && requestId != 0 && outcome instanceof Outcome.Item item) {
        if (!ring.write(item.payload(), requestId, channel::isClosed)) {
          channel.close();
          undeliverable.accept(this, item.payload());
        }
        return;
      }
      try {
        channel.send(ChannelCodec.reply(requestId, outcome));
      } catch (IOException e) {
        channel.close();
        if (outcome instanceof Outcome.Item item) {
          undeliverable.accept(this, item.payload());
        }
      }
    }
  }
}
