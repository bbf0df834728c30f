package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;

/**
 * A re-entrant lock shared by processes: Python's {@code multiprocessing.RLock}. Owned by one thread
 * of one process, which may acquire it again and must release it as many times. Created by
 * {@link Multiprocessing#rLock()}; it is also the lock of every {@link Value} and {@link Array} created
 * with a lock. {@link Serializable}: capture it in a target to use it in a child or a pool task.
 *
 * <p>{@code acquire}, {@code tryAcquire} and {@code guard} re-enter when the calling thread owns it;
 * {@code release()} decrements the hold count and frees the lock at zero, and only the owner may call
 * it (otherwise {@link IllegalMonitorStateException}, as {@link java.util.concurrent.locks.ReentrantLock}
 * throws; Python's multiprocessing raises {@code AssertionError}).
 *
 * <p><b>Robust:</b> if the owning process dies, the next acquirer takes it over (with a hold count of
 * one) within milliseconds (at most about 50 ms) and {@link #previousOwnerDied()} is true until it releases, as for
 * {@link Lock}.
 */
public final class RLock extends RobustLock {
  private static final long serialVersionUID = 1L;

  RLock(BlockRef ref, int at) {
    super(ref, at, true);
  }

  static RLock create(BlockStore store) {
    return new RLock(allocate(store), SharedBlock.HEADER_BYTES);
  }

  /** Whether the calling thread owns the lock. Never blocks. */
  public boolean isHeldByCurrentThread() {
    return RobustMutex.isOwnedByCurrentThread(block(), offset());
  }

  /** The calling thread's hold count: 0 if it does not own the lock. Never blocks. */
  public int getHoldCount() {
    return RobustMutex.holdCount(block(), offset());
  }

  /** Like Python's repr: {@code <RLock(pid 123 thread 1, 2)>} or {@code <RLock(None, 0)>}. */
  @Override
  public String toString() {
    String owner = owner();
    return "free".equals(owner) ? "<RLock(None, 0)>" : "<RLock(" + owner + ")>";
  }
}
