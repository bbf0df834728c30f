package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.BlockStore;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** ShareableList: typed slots in shared memory, shared with children, with SharedMemory's lifecycle. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShareableListTest {
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: the list arrived as a captured argument; change every slot. */
  static void modifyCaptured(ShareableList list) {
    list.set(0, (int) list.get(0) + 1);
    list.set(1, 2L * (long) list.get(1));
    list.set(2, -(double) list.get(2));
    list.set(3, !(boolean) list.get(3));
    list.set(4, "changed by a child, é");
    list.set(5, new byte[] {9, 8, 7});
    list.set(6, null);
  }

  /** Child side: attach by name, append a word to the string slot, close. */
  static void appendByName(String name) {
    try (ShareableList list = ShareableList.attach(name)) {
      list.set(-1, list.get(-1) + " world");
    }
  }

  /** Child side: the list is attached; say so, then wait to be killed. */
  static void holdUntilKilled(ShareableList list, Value.OfBoolean attached) {
    list.set(0, 42);
    attached.set(true);
    try {
      new CountDownLatch(1).await(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aChildModifiesEverySlotTypeAndTheParentReadsItBack() throws Exception {
    try (ShareableList list = mp.shareableList(
        Arrays.asList(1, 1L << 40, 2.5, false, "a string slot with room for more text", new byte[] {1, 2}, "x"))) {
      assertEquals(7, list.size());
      Process p = mp.process(() -> modifyCaptured(list));
      p.start();
      p.join();
      assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
      assertEquals(2, list.get(0));
      assertEquals(1L << 41, list.get(1));
      assertEquals(-2.5, list.get(2));
      assertEquals(true, list.get(3));
      assertEquals("changed by a child, é", list.get(4));
      assertArrayEquals(new byte[] {9, 8, 7}, (byte[]) list.get(5));
      assertNull(list.get(6));
      assertTrue(Files.exists(BlockStore.namedPath(list.name())), "the child's exit did not release the block");
    }
  }

  @Test
  void aChildAttachesByName() throws Exception {
    String name = "sl" + System.nanoTime();
    try (ShareableList list = mp.shareableList(name, List.of(7, "hello            "))) {
      list.set(1, "hello");
      assertEquals(name, list.name());
      assertEquals(name, list.shm().name());
      Process p = mp.process(() -> appendByName(name));
      p.start();
      p.join();
      assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
      assertEquals("hello world", list.get(1));
      assertEquals(List.of(7, "hello world"), list.toList());
      assertEquals("ShareableList([7, 'hello world'], name='" + name + "')", list.toString());
    }
    assertFalse(Files.exists(BlockStore.namedPath(name)), "the last close releases the block");
  }

  @Test
  void wrongTypesTooLongValuesAndBadIndexesFailClearlyAndLeaveTheSlot() {
    try (ShareableList list = mp.shareableList(Arrays.asList(1, 2L, "abc", new byte[3], null))) {
      IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class, () -> list.set(0, "one"));
      assertTrue(wrongType.getMessage().contains("holds Integer, not String"), wrongType.getMessage());
      assertThrows(IllegalArgumentException.class, () -> list.set(0, 1L));
      assertThrows(IllegalArgumentException.class, () -> list.set(4, 1));
      list.set(1, 5);
      assertEquals(5L, list.get(1), "an Integer widens into a Long slot");

      list.set(2, "12345678");
      assertEquals("12345678", list.get(2), "a 3-byte first value reserves 8 bytes");
      IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> list.set(2, "123456789"));
      assertTrue(tooLong.getMessage().contains("at most 8 bytes"), tooLong.getMessage());
      assertThrows(IllegalArgumentException.class, () -> list.set(2, "ééééé"), "10 UTF-8 bytes");
      assertEquals("12345678", list.get(2), "a refused value leaves the slot as it was");
      assertThrows(IllegalArgumentException.class, () -> list.set(3, new byte[9]));

      assertThrows(IndexOutOfBoundsException.class, () -> list.get(5));
      assertThrows(IndexOutOfBoundsException.class, () -> list.set(-6, null));
      assertNull(list.get(-1));
      list.set(2, null);
      assertNull(list.get(2));
      list.set(2, "back");
      assertEquals("back", list.get(2), "a slot set to null takes its type again");
    }
    assertThrows(IllegalArgumentException.class, () -> mp.shareableList(List.of(1.5f)));
  }

  @Test
  void countAndIndexCompareByValueAndBytesByContent() {
    try (ShareableList list = mp.shareableList(Arrays.asList("a", 1, "a", new byte[] {1}, null, "a\0"))) {
      assertEquals(2, list.count("a"));
      assertEquals(1, list.count(new byte[] {1}));
      assertEquals(0, list.count(1L));
      assertEquals(3, list.index(new byte[] {1}));
      assertEquals(4, list.index(null));
      assertEquals(5, list.index("a\0"), "trailing NULs survive, unlike in Python");
      NoSuchElementException missing = assertThrows(NoSuchElementException.class, () -> list.index("b"));
      assertTrue(missing.getMessage().contains("'b' is not in ShareableList"), missing.getMessage());
    }
  }

  @Test
  void aPlainBlockIsNotAListAndAClosedListRefusesUse() {
    try (SharedMemory plain = mp.sharedMemory(64)) {
      assertThrows(IllegalArgumentException.class, () -> ShareableList.attach(plain.name()));
    }
    ShareableList list = mp.shareableList(List.of(1));
    ShareableList second = ShareableList.attach(list.name());
    list.close();
    assertThrows(IllegalStateException.class, () -> list.get(0));
    assertEquals(1, second.get(0), "still attached through the second handle");
    second.close();
    assertFalse(Files.exists(BlockStore.namedPath(list.name())));
    UncheckedIOException gone = assertThrows(UncheckedIOException.class, () -> ShareableList.attach(list.name()));
    assertInstanceOf(NoSuchFileException.class, gone.getCause());
  }

  /** As {@link SharedMemory#buf()}: the creator's list refuses once its context closed and released the block. */
  @Test
  void aListWhoseContextClosedRefusesUseInsteadOfWorkingOnMemoryNobodyShares() throws Exception {
    Multiprocessing first = Multiprocessing.create();
    ShareableList orphan = first.shareableList(List.of(1, "one"));
    assertEquals(1, orphan.get(0));
    first.close();
    IllegalStateException gone = assertThrows(IllegalStateException.class, () -> orphan.get(0));
    assertTrue(gone.getMessage().contains("context"), gone.getMessage());
    assertThrows(IllegalStateException.class, () -> orphan.set(1, "two"));
    orphan.close();
  }

  @Test
  void aCrashedUserNeitherUnlinksTheListNorKeepsItAlive() throws Exception {
    ShareableList list = mp.shareableList(List.of(0));
    Path file = BlockStore.namedPath(list.name());
    Value.OfBoolean attached = mp.rawValue(false);
    Process p = mp.process(() -> holdUntilKilled(list, attached));
    p.start();
    assertTrue(SharedFiles.awaitState(attached::get, CHILD_BOOT), "the child attached");
    assertEquals(42, list.get(0));

    list.close();
    assertTrue(Files.exists(file), "the parent's close leaves the list to the child that still uses it");

    p.kill();
    p.join();
    assertFalse(Files.exists(file), "the crashed child was the last user: the list is released on its exit");
  }
}
