package io.multiprocessing4j;

import io.multiprocessing4j.internal.Backoff;
import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.Doorbell;
import io.multiprocessing4j.internal.ProcessIdentity;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import io.multiprocessing4j.internal.Timeouts;
import java.io.Serializable;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * A condition variable shared by processes: Python's {@code multiprocessing.Condition}, with
 * {@code wait}, {@code wait_for}, {@code notify} and {@code notify_all} named {@link #await()},
 * {@link #awaitFor}, {@link #signal()} and {@link #signalAll()} (Python's names collide with
 * {@link Object}'s final methods; these are {@link java.util.concurrent.locks.Condition}'s). Created by
 * {@link Multiprocessing#condition()} (over a new {@link RLock}, as in Python) or over a given
 * {@link Lock} or {@link RLock}. {@link Serializable}: capture it in a target.
 *
 * <pre>{@code
 * try (Guard held = condition.guard()) {          // Python: with condition:
 *   condition.awaitFor(() -> queueIsNotEmpty());   //   condition.wait_for(...)
 *   take();
 * }
 * }</pre>
 *
 * <p>Waiters queue in shared memory in arrival order; {@link #signal(int)} wakes the {@code n} that
 * have waited longest. A waiter releases the lock completely while it waits (whatever an RLock's hold
 * count) and re-acquires it, with the same count, before it returns, even when it times out or is
 * interrupted. Re-check the predicate after waking, as in Python: {@link #awaitFor} does it for you.
 * At most 128 threads wait on one condition at a time; a waiter whose process died is dropped from the
 * queue when room is needed. A signal that picked a waiter whose process died is not lost (Python's
 * {@code notify} would hang waiting for it): a live waiter that has waited a few milliseconds takes it
 * over within about 50 ms.
 */
public final class Condition implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int NEXT_TICKET_AT = SharedBlock.HEADER_BYTES;
  private static final int IN_USE_AT = NEXT_TICKET_AT + Long.BYTES;
  private static final int SLOTS_AT = NEXT_TICKET_AT + 64;
  private static final int SLOTS = 128;
  private static final int SLOT_BYTES = 16;
  /** Slot layout: long ticket (0 = free), int state, int pid. */
  private static final int STATE = 8;
  private static final int PID = 12;
  private static final int WAITING = 1;
  private static final int SIGNALED = 2;
  /** A dead waiter's signal, taken over by a live waiter. */
  private static final int SIGNAL_TAKEN = 3;

  private final BlockRef ref;
  private final RobustLock lock;

  private Condition(BlockRef ref, RobustLock lock) {
    this.ref = ref;
    this.lock = lock;
  }

  static Condition create(BlockStore store, RobustLock lock) {
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, 64 + SLOTS * SLOT_BYTES);
    return new Condition(new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC), lock);
  }

  /**
   * Acquires the underlying lock, as its {@code acquire()} does.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public void acquire() throws InterruptedException {
    lock.acquire();
  }

  /**
   * Acquires the underlying lock within {@code timeout}; returns whether it did.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    return lock.acquire(timeout);
  }

  /** Releases the underlying lock, as its {@code release()} does (and throws as it throws). */
  public void release() {
    lock.release();
  }

  /**
   * Acquires the underlying lock (uninterruptibly, as its {@code guard()} does) and returns a guard
   * that releases it: Python's {@code with condition:}.
   */
  public Guard guard() {
    return lock.guard();
  }

  /**
   * Releases the lock, waits until signalled, re-acquires the lock. Python's {@code wait()}.
   *
   * @throws IllegalMonitorStateException if the calling thread does not hold the lock (Python:
   *     {@code RuntimeError})
   * @throws InterruptedException if the thread is interrupted while waiting; the lock is held again
   *     when it is thrown
   */
  public void await() throws InterruptedException {
    await(Backoff.forever(block()));
  }

  /**
   * As {@link #await()}, waiting at most {@code timeout} (null: no limit) for a signal. Python's
   * {@code wait(timeout)}.
   *
   * @return true if signalled, false if the timeout passed first (the lock is held again either way)
   */
  public boolean await(Duration timeout) throws InterruptedException {
    return await(Backoff.within(block(), timeout));
  }

  /**
   * Waits until {@code predicate} is true, re-checking it after each wake-up; the lock must be held.
   * Python's {@code wait_for(predicate)}.
   *
   * @return true (the predicate's value)
   */
  public boolean awaitFor(BooleanSupplier predicate) throws InterruptedException {
    return awaitFor(predicate, null);
  }

  /**
   * Waits at most {@code timeout} (null = no limit) until {@code predicate} is true. Python's
   * {@code wait_for(predicate, timeout)}.
   *
   * @return the predicate's last value: false if the timeout passed while it was false
   */
  public boolean awaitFor(BooleanSupplier predicate, Duration timeout) throws InterruptedException {
    long nanos = Timeouts.nanos(timeout);
    long deadline = System.nanoTime() + Math.max(0, nanos);
    boolean result = predicate.getAsBoolean();
    while (!result) {
      if (nanos < 0) {
        await();
      } else {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        await(Duration.ofNanos(left));
      }
      result = predicate.getAsBoolean();
    }
    return result;
  }

  private boolean await(Backoff backoff) throws InterruptedException {
    SharedBlock mapped = block();
    SharedBlock lockBlock = lockBlock();
    int lockAt = lockOffset();
    if (!RobustMutex.isOwnedByCurrentThread(lockBlock, lockAt)) {
      throw new IllegalMonitorStateException("cannot wait on an un-acquired lock: " + this);
    }
    int slot = enqueue(mapped);
    int count = RobustMutex.releaseFully(lockBlock, lockAt);
    boolean signaled;
    InterruptedException interrupted = null;
    try {
      while (mapped.getIntVolatile(slot + STATE) != SIGNALED) {
        if (backoff.checkDue()) {
          takeSignalOfDeadWaiter(mapped, slot);
        }
        if (!backoff.pause()) {
          break;
        }
      }
    } catch (InterruptedException e) {
      interrupted = e;
    } finally {
      backoff.done();
      RobustMutex.acquireUninterruptibly(lockBlock, lockAt, lock.reentrant());
      RobustMutex.restore(lockBlock, lockAt, count);
      // A signal that raced the timeout or the interrupt still counts: it is not handed to anyone else.
      signaled = mapped.getIntVolatile(slot + STATE) == SIGNALED;
      dequeue(mapped, slot);
    }
    if (interrupted != null && !signaled) {
      throw interrupted;
    }
    if (interrupted != null) {
      Thread.currentThread().interrupt();
    }
    return signaled;
  }

  /**
   * Moves a signal that went to a waiter of a dead process to {@code mine}, which is still waiting.
   * Compare-and-sets, since other waiters may try the same without the lock: the dead slot gives up
   * its signal once, and goes back to holding it if a signaller reached {@code mine} first.
   */
  private static void takeSignalOfDeadWaiter(SharedBlock mapped, int mine) {
    for (int i = 0; i < SLOTS; i++) {
      int slot = SLOTS_AT + i * SLOT_BYTES;
      if (slot == mine || mapped.getLongVolatile(slot) == 0 || mapped.getIntVolatile(slot + STATE) != SIGNALED) {
        continue;
      }
      int pid = mapped.getInt(slot + PID);
      if (pid == ProcessIdentity.PID || !ProcessIdentity.isDead(pid, 0)
          || !mapped.compareAndSetInt(slot + STATE, SIGNALED, SIGNAL_TAKEN)) {
        continue;
      }
      if (!mapped.compareAndSetInt(mine + STATE, WAITING, SIGNALED)) {
        mapped.setIntVolatile(slot + STATE, SIGNALED);
      }
      return;
    }
  }

  /** Takes a queue slot; the caller holds the lock, which orders every change to the queue. */
  private int enqueue(SharedBlock mapped) {
    int slot = freeSlot(mapped);
    if (slot < 0) {
      dropDeadWaiters(mapped);
      slot = freeSlot(mapped);
      if (slot < 0) {
        throw new IllegalStateException("more than " + SLOTS + " threads are waiting on " + this);
      }
    }
    long ticket = mapped.getLong(NEXT_TICKET_AT) + 1;
    mapped.setLong(NEXT_TICKET_AT, ticket);
    mapped.setInt(slot + PID, (int) ProcessIdentity.PID);
    mapped.setIntVolatile(slot + STATE, WAITING);
    mapped.setLongVolatile(slot, ticket);
    mapped.setIntVolatile(IN_USE_AT, mapped.getInt(IN_USE_AT) + 1);
    return slot;
  }

  private void dequeue(SharedBlock mapped, int slot) {
    mapped.setIntVolatile(slot + STATE, 0);
    mapped.setLongVolatile(slot, 0);
    mapped.setIntVolatile(IN_USE_AT, mapped.getInt(IN_USE_AT) - 1);
  }

  private static int freeSlot(SharedBlock mapped) {
    for (int i = 0; i < SLOTS; i++) {
      int slot = SLOTS_AT + i * SLOT_BYTES;
      if (mapped.getLongVolatile(slot) == 0) {
        return slot;
      }
    }
    return -1;
  }

  private void dropDeadWaiters(SharedBlock mapped) {
    for (int i = 0; i < SLOTS; i++) {
      int slot = SLOTS_AT + i * SLOT_BYTES;
      if (mapped.getLongVolatile(slot) != 0 && ProcessIdentity.isDead(mapped.getInt(slot + PID), 0)) {
        dequeue(mapped, slot);
      }
    }
  }

  /**
   * Wakes the thread that has waited longest, if any; the lock must be held. Never blocks. Python's
   * {@code notify()}.
   *
   * @throws IllegalMonitorStateException if the calling thread does not hold the lock
   */
  public void signal() {
    signal(1);
  }

  /**
   * Wakes up to {@code n} threads, longest waiting first; the lock must be held. Never blocks.
   * Python's {@code notify(n)}.
   *
   * @throws IllegalMonitorStateException if the calling thread does not hold the lock
   */
  public void signal(int n) {
    SharedBlock mapped = checkHeld("notify");
    for (int woken = 0; woken < n && mapped.getIntVolatile(IN_USE_AT) > 0; woken++) {
      int oldest = -1;
      long oldestTicket = Long.MAX_VALUE;
      for (int i = 0; i < SLOTS; i++) {
        int slot = SLOTS_AT + i * SLOT_BYTES;
        long ticket = mapped.getLongVolatile(slot);
        if (ticket != 0 && ticket < oldestTicket && mapped.getIntVolatile(slot + STATE) == WAITING) {
          oldest = slot;
          oldestTicket = ticket;
        }
      }
      if (oldest < 0) {
        return;
      }
      mapped.setIntVolatile(oldest + STATE, SIGNALED);
      Doorbell.ring(mapped);
    }
  }

  /**
   * Wakes every waiting thread; the lock must be held. Never blocks. Python's {@code notify_all()}.
   *
   * @throws IllegalMonitorStateException if the calling thread does not hold the lock
   */
  public void signalAll() {
    SharedBlock mapped = checkHeld("notify");
    if (mapped.getIntVolatile(IN_USE_AT) == 0) {
      return;
    }
    for (int i = 0; i < SLOTS; i++) {
      int slot = SLOTS_AT + i * SLOT_BYTES;
      if (mapped.getLongVolatile(slot) != 0 && mapped.getIntVolatile(slot + STATE) == WAITING) {
        mapped.setIntVolatile(slot + STATE, SIGNALED);
      }
    }
    Doorbell.ring(mapped);
  }

  private SharedBlock checkHeld(String operation) {
    if (!RobustMutex.isOwnedByCurrentThread(lockBlock(), lockOffset())) {
      throw new IllegalMonitorStateException("cannot " + operation + " on an un-acquired lock: " + this);
    }
    return block();
  }

  private SharedBlock lockBlock() {
    return lock.block();
  }

  private int lockOffset() {
    return lock.offset();
  }

  private SharedBlock block() {
    return ref.map();
  }

  /** The number of threads waiting now (including signalled ones not yet back). Never blocks. */
  int waiters() {
    return block().getIntVolatile(IN_USE_AT);
  }

  /** Like Python's repr: {@code <Condition(<RLock(None, 0)>, 0)>}, the last number being the waiters. */
  @Override
  public String toString() {
    return "<Condition(" + lock + ", " + waiters() + ")>";
  }
}
