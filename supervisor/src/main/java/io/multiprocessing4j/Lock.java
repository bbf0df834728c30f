package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;

/**
 * A lock shared by processes: Python's {@code multiprocessing.Lock}. Created by
 * {@link Multiprocessing#lock()}; send it to children by capturing it in a target (it is
 * {@link Serializable}), and use it there, in the parent, in pool tasks and from any thread.
 *
 * <p>Methods: {@code acquire()}, {@code acquire(Duration)}, {@code tryAcquire()},
 * {@code acquireUninterruptibly()}, {@code release()} (any thread of any process may release it),
 * {@code guard()} and {@code previousOwnerDied()}, documented on the shared base.
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
public final class Lock extends RobustLock {
  private static final long serialVersionUID = 1L;

  private Lock(BlockRef ref, int at) {
    super(ref, at, false);
  }

  static Lock create(BlockStore store) {
    return new Lock(allocate(store), SharedBlock.HEADER_BYTES);
  }

  /** Whether some thread of some process holds the lock now. Never blocks. */
  public boolean isLocked() {
    return RobustMutex.isLocked(block(), offset());
  }

  /** Like Python's repr: {@code <Lock(owner=pid 123 thread 1)>} or {@code <Lock(owner=None)>}. */
  @Override
  public String toString() {
    String owner = owner();
    return "<Lock(owner=" + ("free".equals(owner) ? "None" : owner) + ")>";
  }
}
