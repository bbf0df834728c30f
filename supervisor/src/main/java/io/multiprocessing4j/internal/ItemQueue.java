package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The items of one queue, or of one direction of a pipe, and the calls blocked on them. Not
 * thread-safe: the broker that owns it guards it with its lock, and delivers the {@link Answers} it
 * collects after releasing that lock.
 *
 * <p>Invariants: getters wait only while there are no items; putters wait only while the queue is at
 * its maximum size. Items go to blocked getters in arrival order (first come, first served), so a
 * consumer in the parent and one in a child are served alike.
 */
final class ItemQueue {
  /** Starts the expiry timer of a waiter; returns what cancels it. */
  interface Timer {
    Runnable start(ItemQueue queue, Waiter waiter, long millis);
  }

  /** Told, under the broker's lock, when an item enters and who took it (JoinableQueue's accounting). */
  interface Listener {
    /** A put's item entered the queue (items put back are not counted again). */
    void added(Payload item);

    void taken(BrokerClient client, Payload item);
  }

  private final int maxsize;
  private final Timer timer;
  private final Listener listener;
  private final ArrayDeque<Payload> items = new ArrayDeque<>();
  /** The sum of the data sizes of {@link #items}. */
  private volatile long heldBytes;
  private final ArrayDeque<Waiter> getters = new ArrayDeque<>();
  private final ArrayDeque<Waiter> putters = new ArrayDeque<>();
  /** No item will ever be added again (a pipe whose sending end closed): drained means end of stream. */
  private boolean ended;
  /** Why every call is refused now (the queue's context closed); null while open. */
  private String refusal;

  /**
   * @param maxsize the most items held at once; 0 for no limit
   */
  ItemQueue(int maxsize, Timer timer, Listener listener) {
    this.maxsize = maxsize;
    this.timer = timer;
    this.listener = listener;
  }

  int size() {
    return items.size();
  }

  /**
   * The bytes of the items held, as encoded: what a pipe's back pressure counts ({@link PipeBroker}).
   * Written under the broker's lock, readable without it.
   */
  long heldBytes() {
    return heldBytes;
  }

  boolean isFull() {
    return maxsize > 0 && items.size() >= maxsize;
  }

  /**
   * Adds an item. Returns DONE when it was accepted, FULL when there was no space and the caller will
   * not wait, null when the caller now waits (answered later), or a refusal.
   *
   * @param timeoutMillis how long to wait for space: negative for ever, 0 not at all
   */
  Outcome put(BrokerClient client, long requestId, Payload item, long timeoutMillis, Answers answers) {
    if (refusal != null) {
      return new Outcome.Refused(refusal);
    }
    if (!isFull()) {
      add(item, answers);
      return Outcome.Status.DONE;
    }
    if (timeoutMillis == 0) {
      return Outcome.Status.FULL;
    }
    Waiter waiter = new Waiter(client, requestId, item, false);
    // Timer first: if it cannot start, no waiter is left behind to take an item nobody will receive.
    startTimer(waiter, timeoutMillis);
    putters.add(waiter);
    return null;
  }

  /** Puts an item back at the head, whatever the size limit: one a consumer took and never used. */
  void putBack(Payload item, Answers answers) {
    if (refusal != null) {
      return;
    }
    Waiter getter = nextGetter(answers);
    if (getter != null) {
      answerGetter(getter, item, answers);
    } else {
      items.addFirst(item);
      heldBytes += item.getData().size();
    }
  }

  /**
   * Takes (or, for a poll, looks for) an item. Returns the item (READY for a poll), EMPTY when there is
   * none and the caller will not wait, CLOSED at the end of a drained stream, null when the caller now
   * waits, or a refusal.
   *
   * @param timeoutMillis how long to wait for an item: negative for ever, 0 not at all
   */
  Outcome get(BrokerClient client, long requestId, long timeoutMillis, boolean peek, Answers answers) {
    if (refusal != null) {
      return new Outcome.Refused(refusal);
    }
    if (!items.isEmpty()) {
      if (peek) {
        return Outcome.Status.READY;
      }
      Payload item = items.poll();
      heldBytes -= item.getData().size();
      admitPutter(answers);
      listener.taken(client, item);
      return new Outcome.Item(item);
    }
    if (ended) {
      return peek ? Outcome.Status.READY : Outcome.Status.CLOSED;
    }
    if (timeoutMillis == 0) {
      return Outcome.Status.EMPTY;
    }
    Waiter waiter = new Waiter(client, requestId, null, peek);
    startTimer(waiter, timeoutMillis);
    getters.add(waiter);
    return null;
  }

