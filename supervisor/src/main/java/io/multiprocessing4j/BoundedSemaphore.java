package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;

/**
 * A {@link Semaphore} that may not be released above its initial value: Python's
 * {@code multiprocessing.BoundedSemaphore}. {@link #release()} then throws
 * {@link IllegalStateException} (Python raises {@code ValueError}). Created by
 * {@link Multiprocessing#boundedSemaphore(int)}; the rest of the contract is {@link Semaphore}'s,
 * including the return of permits held by dead processes.
 */
public final class BoundedSemaphore extends Semaphore {
  private static final long serialVersionUID = 1L;

  BoundedSemaphore(BlockRef ref) {
    super(ref);
  }

  /** The initial value, above which this semaphore refuses to be released. */
  public int maxValue() {
    return bound();
  }

  /** Like Python's repr: {@code <BoundedSemaphore(value=1, maxvalue=2)>}. */
  @Override
  public String toString() {
    return "<BoundedSemaphore(value=" + getValue() + ", maxvalue=" + maxValue() + ")>";
  }
}
