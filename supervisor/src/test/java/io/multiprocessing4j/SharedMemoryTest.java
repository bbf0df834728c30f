package io.multiprocessing4j;

import java.util.concurrent.CountDownLatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.BlockStore;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** SharedMemory: attach by name from a child, and a lifecycle that no crash or exit can break. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedMemoryTest {
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: attach by name, answer in the block, close. */
  static void answerByName(String name) {
    try (SharedMemory block = SharedMemory.attach(name)) {
      ByteBuffer bytes = block.buf();
      byte[] question = new byte[5];
      bytes.get(0, question);
      bytes.put(100, ("re: " + new String(question, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** Child side: a received handle is attached; mark it, say so, then wait to be killed. */
  static void holdUntilKilled(SharedMemory block, Value.OfBoolean attached) {
    block.buf().put(0, (byte) 42);
    attached.set(true);
    try {
      new CountDownLatch(1).await(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aChildAttachesByNameAndWritesWhatTheParentReads() throws Exception {
    String name = "t" + System.nanoTime();
    try (SharedMemory block = mp.sharedMemory(name, 4096)) {
      assertEquals(name, block.name());
      assertEquals(4096, block.size());
      block.buf().put(0, "hello".getBytes(StandardCharsets.US_ASCII));
      Process p = mp.process(() -> answerByName(name));
      p.start();
      p.join();
      assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
      byte[] answer = new byte[9];
      block.buf().get(100, answer);
      assertEquals("re: hello", new String(answer, StandardCharsets.US_ASCII));
      assertTrue(Files.exists(BlockStore.namedPath(name)), "the child's close did not release the parent's block");
    }
    assertFalse(Files.exists(BlockStore.namedPath(name)), "the last close releases the block");
  }

  @Test
  void theLastCloseReleasesAndAttachingAfterwardsFailsClearly() {
    SharedMemory block = mp.sharedMemory(64);
    assertTrue(block.name().startsWith("psm_"), block.name());
    SharedMemory second = SharedMemory.attach(block.name());
    block.close();
    assertTrue(Files.exists(BlockStore.namedPath(block.name())), "still attached through the second handle");
    assertThrows(IllegalStateException.class, block::buf);
    second.close();
    second.close();
    assertFalse(Files.exists(BlockStore.namedPath(block.name())));
    UncheckedIOException error = assertThrows(UncheckedIOException.class, () -> SharedMemory.attach(block.name()));
    assertInstanceOf(NoSuchFileException.class, error.getCause());
  }

  @Test
  void unlinkRemovesTheNameButNotTheMemory() {
    SharedMemory block = mp.sharedMemory(16);
    block.buf().put(0, (byte) 7);
    block.unlink();
    assertThrows(UncheckedIOException.class, () -> SharedMemory.attach(block.name()));
    assertEquals(7, block.buf().get(0), "the memory stays usable through open handles");
    block.unlink();
    block.close();
  }

  @Test
  void namesAreCheckedAndUnique() {
    String name = "dup" + System.nanoTime();
    try (SharedMemory block = mp.sharedMemory(name, 8)) {
      UncheckedIOException error = assertThrows(UncheckedIOException.class, () -> mp.sharedMemory(name, 8));
      assertInstanceOf(FileAlreadyExistsException.class, error.getCause());
    }
    assertThrows(IllegalArgumentException.class, () -> mp.sharedMemory("../etc", 8));
    assertThrows(IllegalArgumentException.class, () -> mp.sharedMemory(0));
  }

  @Test
  void aCrashedUserNeitherUnlinksTheBlockNorKeepsItAlive() throws Exception {
    SharedMemory block = mp.sharedMemory(4096);
    Path file = BlockStore.namedPath(block.name());
    Value.OfBoolean attached = mp.rawValue(false);
    Process p = mp.process(() -> holdUntilKilled(block, attached));
    p.start();
    assertTrue(SharedFiles.awaitState(attached::get, CHILD_BOOT), "the child attached");
    assertEquals(42, block.buf().get(0));

    block.close();
    assertTrue(Files.exists(file), "the parent's close leaves the block to the child that still uses it");

    p.kill();
    p.join();
    assertFalse(Files.exists(file), "the crashed child was the last user: the block is released on its exit");
  }

  @Test
  void aNameReleasedAndTakenByAnotherContextIsNotDeletedByTheFirstContextsClose() throws Exception {
    String name = "reuse" + System.nanoTime();
    mp.sharedMemory(name, 64).close();
    try (Multiprocessing other = Multiprocessing.create(); SharedMemory reused = other.sharedMemory(name, 64)) {
      reused.buf().put(0, (byte) 9);
      mp.close();
      assertTrue(Files.exists(BlockStore.namedPath(name)), "the first context deleted another context's block");
      try (SharedMemory attached = SharedMemory.attach(name)) {
        assertEquals(9, attached.buf().get(0));
      }
    }
  }

  @Test
  void aHandleWhoseContextClosedRefusesItsBufferInsteadOfHandingOutMemoryNobodyShares() throws Exception {
    Multiprocessing first = Multiprocessing.create();
    SharedMemory orphan = first.sharedMemory(64);
    orphan.buf().put(0, (byte) 1);
    first.close();
    IllegalStateException gone = assertThrows(IllegalStateException.class, orphan::buf);
    assertTrue(gone.getMessage().contains("context"), gone.getMessage());
    orphan.close();
  }

  @Test
  void aHandleClosedAfterItsContextClosedLeavesANewBlockOfTheSameNameAlone() throws Exception {
    String name = "outlived" + System.nanoTime();
    Multiprocessing first = Multiprocessing.create();
    SharedMemory outlived = first.sharedMemory(name, 64);
    first.close();
    try (SharedMemory reused = mp.sharedMemory(name, 64)) {
      outlived.close();
      assertTrue(Files.exists(BlockStore.namedPath(name)), "closing a handle of the old block deleted the new one");
      try (SharedMemory attached = SharedMemory.attach(name)) {
        assertEquals(64, attached.size());
      }
    }
  }

  @Test
  void releasedBlocksAreForgottenByTheirContext() throws Exception {
    SharedMemory closed = mp.sharedMemory(64);
    closed.close();
    SharedMemory unlinked = mp.sharedMemory(64);
    unlinked.unlink();
    try (SharedMemory open = mp.sharedMemory(64)) {
      List<String> kept = mp.blocks().ownedFiles().stream().map(path -> path.getFileName().toString()).toList();
      assertEquals(List.of(BlockStore.namedPath(open.name()).getFileName().toString()), kept,
          "a context keeps the mapping of every block it ever created, released or not, until it closes");
    }
    unlinked.close();
  }

  /** Pool task side: how many mappings of the block's file this process has. */
  static long mappingsOf(SharedMemory block) {
    block.buf().get(0);
    String file = BlockStore.namedPath(block.name()).toString();
    try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.filter(line -> line.endsWith(file) || line.endsWith(file + " (deleted)")).count();
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aHandleSentWithEveryPoolTaskIsNotKeptByTheWorker() throws Exception {
    SharedMemory block = mp.sharedMemory(4096);
    try (Pool pool = mp.pool(1)) {
      long first = pool.apply(() -> mappingsOf(block));
      List<Long> counts = pool.map(item -> {
        System.gc();
        return mappingsOf(item);
      }, java.util.Collections.nCopies(300, block), 1);
      long last = counts.get(counts.size() - 1);
      assertTrue(last < first + 50, "the worker keeps every handle it received, with its mapping: " + first
          + " mapping(s) after the first task, " + last + " after 300 more");
    }
    block.close();
  }

  @Test
  void theContextReleasesItsBlocksWhenItCloses() throws Exception {
    Multiprocessing other = Multiprocessing.create();
    SharedMemory block = other.sharedMemory(128);
    other.value(1);
    other.array(Array.DOUBLE, 10);
    other.rLock();
    assertEquals(4, SharedFiles.createdByThisJvm().size());
    other.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm());
    assertThrows(IllegalStateException.class, () -> other.sharedMemory(8));
    block.close();
  }
}
