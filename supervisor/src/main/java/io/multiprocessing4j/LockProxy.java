package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.time.Duration;

/**
 * A lock held by a manager process: the proxy of Python's {@code manager.Lock()} (an
 * {@code AcquirerProxy}). Not re-entrant; any caller may release it. Unlike Python's, it is robust: a
 * lock held by a process that dies is released, and the next acquirer learns it from
 * {@link #previousOwnerDied()} or {@link Guard#previousOwnerDied()}. An interrupt of a thread waiting
 * in another manager call does not release the locks that thread holds. Every
 * method throws {@link ManagerDiedException} at once if the manager is gone. For speed prefer
 * {@link Multiprocessing#lock()}, which lives in shared memory; this one is for code written around a
 * manager.
 */
public final class LockProxy extends BaseProxy {
  private static final long serialVersionUID = 1L;
  private static final int ACQUIRED_OWNER_DIED = 2;

  private transient volatile boolean previousOwnerDied;

  LockProxy(ManagerAddress manager, long id) {
    super(manager, id, "Lock");
  }

  /**
   * Acquires the lock, waiting as long as it takes. Python's {@code acquire()}.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void acquire() throws InterruptedException {
    acquire(null);
  }

  /**
   * Acquires the lock, waiting at most {@code timeout} (null = no limit). Python's
   * {@code acquire(timeout=t)}.
   *
   * @return whether the lock was acquired
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    int outcome = (Integer) callBlocking("acquire", millis(timeout));
    previousOwnerDied = outcome == ACQUIRED_OWNER_DIED;
    return outcome != 0;
  }

  /**
   * Releases the lock. Python's {@code release()}.
   *
   * @throws IllegalStateException if the lock is not held
   */
  public void release() {
    previousOwnerDied = false;
    call("release");
  }

  /**
   * Acquires the lock, not giving up when interrupted (the interrupt is kept for later), and returns a
   * guard whose {@code close()} releases it: Python's {@code with lock:}.
   */
  public Guard guard() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          acquire();
          return new Guard(this::release, previousOwnerDied);
        } catch (InterruptedException e) {
          // The abandoned connection releases whatever the manager granted on it.
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the last acquire through this proxy took the lock over from a process that died holding it. */
  public boolean previousOwnerDied() {
    return previousOwnerDied;
  }

  /** Whether some process holds the lock now. */
  public boolean isLocked() {
    return (Boolean) call("locked");
  }
}
