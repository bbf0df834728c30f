package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.RobustMutex;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.Serializable;

/**
 * What {@link Value} and {@link Array} have in common: a block of shared memory that starts with an
 * optional process-shared lock (Python's {@code lock=True}, absent from {@code RawValue} and
 * {@code RawArray}), mapped in each process on first use. Their element access lives in the
 * subclasses; the mapping and the locking of one access live here.
 */
abstract class LockableBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Where the lock sits: the first data bytes of the block. */
  static final int LOCK_AT = SharedBlock.HEADER_BYTES;
  /** Where the payload starts, after the lock's bytes (reserved even in a raw block). */
  static final int PAYLOAD_AT = SharedBlock.HEADER_BYTES + RobustMutex.BYTES;

  private final BlockRef ref;
  private final boolean locked;
  /** "value" or "array", for messages. */
  private final String kind;

  LockableBlock(BlockRef ref, boolean locked, String kind) {
    this.ref = ref;
    this.locked = locked;
    this.kind = kind;
  }

  /** Whether this was created with a lock (Python's {@code lock=True}); false for a raw one. */
  public final boolean hasLock() {
    return locked;
  }

  /**
   * The re-entrant lock of this value or array. Python's {@code get_lock()}.
   *
   * @throws IllegalStateException for a raw one, which has none (Python: {@code AttributeError})
   */
  public final RLock getLock() {
    if (!locked) {
      throw new IllegalStateException("a raw " + kind + " has no lock; create it with mp." + kind
          + "(...) to get one");
    }
    return new RLock(ref, LOCK_AT);
  }

  /** This process's mapping of the block, made on first use. */
  final SharedBlock block() {
    return ref.map();
  }

  /** Takes the lock, if there is one, for one access (re-entrant, so it nests in a caller's holding). */
  final SharedBlock lock() {
    SharedBlock mapped = block();
    if (locked) {
      RobustMutex.acquireUninterruptibly(mapped, LOCK_AT, true);
    }
    return mapped;
  }

  final void unlock(SharedBlock mapped) {
    if (locked) {
      RobustMutex.release(mapped, LOCK_AT, false);
    }
  }

  /** Runs {@code action} under the lock, if there is one (for bulk copies). */
  final void underLock(Runnable action) {
    SharedBlock mapped = lock();
    try {
      action.run();
    } finally {
      unlock(mapped);
    }
  }
}
