package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;

/**
 * A call a broker could not answer at once: a get or poll waiting for an item, a put waiting for
 * space, a join waiting for the last task. It is answered exactly once, through its client, by
 * whichever thread changes the state it waits for, by its timer, or by a cancel.
 */
final class Waiter {
  private static final Runnable NO_TIMER = () -> { };

  final BrokerClient client;
  final long requestId;
  /** What a blocked put waits to add; null for every other call. */
  final Payload item;
  /** A poll: answered READY without taking the item. */
  final boolean peek;
  private Runnable cancelTimer = NO_TIMER;

  Waiter(BrokerClient client, long requestId, Payload item, boolean peek) {
    this.client = client;
    this.requestId = requestId;
    this.item = item;
    this.peek = peek;
  }

  void timer(Runnable cancel) {
    cancelTimer = cancel;
  }

  /** Stops the timer, if any: called when the waiter is answered by anything else. */
  void stopTimer() {
    cancelTimer.run();
  }

  boolean is(BrokerClient other, long otherRequestId) {
    return client == other && requestId == otherRequestId;
  }
}
