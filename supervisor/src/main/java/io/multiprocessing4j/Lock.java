package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;
import java.time.Duration;

/**
 * A lock shared by processes: Python's {@code multiprocessing.Lock}. Created by
 * {@link Multiprocessing#lock()}; send it to children by capturing it in a target (it is
 * {@link Serializable}), and use it there, in the parent, in pool tasks and from any thread.
 *
 * <p>As in Python it is not re-entrant (a thread that acquires it twice waits for itself) and any
 * thread of any process may release it, so it also serves as a binary semaphore.
 *
 * <p><b>Robust:</b> if the process holding it dies, the lock is not held forever. The next acquirer
 * takes it over within milliseconds of the death (at most about 50 ms), its acquire returns normally,
 * and {@link #previousOwnerDied()} (or {@link Guard#previousOwnerDied()}) is true until it releases:
 * the data the lock protects may have been left half-updated. The lock lives in shared memory (a
 * compare-and-set on one word, see {@code RobustMutex}); a waiter spins briefly (for as long as
 * spinning has recently paid off), then sleeps until the releaser rings its process's doorbell (see
 * {@code Backoff} and {@code Doorbell}), so an idle waiter does not burn a core.
 */
public final class Lock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final BlockRef ref;
  private final int at;
  private transient SharedBlock block;

  private Lock(BlockRef ref, int at) {
    this.ref = ref;
    this.at = at;
  }

  static Lock create(BlockStore store) {
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, RobustMutex.BYTES);
    return new Lock(new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC), SharedBlock.HEADER_BYTES);
  }

  /**
   * Acquires the lock, blocking as long as it takes. Python's {@code acquire()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting (the lock is not held then)
   */
  public void acquire() throws InterruptedException {
    RobustMutex.acquire(block(), at, false, null);
  }

  /**
   * Acquires the lock, waiting at most {@code timeout}. Python's {@code acquire(timeout=...)}.
   *
   * @return true if acquired, false if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    return RobustMutex.acquire(block(), at, false, timeout);
  }

  /**
   * Acquires the lock only if it is free now; never blocks. Python's {@code acquire(block=False)}.
   *
   * @return whether the lock was acquired
   */
  public boolean tryAcquire() {
    return RobustMutex.tryAcquire(block(), at, false);
  }

  /**
   * Releases the lock; any thread of any process may. Never blocks. Python's {@code release()}.
   *
   * @throws IllegalStateException if the lock is not held
   */
  public void release() {
    RobustMutex.release(block(), at, true);
  }

  /**
   * Acquires the lock, blocking as long as it takes and not giving up when interrupted (the interrupt
   * is kept for later), like {@link java.util.concurrent.locks.Lock#lock()}.
   */
  public void acquireUninterruptibly() {
    RobustMutex.acquireUninterruptibly(block(), at, false);
  }

  /**
   * Acquires the lock (as {@link #acquireUninterruptibly()}) and returns a guard whose {@code close()}
   * releases it: Python's {@code with lock:}, usable in any target without catching anything.
   */
  public Guard guard() {
    acquireUninterruptibly();
    return new Guard(this::release, previousOwnerDied());
  }

  /** Whether some thread of some process holds the lock now. Never blocks. */
  public boolean isLocked() {
    return RobustMutex.isLocked(block(), at);
  }

  /**
   * Whether the current holding was taken over from a process that died holding the lock (like a
   * robust mutex's {@code EOWNERDEAD}); cleared by {@link #release()}. Never blocks.
   */
  public boolean previousOwnerDied() {
    return RobustMutex.previousOwnerDied(block(), at);
  }

  SharedBlock block() {
    SharedBlock mapped = block;
    if (mapped == null) {
      mapped = ref.map();
      block = mapped;
    }
    return mapped;
  }

  int offset() {
    return at;
  }

  /** Like Python's repr: {@code <Lock(owner=pid 123 thread 1)>} or {@code <Lock(owner=None)>}. */
  @Override
  public String toString() {
    String owner = RobustMutex.describe(block(), at);
    return "<Lock(owner=" + ("free".equals(owner) ? "None" : owner) + ")>";
  }
}