  /** No item will be added any more: once the items are taken, gets answer CLOSED instead of waiting. */
  void end(Answers answers) {
    ended = true;
    if (items.isEmpty()) {
      for (Waiter getter : getters) {
        answers.add(getter, getter.peek ? Outcome.Status.READY : Outcome.Status.CLOSED);
      }
      getters.clear();
    }
  }

  /** Drops every item and refuses every call from now on, answering the waiting ones with the refusal. */
  void refuse(String reason, Answers answers) {
    refusal = reason;
    items.clear();
    heldBytes = 0;
    Outcome refused = new Outcome.Refused(reason);
    for (Waiter waiter : getters) {
      answers.add(waiter, refused);
    }
    for (Waiter waiter : putters) {
      answers.add(waiter, refused);
    }
    getters.clear();
    putters.clear();
  }

  /**
   * Withdraws a waiting call (its caller gave up): answered EMPTY, FULL or with the refusal. Returns
   * false when it was not waiting here (already answered, or never blocked).
   */
  boolean cancel(BrokerClient client, long requestId, Answers answers) {
    return withdraw(getters, client, requestId, Outcome.Status.EMPTY, answers)
        || withdraw(putters, client, requestId, Outcome.Status.FULL, answers);
  }

  /** A waiter's time ran out. */
  void expire(Waiter waiter, Answers answers) {
    if (getters.remove(waiter)) {
      answers.add(waiter, Outcome.Status.EMPTY);
    } else if (putters.remove(waiter)) {
      answers.add(waiter, Outcome.Status.FULL);
    }
  }

  /**
   * Hands every item over, oldest first, and answers every waiting call with {@code outcome}: the
   * items and the waiters move elsewhere (a pipe end read directly, see {@link DirectPush}).
   */
  java.util.List<Payload> handOver(Outcome outcome, Answers answers) {
    java.util.List<Payload> all = new java.util.ArrayList<>(items);
    items.clear();
    heldBytes = 0;
    for (Waiter getter : getters) {
      answers.add(getter, outcome);
    }
    getters.clear();
    return all;
  }

  /** Forgets the waiting calls of a client that is gone, without answering them. */
  void dropClient(BrokerClient client) {
    dropFrom(getters, client);
    dropFrom(putters, client);
  }

  /** Answers every waiting call of {@code client} with a refusal (its handle was closed under it). */
  void refuseClient(BrokerClient client, String reason, Answers answers) {
    Outcome refused = new Outcome.Refused(reason);
    for (ArrayDeque<Waiter> waiters : java.util.List.of(getters, putters)) {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.client == client) {
          it.remove();
          answers.add(waiter, refused);
        }
      }
    }
  }

  private void add(Payload item, Answers answers) {
    listener.added(item);
    Waiter getter = nextGetter(answers);
    if (getter != null) {
      answerGetter(getter, item, answers);
    } else {
      items.add(item);
      heldBytes += item.getData().size();
    }
  }

  /** The next getter that takes an item; polls in front of it are answered READY on the way. */
  private Waiter nextGetter(Answers answers) {
    Waiter getter;
    while ((getter = getters.poll()) != null && getter.peek) {
      answers.add(getter, Outcome.Status.READY);
    }
    return getter;
  }

  private void answerGetter(Waiter getter, Payload item, Answers answers) {
    listener.taken(getter.client, item);
    answers.add(getter, new Outcome.Item(item));
  }

  /** After a take: the longest-waiting blocked put may now add its item. */
  private void admitPutter(Answers answers) {
    if (!isFull()) {
      Waiter putter = putters.poll();
      if (putter != null) {
        listener.added(putter.item);
        items.add(putter.item);
        heldBytes += putter.item.getData().size();
        answers.add(putter, Outcome.Status.DONE);
      }
    }
  }

  private void startTimer(Waiter waiter, long timeoutMillis) {
    if (timeoutMillis > 0) {
      waiter.timer(timer.start(this, waiter, timeoutMillis));
    }
  }

  private static boolean withdraw(ArrayDeque<Waiter> waiters, BrokerClient client, long requestId, Outcome outcome,
      Answers answers) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.is(client, requestId)) {
        it.remove();
        answers.add(waiter, outcome);
        return true;
      }
    }
    return false;
  }

  private static void dropFrom(ArrayDeque<Waiter> waiters, BrokerClient client) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.client == client) {
        waiter.stopTimer();
        it.remove();
      }
    }
  }
}
