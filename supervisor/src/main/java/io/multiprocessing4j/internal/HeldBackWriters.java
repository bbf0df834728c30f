package io.multiprocessing4j.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A pipe's back pressure, in its broker ({@link PipeBroker}): the most bytes of unreceived messages an
 * end takes in, and the threads that wait for an end to have room again (the parent's own sends, the
 * connection readers of writers without a ring, the drainers of writers' rings). They wait on a
 * condition of the broker's lock, so the broker wakes them in the same step that changes what an end
 * holds; the wake-ups themselves happen once the lock is released.
 */
final class HeldBackWriters {
  /** How often a waiter asks whether to give up, whatever else wakes it. */
  private static final long RECHECK_MILLIS = 20;

  /** An end takes a message in while it holds less than this many bytes. */
  final long maxBytes;
  private final ReentrantLock lock;
  private final Condition room;

  HeldBackWriters(ReentrantLock lock, long maxBytes) {
    this.lock = lock;
    this.maxBytes = maxBytes;
    this.room = lock.newCondition();
  }

  /** Whether an end that holds {@code heldBytes} takes another message in. */
  boolean hasRoom(long heldBytes) {
    return heldBytes < maxBytes;
  }

  /**
   * Waits until {@code held} (asked under the lock) has room, {@code released} (asked under the lock:
   * the end or the broker closed) holds, or {@code giveUp} (asked without the lock, every
   * {@value #RECHECK_MILLIS} ms at least) does. An interrupt does not end the wait: the thread's
   * interrupt status is set again when it returns.
   */
  void await(LongSupplier held, BooleanSupplier released, BooleanSupplier giveUp) {
    boolean interrupted = false;
    while (!giveUp.getAsBoolean()) {
      lock.lock();
      try {
        if (hasRoom(held.getAsLong()) || released.getAsBoolean()) {
          break;
        }
        room.await(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      } finally {
        lock.unlock();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * After a take from an end that now holds {@code heldBytes}; called with the lock held. Wakes the
   * waiters once the end is down to half the limit, so that they go on in a batch, not one wake-up per
   * message received.
   */
  void taken(long heldBytes) {
    if (heldBytes <= maxBytes / 2) {
      wakeAll();
    }
  }

  /** Wakes every waiter to look again (an end or the broker closed); called with the lock held. */
  void wakeAll() {
    if (lock.hasWaiters(room)) {
      room.signalAll();
    }
  }
}
