package io.multiprocessing4j.internal;

import java.util.function.LongBinaryOperator;
import java.util.function.LongConsumer;

/**
 * A table in shared memory of the processes that hold something, with a count per process: the users
 * of a {@code SharedMemory} block, the parties of a barrier, the permits a semaphore has handed out. It
 * is what lets a survivor find out that a process died while holding something, and take it back.
 *
 * <p>Each slot is 16 bytes: a word {@code pid << 32 | count} and the process's start time (see
 * {@link ProcessIdentity}). A process claims a free slot with a compare-and-set, then records its start
 * time; only the process itself changes its own count. A slot is freed in the opposite order (start
 * time cleared, then the word), so a reader that sees a claimed word never pairs it with a previous
 * occupant's start time. A dead process's slot is reclaimed by whoever notices first: one
 * compare-and-set moves it to a reclaiming marker, so its count is handed back exactly once.
 *
 * <p>Limits, stated in the primitives' contracts: a process killed between changing the thing it holds
 * and changing its slot (a few instructions) is not accounted for; when every slot is taken, further
 * processes are not tracked.
 */
public final class UserTable {
  /** Bytes per slot. */
  public static final int SLOT_BYTES = 16;
  private static final long RECLAIMING = 0xffff_ffffL << 32;
  private static final long COUNT_MASK = 0xffff_ffffL;
  /** The largest count a slot records. */
  public static final long MAX_COUNT = COUNT_MASK;

  private final SharedBlock block;
  private final int base;
  private final int slots;

  /**
   * @param block the block holding the table
   * @param base absolute offset of the first slot (8-byte aligned)
   * @param slots number of slots
   */
  public UserTable(SharedBlock block, int base, int slots) {
    this.block = block;
    this.base = base;
    this.slots = slots;
  }

  /**
   * Adds {@code delta} (positive) to this process's count, claiming a slot if this process has none. The
   * count stops at {@value #MAX_COUNT} instead of spilling into the pid: a process whose acquires others
   * release (a semaphore's producer) records them all, and may run for billions.
   *
   * @return the slot index, or -1 if the table is full (the holding is then not tracked)
   */
  public int add(int hint, int delta) {
    while (true) {
      int slot = findMine(hint, false);
      if (slot < 0) {
        break;
      }
      // A compare-and-set, not an add: another thread of this process may be freeing the slot.
      long word = block.getLongVolatile(wordAt(slot));
      long count = Math.min(MAX_COUNT, (word & COUNT_MASK) + delta);
      if ((word >>> 32) == ProcessIdentity.PID
          && block.compareAndSetLong(wordAt(slot), word, (word & ~COUNT_MASK) | count)) {
        return slot;
      }
      hint = -1;
    }
    long claimed = (ProcessIdentity.PID << 32) | delta;
    for (int i = 0; i < slots; i++) {
      if (block.getLongVolatile(wordAt(i)) == 0 && block.compareAndSetLong(wordAt(i), 0, claimed)) {
        block.setLongVolatile(wordAt(i) + 8, ProcessIdentity.START);
        return i;
      }
    }
    return -1;
  }

  /**
   * Takes up to {@code delta} from this process's count (never below zero), freeing the slot when it
   * reaches zero.
   *
   * @return how much was taken (0 if this process holds nothing here)
   */
  public int remove(int hint, int delta) {
    while (true) {
      int slot = findMine(hint, true);
      if (slot < 0) {
        return 0;
      }
      int at = wordAt(slot);
      long word = block.getLongVolatile(at);
      long count = word & COUNT_MASK;
      if ((word >>> 32) != ProcessIdentity.PID || count == 0) {
        hint = -1;
        continue;
      }
      long taken = Math.min(count, delta);
      if (count == taken) {
        // Last of it: clear the start time first, so no reader pairs a future occupant with it.
        block.setLongVolatile(at + 8, 0);
        if (block.compareAndSetLong(at, word, 0)) {
          return (int) taken;
        }
        // Another thread of this process added to the slot meanwhile: it stays ours.
        block.setLongVolatile(at + 8, ProcessIdentity.START);
      } else if (block.compareAndSetLong(at, word, word - taken)) {
        return (int) taken;
      }
    }
  }

