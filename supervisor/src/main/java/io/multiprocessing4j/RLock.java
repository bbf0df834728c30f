package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;
import java.time.Duration;

/**
 * A re-entrant lock shared by processes: Python's {@code multiprocessing.RLock}. Owned by one thread
 * of one process, which may acquire it again and must release it as many times. Created by
 * {@link Multiprocessing#rLock()}; it is also the lock of every {@link Value} and {@link Array} created
 * with a lock. {@link Serializable}: capture it in a target to use it in a child or a pool task.
 *
 * <p><b>Robust:</b> if the owning process dies, the next acquirer takes it over (with a hold count of
 * one) within milliseconds (at most about 50 ms) and {@link #previousOwnerDied()} is true until it releases, as for
 * {@link Lock}.
 */
public final class RLock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final BlockRef ref;
  private final int at;
  private transient SharedBlock block;

  RLock(BlockRef ref, int at) {
    this.ref = ref;
    this.at = at;
  }

  static RLock create(BlockStore store) {
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, RobustMutex.BYTES);
    return new RLock(new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC), SharedBlock.HEADER_BYTES);
  }

  /**
   * Acquires the lock, or increments the hold count if the calling thread owns it; blocks as long as
   * it takes. Python's {@code acquire()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public void acquire() throws InterruptedException {
    RobustMutex.acquire(block(), at, true, null);
  }

  /**
   * Acquires the lock, waiting at most {@code timeout}. Python's {@code acquire(timeout=...)}.
   *
   * @return true if acquired, false if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    return RobustMutex.acquire(block(), at, true, timeout);
  }

  /**
   * Acquires the lock only if it is free or already owned by the calling thread; never blocks.
   * Python's {@code acquire(block=False)}.
   *
   * @return whether the lock was acquired
   */
  public boolean tryAcquire() {
    return RobustMutex.tryAcquire(block(), at, true);
  }

  /**
   * Decrements the hold count, releasing the lock when it reaches zero. Never blocks. Python's
   * {@code release()}.
   *
   * @throws IllegalMonitorStateException if the calling thread does not own the lock
   */
  public void release() {
    RobustMutex.release(block(), at, false);
  }

  /**
   * Acquires the lock (or re-enters it), blocking as long as it takes and not giving up when
   * interrupted (the interrupt is kept for later), like {@link java.util.concurrent.locks.Lock#lock()}.
   */
  public void acquireUninterruptibly() {
    RobustMutex.acquireUninterruptibly(block(), at, true);
  }

  /**
   * Acquires the lock (as {@link #acquireUninterruptibly()}) and returns a guard whose {@code close()}
   * releases it once: Python's {@code with lock:}, usable in any target without catching anything.
   */
  public Guard guard() {
    acquireUninterruptibly();
    return new Guard(this::release, previousOwnerDied());
  }

  /** Whether the calling thread owns the lock. Never blocks. */
  public boolean isHeldByCurrentThread() {
    return RobustMutex.isOwnedByCurrentThread(block(), at);
  }

  /** The calling thread's hold count: 0 if it does not own the lock. Never blocks. */
  public int getHoldCount() {
    return RobustMutex.holdCount(block(), at);
  }

  /**
   * Whether the current holding was taken over from a process that died owning the lock; cleared when
   * the lock is released. Never blocks.
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

  /** Like Python's repr: {@code <RLock(pid 123 thread 1, 2)>} or {@code <RLock(None, 0)>}. */
  @Override
  public String toString() {
    String owner = RobustMutex.describe(block(), at);
    return "free".equals(owner) ? "<RLock(None, 0)>" : "<RLock(" + owner + ")>";
  }
}
