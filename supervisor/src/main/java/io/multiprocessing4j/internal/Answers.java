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
  private List<Runnable> afterwards;

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

  /** Runs {@code action} after the answers are delivered (a push to a direct reader, see {@link DirectPush}). */
  void afterwards(Runnable action) {
    if (afterwards == null) {
      afterwards = new ArrayList<>(2);
    }
    afterwards.add(action);
  }

  /** Delivers every answer, in the order decided, then runs the actions. Call without holding the broker's lock. */
  void deliver() {
    if (answers != null) {
      for (Answer answer : answers) {
        answer.client().answer(answer.requestId(), answer.outcome());
      }
      answers = null;
    }
    if (afterwards != null) {
      for (Runnable action : afterwards) {
        action.run();
      }
      afterwards = null;
    }
  }
}