  /** This process's count (summed over its slots). */
  public long mine() {
    long total = 0;
    for (int i = 0; i < slots; i++) {
      long word = block.getLongVolatile(wordAt(i));
      if ((word >>> 32) == ProcessIdentity.PID) {
        total += word & COUNT_MASK;
      }
    }
    return total;
  }

  /**
   * Reclaims the slots of dead processes, calling {@code onDead.applyAsLong(pid, count)} once for each
   * (its result is ignored). Costs a liveness check per occupied slot of another process.
   *
   * @return how many slots were reclaimed
   */
  public int reclaimDead(LongBinaryOperator onDead) {
    int reclaimed = 0;
    for (int i = 0; i < slots; i++) {
      int at = wordAt(i);
      long word = block.getLongVolatile(at);
      long pid = word >>> 32;
      if (word == 0 || pid == ProcessIdentity.PID || (word & ~COUNT_MASK) == RECLAIMING) {
        continue;
      }
      long start = block.getLongVolatile(at + 8);
      if (block.getLongVolatile(at) != word || !ProcessIdentity.isDead(pid, start)) {
        continue;
      }
      if (block.compareAndSetLong(at, word, RECLAIMING)) {
        block.setLongVolatile(at + 8, 0);
        block.setLongVolatile(at, 0);
        onDead.applyAsLong(pid, word & COUNT_MASK);
        reclaimed++;
      }
    }
    return reclaimed;
  }

  /** The counts of every slot, summed (a slot being reclaimed counts as empty). */
  public long total() {
    long total = 0;
    for (int i = 0; i < slots; i++) {
      long word = block.getLongVolatile(wordAt(i));
      if ((word & ~COUNT_MASK) != RECLAIMING) {
        total += word & COUNT_MASK;
      }
    }
    return total;
  }

  /** Whether a process other than this one, alive as far as a liveness check can tell, holds a slot. */
  public boolean anyOtherLiveUser() {
    for (int i = 0; i < slots; i++) {
      int at = wordAt(i);
      long word = block.getLongVolatile(at);
      long pid = word >>> 32;
      if (word == 0 || pid == ProcessIdentity.PID) {
        continue;
      }
      if ((word & ~COUNT_MASK) == RECLAIMING || !ProcessIdentity.isDead(pid, block.getLongVolatile(at + 8))) {
        return true;
      }
    }
    return false;
  }

  /** Calls {@code action} with the pid of every process that has a count here. */
  public void forEachProcess(LongConsumer action) {
    for (int i = 0; i < slots; i++) {
      long word = block.getLongVolatile(wordAt(i));
      if ((word & COUNT_MASK) != 0 && (word & ~COUNT_MASK) != RECLAIMING) {
        action.accept(word >>> 32);
      }
    }
  }

  /** The number of occupied slots (processes tracked). */
  public int occupied() {
    int count = 0;
    for (int i = 0; i < slots; i++) {
      if (block.getLongVolatile(wordAt(i)) != 0) {
        count++;
      }
    }
    return count;
  }

  private int findMine(int hint, boolean needCount) {
    if (hint >= 0 && hint < slots && isMine(hint, needCount)) {
      return hint;
    }
    for (int i = 0; i < slots; i++) {
      if (isMine(i, needCount)) {
        return i;
      }
    }
    return -1;
  }

  private boolean isMine(int slot, boolean needCount) {
    long word = block.getLongVolatile(wordAt(slot));
    return (word >>> 32) == ProcessIdentity.PID && (!needCount || (word & COUNT_MASK) != 0);
  }

  private int wordAt(int slot) {
    return base + slot * SLOT_BYTES;
  }
}
