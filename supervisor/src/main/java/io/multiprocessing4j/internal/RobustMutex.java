package io.multiprocessing4j.internal;

/**
 * The algorithm of every cross-process lock ({@code Lock}, {@code RLock}, the lock of a {@code Value}
 * or {@code Array}, the lock under a {@code Condition}): a 64-byte record in shared memory, taken with
 * one compare-and-set, that survives the death of its owner like a POSIX robust mutex.
 *
 * <p>Record layout (offsets from the record's start):
 * <pre>
 *   0  long owner        0 = free, else pid &lt;&lt; 32 | thread id  (see {@link ProcessIdentity#currentOwner()})
 *   8  long ownerStart   the owner process's start time, 0 while not yet recorded
 *  16  int  count        recursion depth (RLock), written by the owner only
 *  20  int  ownerDied    1 while the current holding was taken over from a dead owner
 * </pre>
 *
 * <p><b>Owner death.</b> A waiter that has waited a couple of milliseconds checks, each time it wakes
 * (every 5 to 50 ms, see {@link Backoff}), whether the owner process is still alive. If it died (or
 * its pid now belongs to a process that started at another time), the waiter takes the lock over
 * with a compare-and-set from that owner to itself and sets {@code ownerDied}: its acquire returns
 * normally and
 * {@code previousOwnerDied()} tells it that the data the lock protects may be half-updated (the
 * equivalent of {@code EOWNERDEAD}); the flag clears on release. {@code ownerStart} is always cleared
 * before {@code owner} changes hands, so a reader never pairs an owner with a previous owner's start
 * time and steals from a live process.
 *
 * <p>Only process death is detected: a thread that ends without releasing leaves the lock held, as in
 * Python.
 */
public final class RobustMutex {
  /** Bytes per record (a cache line, so two locks never share one). */
  public static final int BYTES = 64;
  private static final int OWNER = 0;
  private static final int OWNER_START = 8;
  private static final int COUNT = 16;
  private static final int OWNER_DIED = 20;

  private RobustMutex() {}

  /**
   * Takes the lock if it is free (or, when {@code reentrant}, held by the calling thread), or if its
   * owner died (checked now and then, see {@link SharedBlock#holderCheckDue()}).
   *
   * @return whether the caller now holds it
   */
  public static boolean tryAcquire(SharedBlock block, int at, boolean reentrant) {
    if (takeIfFree(block, at, reentrant)) {
      return true;
    }
    long owner = block.getLongVolatile(at + OWNER);
    return owner != 0 && block.holderCheckDue()
        && takeOverFromDeadOwner(block, at, owner, ProcessIdentity.currentOwner());
  }

  private static boolean takeIfFree(SharedBlock block, int at, boolean reentrant) {
    long me = ProcessIdentity.currentOwner();
    long owner = block.getLongVolatile(at + OWNER);
    if (owner == me && reentrant) {
      block.setInt(at + COUNT, block.getInt(at + COUNT) + 1);
      return true;
    }
    if (owner == 0 && block.compareAndSetLong(at + OWNER, 0, me)) {
      acquired(block, at, false);
      return true;
    }
    return false;
  }

  /**
   * Takes the lock, waiting at most {@code timeout} (null = no limit), and taking it over from a dead
   * owner.
   *
   * @return true when acquired, false when the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  public static boolean acquire(SharedBlock block, int at, boolean reentrant, java.time.Duration timeout)
      throws InterruptedException {
    return takeIfFree(block, at, reentrant) || acquire(block, at, reentrant, Backoff.within(block, timeout));
  }

  /** Takes the lock without a time limit, ignoring (but keeping) interrupts. */
  public static void acquireUninterruptibly(SharedBlock block, int at, boolean reentrant) {
    if (takeIfFree(block, at, reentrant)) {
      return;
    }
    try {
      acquire(block, at, reentrant, Backoff.uninterruptibly(block));
    } catch (InterruptedException impossible) {
      throw new AssertionError("an uninterruptible wait was interrupted", impossible);
    }
  }

  private static boolean acquire(SharedBlock block, int at, boolean reentrant, Backoff backoff)
      throws InterruptedException {
    long me = ProcessIdentity.currentOwner();
    try {
      while (true) {
        long owner = block.getLongVolatile(at + OWNER);
        if (owner == 0) {
          if (block.compareAndSetLong(at + OWNER, 0, me)) {
            acquired(block, at, false);
            return true;
          }
        } else if (backoff.checkDue() && takeOverFromDeadOwner(block, at, owner, me)) {
          return true;
        }
        if (!backoff.pause()) {
          return false;
        }
      }
    } finally {
      backoff.done();
    }
  }

