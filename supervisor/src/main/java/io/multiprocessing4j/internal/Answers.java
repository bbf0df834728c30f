package io.multiprocessing4j.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers decided while a broker's lock is held and delivered after it is released: delivering may
 * write to a socket or wake a thread, neither of which may happen under the lock.
 */
final class Answers {
  private record Answer(BrokerClient client, long requestId, Outcome outcome) {}

  private List<Answer> answers;

  void add(Waiter waiter, Outcome outcome) {
    waiter.stopTimer();
    add(waiter.client, waiter.requestId, outcome);
  }

  void add(BrokerClient client, long requestId, Outcome outcome) {
    if (answers == null) {
      answers = new ArrayList<>(4);
    }
    answers.add(new Answer(client, requestId, outcome));
  }

  /** Delivers every answer, in the order decided. Call without holding the broker's lock. */
  void deliver() {
    if (answers == null) {
      return;
    }
    for (Answer answer : answers) {
      answer.client().answer(answer.requestId(), answer.outcome());
    }
    answers = null;
  }
}
