package io.multiprocessing4j.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * How a thread waits for a word in shared memory to change: the one wait strategy of every
 * cross-process primitive, in three phases:
 * <ol>
 *   <li>spin ({@link Thread#onSpinWait()}): a hand-off between two processes that both have a core
 *       completes here, in well under a microsecond. How long to spin is learned per block and process,
 *       as HotSpot and glibc's adaptive mutexes do: a wait that ended while spinning doubles the budget
 *       (up to {@value #MAX_SPIN_NANOS} ns), one that outlasted the spin (it had to yield or sleep)
 *       shrinks it by an eighth (down to {@value #MIN_SPIN_NANOS} ns), and one that never paused (its
 *       condition held at once) teaches nothing. On a machine with more runnable threads than cores,
 *       or when the scheduler puts both processes on one core, where the other process is rarely
 *       running while we spin, spinning thus fades out instead of stealing the core that process
 *       needs;</li>
 *   <li>yield for {@value #YIELD_NANOS} ns, so a holder that shares our core can run;</li>
 *   <li>sleep: the thread registers as asleep on the block it waits on ({@link Doorbell}) and parks;
 *       whoever changes that block rings this process's doorbell, which unparks it within tens of
 *       microseconds. Parks are bounded, from {@value #FIRST_SLEEP_MICROS} µs doubling to
 *       {@value #MAX_SLEEP_MILLIS} ms, so an idle waiter wakes about 20 times a second at most. Where
 *       no doorbell can be used it polls instead, from {@value #FIRST_POLL_MICROS} µs doubling to
 *       {@value #MAX_POLL_MICROS} µs.</li>
 * </ol>
 * The first call of the sleep phase only registers and returns, so the caller re-checks its condition
 * once more before parking: that is what makes a wake-up impossible to lose. Besides pacing, it tells
 * the caller when a (costly) liveness check of the process it waits for is due: after
 * {@value #FIRST_CHECK_MILLIS} ms of waiting, then at most every {@value #CHECK_EVERY_MILLIS} ms.
 *
 * <p>One instance serves one wait on one thread; the caller must call {@link #done()} when the wait is
 * over, however it ends.
 */
public final class Backoff {
  static final int INITIAL_SPIN_NANOS = 20_000;
  static final int MIN_SPIN_NANOS = 1_000;
  static final int MAX_SPIN_NANOS = 50_000;
  static final long YIELD_NANOS = 20_000;
  static final long FIRST_SLEEP_MICROS = 1000;
  static final long MAX_SLEEP_MILLIS = 50;
  static final long FIRST_POLL_MICROS = 50;
  static final long MAX_POLL_MICROS = 1000;
  static final long FIRST_CHECK_MILLIS = 2;
  static final long CHECK_EVERY_MILLIS = 5;
  private static final int AWAKE = -2;

  private final SharedBlock block;
  private final long start = System.nanoTime();
  private final boolean timed;
  private final long deadline;
  private final boolean interruptible;
  private long parkNanos;
  private long maxParkNanos;
  private long nextCheck = start + FIRST_CHECK_MILLIS * 1_000_000;
  private final int spinNanos;
  private int sleeperSlot = AWAKE;
  /** Whether this wait paused at all: one that found its condition at once says nothing about spinning. */
  private boolean paused;
  private boolean spunOut;
  private boolean interrupted;

  private Backoff(SharedBlock block, long timeoutNanos, boolean interruptible) {
    this.block = block;
    this.spinNanos = block == null ? INITIAL_SPIN_NANOS : block.spinNanos();
    this.timed = timeoutNanos >= 0;
    this.deadline = start + Math.max(0, timeoutNanos);
    this.interruptible = interruptible;
  }

  /** A wait on {@code block} without a time limit; {@link #pause()} throws when interrupted. */
  public static Backoff forever(SharedBlock block) {
    return new Backoff(block, -1, true);
  }

  /** A wait on {@code block} of at most {@code timeout} (null = no limit) that can be interrupted. */
  public static Backoff within(SharedBlock block, Duration timeout) {
    return new Backoff(block, Timeouts.nanos(timeout), true);
  }

  /**
   * A wait on {@code block} without a time limit that cannot be interrupted: an interrupt is remembered
   * and restored by {@link #done()} (for waits behind accessors such as a locked value's get()).
   */
  public static Backoff uninterruptibly(SharedBlock block) {
    return new Backoff(block, -1, false);
  }

  /**
   * Waits a little. Returns false (without waiting) once the time limit has passed.
   *
   * @throws InterruptedException if this wait is interruptible and the thread is interrupted
   * @throws IllegalStateException if the context that created the block closed (see {@link SharedBlock#released()});
   *     noticed before sleeping, not while spinning
   */
  public boolean pause() throws InterruptedException {
    if (Thread.interrupted()) {
      if (interruptible) {
        throw new InterruptedException();
      }
      interrupted = true;
    }
    long now = System.nanoTime();
    if (timed && now - deadline >= 0) {
      return false;
    }
    paused = true;
    long waited = now - start;
    if (waited < spinNanos) {
      Thread.onSpinWait();
    } else if (waited < spinNanos + YIELD_NANOS) {
      spunOut = true;
      Thread.yield();
    } else if (sleeperSlot == AWAKE) {
      fallAsleep();
    } else {
      sleepingOnLiveBlock();
      long nanos = timed ? Math.min(parkNanos, Math.max(1, deadline - now)) : parkNanos;
      if (sleeperSlot >= 0) {
        Doorbell.sleep(nanos);
      } else {
        LockSupport.parkNanos(nanos);
      }
      parkNanos = Math.min(parkNanos * 2, maxParkNanos);
    }
    return true;
  }

  /**
   * Ends a wait whose block was released (its context closed): nothing will ever change the block, as a
   * queue's waiting calls are refused then. Checked only between sleeps, off the spinning path.
   */
  private void sleepingOnLiveBlock() {
    if (block != null && block.released()) {
      throw BlockRef.closedContext(block.path().toString(), block.kind());
    }
  }

  private void fallAsleep() {
    sleeperSlot = block == null ? -1 : Doorbell.asleep(block);
    boolean rung = sleeperSlot >= 0;
    parkNanos = (rung ? FIRST_SLEEP_MICROS : FIRST_POLL_MICROS) * 1000;
    maxParkNanos = rung ? MAX_SLEEP_MILLIS * 1_000_000 : MAX_POLL_MICROS * 1000;
  }

  /** True at most once per check period: time to check whether the process waited for has died. */
  public boolean checkDue() {
    long now = System.nanoTime();
    if (now - nextCheck < 0) {
      return false;
    }
    nextCheck = now + CHECK_EVERY_MILLIS * 1_000_000;
    return true;
  }

  /** Whether this wait has a time limit that has passed. */
  public boolean expired() {
    return timed && System.nanoTime() - deadline >= 0;
  }

  /**
   * Ends the wait: learns from it how long to spin next time, is no longer asleep on the block, and
   * re-asserts an interrupt that an uninterruptible wait kept.
   */
  public void done() {
    if (block != null && paused) {
      // Judged by the clock, not only by the phases pause() saw: a thread descheduled while spinning
      // can skip the yield phase, or end the wait before its next pause(), and still have outlasted it.
      boolean outlasted = spunOut || System.nanoTime() - start >= spinNanos;
      block.spinNanos(outlasted ? Math.max(MIN_SPIN_NANOS, spinNanos - spinNanos / 8)
          : Math.min(MAX_SPIN_NANOS, spinNanos * 2));
    }
    if (sleeperSlot >= 0) {
      Doorbell.awake(block, sleeperSlot);
    }
    sleeperSlot = AWAKE;
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
