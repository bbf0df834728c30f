package io.multiprocessing4j;

import io.multiprocessing4j.internal.Backoff;
import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.Doorbell;
import io.multiprocessing4j.internal.ProcessAttachments;
import io.multiprocessing4j.internal.SharedBlock;
import io.multiprocessing4j.internal.UserTable;
import java.io.Serializable;
import java.time.Duration;

/**
 * A counting semaphore shared by processes: Python's {@code multiprocessing.Semaphore}. Created by
 * {@link Multiprocessing#semaphore(int)}; {@link Serializable}, so capture it in a target to use it in
 * a child or a pool task. {@link BoundedSemaphore} refuses to be released above its initial value.
 *
 * <p><b>Permits of dead processes come back.</b> Each process's net holding (permits it acquired minus
 * permits it released) is recorded in shared memory. When a waiter has waited a few milliseconds it
 * checks, each time it wakes (every 5 to 50 ms), for holders that died (killed, crashed, terminated),
 * and returns their permits. This suits the common use, a limit on concurrent users of something. A
 * process that exits normally is struck off instead: permits it took and did not release stay taken,
 * as in Python, since someone else may be meant to release them (a producer taking free slots that a
 * consumer gives back). If you use a semaphore that way, note that permits acquired by a process that
 * then dies are returned. A process killed within the few instructions between taking a permit and
 * recording it loses that one permit, as every process would in Python; at most 128 processes holding
 * permits at once are tracked. A {@link BoundedSemaphore} never returns more than its bound leaves
 * room for beside what the other processes are recorded as holding: if another process had released a
 * permit the dead one took, that permit is not returned twice. So a live process that acquired permits
 * others released (a producer) is counted as holding them, and a dead holder's permits are not returned
 * as far as that leaves no room.
 */
public sealed class Semaphore implements Serializable permits BoundedSemaphore {
  private static final long serialVersionUID = 1L;
  private static final int VALUE_AT = SharedBlock.HEADER_BYTES;
  private static final int UNBOUNDED = -1;

  private final BlockRef ref;
  private transient int slotHint = -1;
  private transient boolean struckOffAtExit;

  Semaphore(BlockRef ref) {
    this.ref = ref;
  }

  static BlockRef allocate(BlockStore store, int value, boolean bounded) {
    if (value < 0) {
      throw new IllegalArgumentException("semaphore initial value must be >= 0, was " + value);
    }
    SharedBlock block = store.allocate(SharedBlock.Kind.SYNC, 2 * Integer.BYTES);
    block.setInt(VALUE_AT + Integer.BYTES, bounded ? value : UNBOUNDED);
    block.setIntVolatile(VALUE_AT, value);
    return new BlockRef(block.path().toString(), SharedBlock.Kind.SYNC);
  }

  /**
   * Takes a permit, blocking as long as none is available. Python's {@code acquire()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting (no permit is taken then)
   */
  public void acquire() throws InterruptedException {
    acquire(Backoff.forever(block()));
  }

  /**
   * Takes a permit, waiting at most {@code timeout} (null: no limit, Python's {@code None}). Python's
   * {@code acquire(timeout=...)}.
   *
   * @return true if a permit was taken, false if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public boolean acquire(Duration timeout) throws InterruptedException {
    return acquire(Backoff.within(block(), timeout));
  }

  /**
   * Takes a permit only if one is available now, or has come back from a dead holder (checked now and
   * then, at most every few milliseconds); never blocks. Python's {@code acquire(block=False)}.
   */
  public boolean tryAcquire() {
    SharedBlock mapped = block();
    return tryTake(mapped) || (mapped.holderCheckDue() && returnPermitsOfDeadHolders(mapped) && tryTake(mapped));
  }

  private boolean acquire(Backoff backoff) throws InterruptedException {
    SharedBlock mapped = block();
    try {
      while (!tryTake(mapped)) {
        if (backoff.checkDue()) {
          returnPermitsOfDeadHolders(mapped);
        }
        if (!backoff.pause()) {
          return false;
        }
      }
      return true;
    } finally {
      backoff.done();
    }
  }

  private boolean tryTake(SharedBlock mapped) {
    while (true) {
      int value = mapped.getIntVolatile(VALUE_AT);
      if (value <= 0) {
        return false;
      }
      if (mapped.compareAndSetInt(VALUE_AT, value, value - 1)) {
        slotHint = holders(mapped).add(slotHint, 1);
        if (!struckOffAtExit) {
          strikeOffAtExit(mapped);
        }
        return true;
      }
    }
  }

  /** A normal exit of this process strikes its holding off: only a death returns permits. */
  private void strikeOffAtExit(SharedBlock mapped) {
    struckOffAtExit = true;
    ProcessAttachments.onExit(ref.path(), () -> {
      while (holders(mapped).remove(-1, Integer.MAX_VALUE) > 0) {
        // Threads racing to claim this process's first slot may have claimed two.
      }
    });
  }

