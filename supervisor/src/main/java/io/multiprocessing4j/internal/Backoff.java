package io.multiprocessing4j.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * How a thread waits for a word in shared memory to change: the one wait strategy of every
 * cross-process primitive. There is no futex in Java, so a waiter polls, in three phases:
 * <ol>
 *   <li>spin ({@link Thread#onSpinWait()}) for {@value #SPIN_MICROS} µs: a hand-off between two busy
 *       processes completes here, in well under a microsecond;</li>
 *   <li>yield for up to {@value #YIELD_MICROS} µs, so a lock holder that shares our core can run;</li>
 *   <li>park with exponential back-off, from {@value #FIRST_PARK_MICROS} µs up to
 *       {@value #MAX_PARK_MICROS} µs: an idle waiter costs a few microseconds of CPU per millisecond
 *       and notices a change at most a millisecond late.</li>
 * </ol>
 * Besides pacing, it tells the caller when a (costly) liveness check of the process it waits for is
 * due: after {@value #FIRST_CHECK_MILLIS} ms of waiting, then every {@value #CHECK_EVERY_MILLIS} ms.
 *
 * <p>One instance serves one wait call on one thread.
 */
public final class Backoff {
  static final long SPIN_MICROS = 20;
  static final long YIELD_MICROS = 100;
  static final long FIRST_PARK_MICROS = 50;
  static final long MAX_PARK_MICROS = 1000;
  static final long FIRST_CHECK_MILLIS = 2;
  static final long CHECK_EVERY_MILLIS = 5;

  private final long start = System.nanoTime();
  private final boolean timed;
  private final long deadline;
  private final boolean interruptible;
  private long parkNanos = FIRST_PARK_MICROS * 1000;
  private long nextCheck = start + FIRST_CHECK_MILLIS * 1_000_000;
  private boolean interrupted;

  private Backoff(long timeoutNanos, boolean interruptible) {
    this.timed = timeoutNanos >= 0;
    this.deadline = start + Math.max(0, timeoutNanos);
    this.interruptible = interruptible;
  }

  /** A wait without a time limit; {@link #pause()} throws {@link InterruptedException} when interrupted. */
  public static Backoff forever() {
    return new Backoff(-1, true);
  }

  /** A wait of at most {@code timeout} (null = no limit) that can be interrupted. */
  public static Backoff within(Duration timeout) {
    return new Backoff(timeout == null ? -1 : Math.max(0, timeout.toNanos()), true);
  }

  /**
   * A wait without a time limit that cannot be interrupted: an interrupt is remembered and restored by
   * {@link #restoreInterrupt()} (for short waits behind accessors such as a locked value's get()).
   */
  public static Backoff uninterruptibly() {
    return new Backoff(-1, false);
  }

  /**
   * Waits a little. Returns false (without waiting) once the time limit has passed.
   *
   * @throws InterruptedException if this wait is interruptible and the thread is interrupted
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
    long waited = now - start;
    if (waited < SPIN_MICROS * 1000) {
      Thread.onSpinWait();
    } else if (waited < YIELD_MICROS * 1000) {
      Thread.yield();
    } else {
      LockSupport.parkNanos(timed ? Math.min(parkNanos, Math.max(1, deadline - now)) : parkNanos);
      parkNanos = Math.min(parkNanos * 2, MAX_PARK_MICROS * 1000);
    }
    return true;
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

  /** Re-asserts an interrupt that an uninterruptible wait swallowed. */
  public void restoreInterrupt() {
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