  private static void acquired(SharedBlock block, int at, boolean ownerDied) {
    block.setLong(at + OWNER_START, ProcessIdentity.START);
    block.setInt(at + COUNT, 1);
    if (ownerDied) {
      block.setIntVolatile(at + OWNER_DIED, 1);
    }
  }

  private static boolean takeOverFromDeadOwner(SharedBlock block, int at, long owner, long me) {
    long start = block.getLongVolatile(at + OWNER_START);
    if (block.getLongVolatile(at + OWNER) != owner
        || !ProcessIdentity.isDead(ProcessIdentity.pidOf(owner), start)) {
      return false;
    }
    if (start != 0 && !block.compareAndSetLong(at + OWNER_START, start, 0)) {
      return false;
    }
    if (!block.compareAndSetLong(at + OWNER, owner, me)) {
      return false;
    }
    acquired(block, at, true);
    return true;
  }

  /**
   * Releases one level of the lock.
   *
   * @param anyThread whether a thread that does not own the lock may release it (Python's
   *     {@code Lock}, released cross-process as a binary semaphore); false for {@code RLock}
   * @throws IllegalStateException if the lock is not held
   * @throws IllegalMonitorStateException if {@code anyThread} is false and the caller does not own it
   */
  public static void release(SharedBlock block, int at, boolean anyThread) {
    long me = ProcessIdentity.currentOwner();
    long owner = block.getLongVolatile(at + OWNER);
    if (owner == me) {
      int count = block.getInt(at + COUNT);
      if (count > 1 && !anyThread) {
        block.setInt(at + COUNT, count - 1);
        return;
      }
      clearForNextOwner(block, at);
      block.setLongRelease(at + OWNER, 0);
      Doorbell.ring(block);
      return;
    }
    if (!anyThread) {
      throw new IllegalMonitorStateException(owner == 0 ? "cannot release an un-acquired lock"
          : "cannot release a lock owned by another thread or process (" + describeOwner(owner) + ")");
    }
    // Another thread's or process's holding: a compare-and-set, since a waiter may be taking it over.
    while (owner != 0) {
      clearForNextOwner(block, at);
      if (block.compareAndSetLong(at + OWNER, owner, 0)) {
        Doorbell.ring(block);
        return;
      }
      owner = block.getLongVolatile(at + OWNER);
    }
    throw new IllegalStateException("cannot release an un-acquired lock (released too many times)");
  }

  private static void clearForNextOwner(SharedBlock block, int at) {
    if (block.getInt(at + OWNER_DIED) != 0) {
      block.setInt(at + OWNER_DIED, 0);
    }
    block.setLong(at + OWNER_START, 0);
  }

  /**
   * Releases the lock entirely, whatever its recursion depth (for a condition wait).
   *
   * @return the depth to restore with {@link #restore}
   * @throws IllegalMonitorStateException if the caller does not own the lock
   */
  public static int releaseFully(SharedBlock block, int at) {
    long owner = block.getLongVolatile(at + OWNER);
    if (owner != ProcessIdentity.currentOwner()) {
      throw new IllegalMonitorStateException(owner == 0 ? "cannot wait on an un-acquired lock"
          : "cannot wait on a lock owned by another thread or process (" + describeOwner(owner) + ")");
    }
    int count = block.getInt(at + COUNT);
    clearForNextOwner(block, at);
    block.setLongRelease(at + OWNER, 0);
    Doorbell.ring(block);
    return count;
  }

  /** Sets the recursion depth after the caller re-acquired the lock (see {@link #releaseFully}). */
  public static void restore(SharedBlock block, int at, int count) {
    block.setInt(at + COUNT, count);
  }

  /** Whether the calling thread owns the lock. */
  public static boolean isOwnedByCurrentThread(SharedBlock block, int at) {
    return block.getLongVolatile(at + OWNER) == ProcessIdentity.currentOwner();
  }

  /** Whether anyone holds the lock. */
  public static boolean isLocked(SharedBlock block, int at) {
    return block.getLongVolatile(at + OWNER) != 0;
  }

  /** The calling thread's recursion depth (0 if it does not own the lock). */
  public static int holdCount(SharedBlock block, int at) {
    return isOwnedByCurrentThread(block, at) ? block.getInt(at + COUNT) : 0;
  }

  /** Whether the current holding was taken over from an owner that died. */
  public static boolean previousOwnerDied(SharedBlock block, int at) {
    return block.getLongVolatile(at + OWNER) != 0 && block.getIntVolatile(at + OWNER_DIED) != 0;
  }

  /** "free" or "pid P thread T", for messages and toString. */
  public static String describe(SharedBlock block, int at) {
    long owner = block.getLongVolatile(at + OWNER);
    return owner == 0 ? "free" : describeOwner(owner);
  }

  private static String describeOwner(long owner) {
    return "pid " + ProcessIdentity.pidOf(owner) + " thread " + (owner & 0xffff_ffffL);
  }
}