  /** Returns whether there were any. */
  private boolean returnPermitsOfDeadHolders(SharedBlock mapped) {
    int bound = mapped.getInt(VALUE_AT + Integer.BYTES);
    UserTable holders = holders(mapped);
    if (holders.reclaimDead((pid, permits) -> giveBack(mapped, holders, permits, bound)) > 0) {
      Doorbell.ring(mapped);
      return true;
    }
    return false;
  }

  /**
   * Adds a dead holder's permits back. A bounded semaphore gets back only what its bound leaves room
   * for beside the permits the other processes are recorded as holding: another process may already
   * have released one the dead one took (a hand-off), and returning it again would let more holders in
   * than the bound allows. Permits of such a hand-off are counted against the dead holder first, so a
   * live holder's release is not refused as one too many, short of a release racing this: one whose
   * record is taken off but whose permit is not yet added looks like room, and if the dead holder's
   * permits fill it, that release is refused; likewise an acquire between taking its permit and
   * recording it, which then lets one holder past the bound. Both need a hand-off and a death within
   * those few instructions of each other. An unbounded one stops at the largest int.
   */
  private static long giveBack(SharedBlock mapped, UserTable holders, long permits, int bound) {
    while (true) {
      int value = mapped.getIntVolatile(VALUE_AT);
      long room = bound == UNBOUNDED ? (long) Integer.MAX_VALUE - value : (long) bound - value - holders.total();
      // Compared as a long: the holdings may pass an int, and a room far below zero cast to an int can wrap.
      long returned = Math.min(permits, room);
      if (returned <= 0) {
        return 0;
      }
      if (mapped.compareAndSetInt(VALUE_AT, value, value + (int) returned)) {
        return returned;
      }
    }
  }

  /**
   * Gives back one permit (any process may release, as in Python). Never blocks. Python's
   * {@code release()}.
   *
   * @throws IllegalStateException for a {@link BoundedSemaphore} released above its initial value, or
   *     any semaphore released above {@link Integer#MAX_VALUE}
   */
  public void release() {
    release(1);
  }

  /**
   * Gives back {@code n} permits. Never blocks. Python's {@code release(n)}.
   *
   * @throws IllegalArgumentException if {@code n} is less than 1
   * @throws IllegalStateException for a {@link BoundedSemaphore} released above its initial value, or
   *     any semaphore released above {@link Integer#MAX_VALUE} (Python: {@code ValueError} /
   *     {@code OverflowError}); nothing is released then
   */
  public void release(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be one or more, was " + n);
    }
    SharedBlock mapped = block();
    int bound = mapped.getInt(VALUE_AT + Integer.BYTES);
    int most = bound == UNBOUNDED ? Integer.MAX_VALUE : bound;
    // The record first: a death before the value grows loses these permits rather than returning them twice.
    int unrecorded = holders(mapped).remove(slotHint, n);
    while (true) {
      int value = mapped.getIntVolatile(VALUE_AT);
      if (value > most - n) {
        if (unrecorded > 0) {
          slotHint = holders(mapped).add(slotHint, unrecorded);
        }
        throw new IllegalStateException("Semaphore released too many times (value " + value + ", releasing " + n
            + (bound == UNBOUNDED ? ", largest value " : ", bound ") + most + ")");
      }
      // A compare-and-set: two releases racing past the bound (or past the largest int) cannot both succeed.
      if (mapped.compareAndSetInt(VALUE_AT, value, value + n)) {
        break;
      }
    }
    Doorbell.ring(mapped);
  }

  /**
   * Takes a permit, blocking as long as it takes and not giving up when interrupted (the interrupt is
   * kept for later). {@link java.util.concurrent.Semaphore#acquireUninterruptibly()}.
   */
  public void acquireUninterruptibly() {
    try {
      acquire(Backoff.uninterruptibly(block()));
    } catch (InterruptedException impossible) {
      throw new AssertionError("an uninterruptible wait was interrupted", impossible);
    }
  }

  /**
   * Takes a permit (as {@link #acquireUninterruptibly()}) and returns a guard whose {@code close()}
   * gives it back: Python's {@code with semaphore:}.
   */
  public Guard guard() {
    acquireUninterruptibly();
    return new Guard(this::release, false);
  }

  /** The number of permits available now. Python's {@code get_value()}. Never blocks. */
  public int getValue() {
    return block().getIntVolatile(VALUE_AT);
  }

  /** The permits the calling process holds (acquired and not yet released). Never blocks. */
  public long heldByThisProcess() {
    return holders(block()).mine();
  }

  final int bound() {
    return block().getInt(VALUE_AT + Integer.BYTES);
  }

  private static UserTable holders(SharedBlock mapped) {
    return mapped.users();
  }

  private SharedBlock block() {
    return ref.map();
  }

  /** Like Python's repr: {@code <Semaphore(value=2)>}. */
  @Override
  public String toString() {
    return "<Semaphore(value=" + getValue() + ")>";
  }
}
