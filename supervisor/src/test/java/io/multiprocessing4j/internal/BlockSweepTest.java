package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep of blocks whose creating process died: it takes nothing away from a live process, as
 * SharedMemory promises, and still removes what nobody uses.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockSweepTest {
  @TempDir
  Path directory;

  @Test
  void aNamedBlockOfADeadCreatorStaysWhileALiveProcessUsesItAndGoesWithItsLastUse() throws Exception {
    SharedBlock block = createdByADeadProcess("mp4j_shared", SharedBlock.Kind.SHARED_MEMORY);
    int slot = BlockLifecycle.attach(block);
    BlockStore.sweep(directory);
    assertTrue(Files.exists(block.path()), "the sweep took a block away from the live process using it");
    BlockLifecycle.detach(block, slot);
    assertFalse(Files.exists(block.path()), "its last use released it");
  }

  @Test
  void blocksOfADeadCreatorThatNobodyUsesAreSwept() throws Exception {
    SharedBlock named = createdByADeadProcess("mp4j_unused", SharedBlock.Kind.SHARED_MEMORY);
    SharedBlock value = createdByADeadProcess("mp4j_1-2-3", SharedBlock.Kind.VALUE);
    BlockStore.sweep(directory);
    assertFalse(Files.exists(named.path()));
    assertFalse(Files.exists(value.path()));
  }

  private SharedBlock createdByADeadProcess(String file, SharedBlock.Kind kind) throws Exception {
    java.lang.Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
    SharedBlock block = SharedBlock.create(directory.resolve(file), kind, 64);
    block.setLongVolatile(SharedBlock.CREATOR_START_AT, 0);
    block.setLongVolatile(SharedBlock.CREATOR_PID_AT, gone.pid());
    return block;
  }

  /** A process killed in the few instructions of a release it had begun must not leave attachers spinning. */
  @Test
  void aReleaseBegunByAProcessThatDiedDoesNotHoldUpAttachOrUnlink() throws Exception {
    SharedBlock block = createdByADeadProcess("mp4j_abandoned", SharedBlock.Kind.SHARED_MEMORY);
    java.lang.Process closer = new ProcessBuilder("true").start();
    assertTrue(closer.waitFor(30, TimeUnit.SECONDS));
    block.setIntVolatile(SharedBlock.STATE_AT, BlockLifecycle.closingBy(closer.pid()));
    java.util.concurrent.CompletableFuture<Integer> attached = new java.util.concurrent.CompletableFuture<>();
    Thread attacher = new Thread(() -> {
      try {
        attached.complete(BlockLifecycle.attach(block));
      } catch (Throwable e) {
        attached.completeExceptionally(e);
      }
    }, "attacher");
    attacher.setDaemon(true);
    attacher.start();
    int slot = attached.get(10, TimeUnit.SECONDS);
    assertTrue(Files.exists(block.path()));
    assertTrue(BlockLifecycle.unlink(block));
    BlockLifecycle.detach(block, slot);
    assertFalse(Files.exists(block.path()));
  }
}
