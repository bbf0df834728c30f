package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;
import java.time.Duration;

/**
 * What {@link Lock} and {@link RLock} share: a {@code RobustMutex} word in a shared-memory block,
 * mapped lazily in whichever process the lock is used in. The two differ only in re-entrancy (and so in
 * who may release), which each passes to the mutex; their public contracts are documented on them.
 */
abstract class RobustLock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final BlockRef ref;
  private final int at;
  private final boolean reentrant;

  RobustLock(BlockRef ref, int at, boolean reentrant) {
    this.ref = ref;
    this.at = at;
    this.reentrant = reentrant;
  }

  /** A fresh block holding one mutex, at {@link SharedBlock#HEADER_BYTES}. */
  static BlockRef allocate(BlockStore store) {
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, RobustMutex.BYTES);
    return new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC);
  }

  /**
   * Acquires the lock, blocking as long as it takes. Python's {@code acquire()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting (the lock is not taken then)
   */
  public void acquire() throws InterruptedException {
    RobustMutex.acquire(block(), at, reentrant, null);
  }

  /**
   * Acquires the lock, waiting at most {@code timeout} (null: no limit, Python's {@code None}).
   * Python's {@code acquire(timeout=...)}.
   *
   * @return true if acquired, false if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    return RobustMutex.acquire(block(), at, reentrant, timeout);
  }

  /**
   * Acquires the lock only if that needs no waiting; never blocks. Python's {@code acquire(block=False)}.
   * A lock whose owner process died is taken over as by a waiting acquire (checked at most every few
   * milliseconds), so a caller polling in a loop is not locked out for ever.
   *
   * @return whether the lock was acquired
   */
  public boolean tryAcquire() {
    return RobustMutex.tryAcquire(block(), at, reentrant);
  }

  /**
   * Acquires the lock, blocking as long as it takes and not giving up when interrupted (the interrupt
   * is kept for later), like {@link java.util.concurrent.locks.Lock#lock()}.
   */
  public void acquireUninterruptibly() {
    RobustMutex.acquireUninterruptibly(block(), at, reentrant);
  }

  /**
   * Releases the lock. Never blocks. Python's {@code release()}.
   *
   * @throws IllegalStateException if a {@link Lock} is not held (Python's {@code ValueError})
   * @throws IllegalMonitorStateException if an {@link RLock} is not held by the calling thread
   */
  public void release() {
    RobustMutex.release(block(), at, !reentrant);
  }

  /**
   * Acquires the lock (as {@link #acquireUninterruptibly()}) and returns a guard whose {@code close()}
   * releases it: Python's {@code with lock:}, usable in any target without catching anything.
   */
  public Guard guard() {
    acquireUninterruptibly();
    return new Guard(this::release, previousOwnerDied());
  }

  /**
   * Whether the current holding was taken over from a process that died holding the lock (like a
   * robust mutex's {@code EOWNERDEAD}); cleared by releasing it. Never blocks.
   */
  public boolean previousOwnerDied() {
    return RobustMutex.previousOwnerDied(block(), at);
  }

  final boolean reentrant() {
    return reentrant;
  }

  final SharedBlock block() {
    return ref.map();
  }

  final int offset() {
    return at;
  }

  /** The owner as {@code RobustMutex} describes it, or {@code "free"}. */
  final String owner() {
    return RobustMutex.describe(block(), at);
  }
}
