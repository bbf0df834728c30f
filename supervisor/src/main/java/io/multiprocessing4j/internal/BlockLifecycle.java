package io.multiprocessing4j.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/**
 * Reference counting of named blocks across processes, without Python's resource-tracker troubles.
 *
 * <p>Every process that uses a named block holds a count in the block's {@link UserTable}. A block is
 * released (its file deleted) exactly once: when its last user closes it, or when the context that
 * created it closes, or when its last live user crashed and the creating context notices (on a child's
 * exit). A process exiting normally releases its counts on the way out ({@link ProcessAttachments});
 * a process that crashed is recognised as dead and no longer counts. So neither a crash nor a normal
 * exit of one user unlinks a block that another process still uses.
 *
 * <p>The race between the last user closing and a newcomer attaching is settled with the header's
 * state word, in Dekker's fashion: the releaser moves LIVE to CLOSING and then looks for users; an
 * attacher first claims its slot and then reads the state. With sequentially consistent accesses, at
 * least one of them sees the other: either the releaser backs off, or the attacher finds the block
 * going away and fails as if it did not exist. The CLOSING state names the releaser's pid, so that a
 * release abandoned by a process killed half-way (before it deleted anything) is undone by whoever
 * waits for it, instead of keeping them waiting for ever.
 */
public final class BlockLifecycle {
  /** Spins between two checks of a releaser's liveness (a check reads a small file). */
  private static final int CHECK_CLOSER_EVERY = 4096;

  private BlockLifecycle() {}

  /**
   * Counts this process as a user of a mapped named block (one more use if it already is one).
   *
   * @return the slot index hint for {@link #detach}
   * @throws NoSuchFileException if the block does not exist or is being released
   */
  public static int attach(SharedBlock block) throws NoSuchFileException {
    int slot = block.users().add(-1, 1);
    for (int spins = 1; ; spins++) {
      int state = block.getIntVolatile(SharedBlock.STATE_AT);
      if (state == SharedBlock.LIVE) {
        return slot;
      }
      if (state == SharedBlock.UNLINKED) {
        block.users().remove(slot, 1);
        throw new NoSuchFileException(block.path().toString(), null, "the block was unlinked");
      }
      awaitRelease(block, state, spins);
    }
  }

  /** The CLOSING state of a release by process {@code pid}. */
  static int closingBy(long pid) {
    return (int) (pid << 2) | SharedBlock.CLOSING;
  }

  /**
   * Waits a moment for a release in progress ({@code state} is CLOSING) to end; now and then checks
   * whether its process died half-way, and if so undoes the release (it deleted nothing before
   * leaving the CLOSING state).
   */
  private static void awaitRelease(SharedBlock block, int state, int spins) {
    if (spins % CHECK_CLOSER_EVERY == 0 && ProcessIdentity.isDead(state >>> 2, 0)) {
      block.compareAndSetInt(SharedBlock.STATE_AT, state, SharedBlock.LIVE);
    }
    Thread.onSpinWait();
  }

  /**
   * Stops counting one use by this process; if that was the last use by any live process, releases
   * the block. Returns whether this call released it.
   */
  public static boolean detach(SharedBlock block, int slot) {
    block.users().remove(slot, 1);
    return releaseIfUnused(block);
  }

  /** Releases the block if no live process uses it; returns whether this call released it. */
  public static boolean releaseIfUnused(SharedBlock block) {
    UserTable users = block.users();
    users.reclaimDead((pid, count) -> 0);
    if (users.occupied() > 0 || block.getIntVolatile(SharedBlock.STATE_AT) != SharedBlock.LIVE) {
      return false;
    }
    int closing = closingBy(ProcessIdentity.PID);
    if (!block.compareAndSetInt(SharedBlock.STATE_AT, SharedBlock.LIVE, closing)) {
      return false;
    }
    // Compare-and-sets: the creating context may have released the block meanwhile (see releaseWithContext).
    if (users.occupied() > 0) {
      block.compareAndSetInt(SharedBlock.STATE_AT, closing, SharedBlock.LIVE);
      return false;
    }
    if (!block.compareAndSetInt(SharedBlock.STATE_AT, closing, SharedBlock.UNLINKED)) {
      return false;
    }
    delete(block);
    return true;
  }

  /**
   * The creating context closes: the block is released whatever its users do, and marked so in its
   * header, so that a handle that outlives the context (in any process) neither uses the name nor, when
   * it closes, deletes a later block that took the name. Returns whether this call removed the name.
   */
  public static boolean releaseWithContext(SharedBlock block) {
    while (true) {
      int state = block.getIntVolatile(SharedBlock.STATE_AT);
      if (state == SharedBlock.UNLINKED) {
        return false;
      }
      if (block.compareAndSetInt(SharedBlock.STATE_AT, state, SharedBlock.UNLINKED)) {
        delete(block);
        return true;
      }
    }
  }

  /**
   * Python's {@code unlink()}: removes the name now; processes that map the block keep its memory until
   * they close it. Returns whether this call removed it (false if it was already gone).
   */
  public static boolean unlink(SharedBlock block) {
    for (int spins = 1; ; spins++) {
      int state = block.getIntVolatile(SharedBlock.STATE_AT);
      if (state == SharedBlock.UNLINKED) {
        return false;
      }
      if (state == SharedBlock.LIVE) {
        if (block.compareAndSetInt(SharedBlock.STATE_AT, SharedBlock.LIVE, SharedBlock.UNLINKED)) {
          delete(block);
          return true;
        }
      } else {
        awaitRelease(block, state, spins);
      }
    }
  }

  /** Whether the block's name has been removed. */
  public static boolean isUnlinked(SharedBlock block) {
    return block.getIntVolatile(SharedBlock.STATE_AT) == SharedBlock.UNLINKED;
  }

  private static void delete(SharedBlock block) {
    try {
      Files.deleteIfExists(block.path());
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete the shared memory block " + block.path(), e);
    }
  }
}
