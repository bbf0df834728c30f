package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Word access to a mapped block: two mappings of one file see each other's writes, atomics are
 * atomic across threads, and an access outside the mapping or misaligned for an atomic fails at the
 * call instead of touching memory that is not the block's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedBlockTest {
  private static final int DATA_BYTES = 64;
  private Path path;
  private SharedBlock block;
  private SharedBlock other;

  @BeforeEach
  void createBlock() throws Exception {
    path = BlockStore.defaultDirectory().resolve(BlockStore.FILE_PREFIX + "blocktest-" + System.nanoTime());
    Files.createDirectories(path.getParent());
    block = SharedBlock.create(path, SharedBlock.Kind.VALUE, DATA_BYTES);
    other = SharedBlock.open(path);
    Files.delete(path);
  }

  @AfterEach
  void noFileLeft() {
    assertFalse(Files.exists(path));
  }

  @Test
  void twoMappingsShareTheWords() {
    int at = SharedBlock.HEADER_BYTES;
    block.setIntVolatile(at, 7);
    assertEquals(7, other.getIntVolatile(at));
    assertEquals(7, other.getAndAddInt(at, 3));
    assertEquals(10, block.getInt(at));
    assertTrue(block.compareAndSetInt(at, 10, 11));
    assertFalse(other.compareAndSetInt(at, 10, 12));
    assertEquals(11, other.getAndSetInt(at, 5));

    block.setLongRelease(at + 8, Long.MIN_VALUE);
    assertEquals(Long.MIN_VALUE, other.getLongOpaque(at + 8));
    assertEquals(Long.MIN_VALUE, other.getAndAddLong(at + 8, 1));
    assertTrue(other.compareAndSetLong(at + 8, Long.MIN_VALUE + 1, 42));
    assertEquals(42, block.getAndSetLong(at + 8, 43));

    block.setDoubleVolatile(at + 16, 1.5);
    assertEquals(1.5, other.getAndAddDouble(at + 16, 1.0));
    assertTrue(other.compareAndSetDouble(at + 16, 2.5, -0.0));
    assertFalse(block.compareAndSetDouble(at + 16, 0.0, 1.0), "compares bits: -0.0 is not 0.0");
    assertEquals(-0.0, block.getAndSetDouble(at + 16, 3.0));
    assertEquals(3.0, other.getDoubleOpaque(at + 16));
  }

  @Test
  void getAndAddIsAtomicAcrossThreads() throws Exception {
    int at = SharedBlock.HEADER_BYTES;
    int perThread = 100_000;
    Thread adder = new Thread(() -> {
      for (int i = 0; i < perThread; i++) {
        other.getAndAddInt(at, 1);
      }
    });
    adder.start();
    for (int i = 0; i < perThread; i++) {
      block.getAndAddInt(at, 1);
    }
    adder.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(adder.isAlive());
    assertEquals(2 * perThread, block.getIntVolatile(at));
  }

  /** A count that would pass 32 bits stops there, instead of spilling into the pid beside it. */
  @Test
  void aUserCountStopsAtItsLargestInsteadOfOverflowingIntoThePid() {
    UserTable users = block.users();
    int slot = users.add(-1, Integer.MAX_VALUE);
    users.add(slot, Integer.MAX_VALUE);
    users.add(slot, Integer.MAX_VALUE);
    assertEquals(UserTable.MAX_COUNT, users.mine());
    assertEquals(UserTable.MAX_COUNT, other.users().total());
    long[] pids = new long[1];
    users.forEachProcess(pid -> pids[0] = pid);
    assertEquals(ProcessIdentity.PID, pids[0], "the slot still belongs to this process");
    assertEquals(5, users.remove(slot, 5));
    assertEquals(UserTable.MAX_COUNT - 5, users.mine());
  }

  @Test
  void accessOutsideTheMappingFails() {
    int end = SharedBlock.HEADER_BYTES + DATA_BYTES;
    // The mapping is page-rounded by the OS, but the block ends where its file ends.
    assertEquals(0, block.getLong(end - Long.BYTES));
    assertThrows(IndexOutOfBoundsException.class, () -> block.getLong(end - Long.BYTES + 1));
    assertThrows(IndexOutOfBoundsException.class, () -> block.setInt(end, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> block.getIntVolatile(-4));
    assertThrows(IndexOutOfBoundsException.class, () -> block.getAndAddLong(Integer.MAX_VALUE - 3, 1));
  }

  @Test
  void atomicAccessMustBeAligned() {
    int at = SharedBlock.HEADER_BYTES;
    block.setInt(at + 1, 5);
    assertEquals(5, block.getInt(at + 1), "plain access may be unaligned");
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> block.getAndAddInt(at + 2, 1));
    assertTrue(e.getMessage().contains("aligned"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> block.compareAndSetLong(at + 4, 0, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> block.setLongRelease(at + 12, 1));
  }
}
