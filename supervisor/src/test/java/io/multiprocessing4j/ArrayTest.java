package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.DoubleBuffer;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Array and RawArray: written by a child, read by the parent; element semantics. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ArrayTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: Python's {@code with arr.get_lock(): for i in range(n): a[i] = float(i)}. */
  static void fill(Array.OfDouble array) {
    try (Guard held = array.getLock().guard()) {
      DoubleBuffer elements = array.asBuffer();
      for (int i = 0; i < array.length(); i++) {
        elements.put(i, i);
      }
    }
  }

  /** Child side: element by element, each under the lock. */
  static void fillSquares(Array.OfInt array) {
    for (int i = 0; i < array.length(); i++) {
      array.set(i, i * i);
    }
  }

  @Test
  void anArrayWrittenByAChildIsReadByTheParent() throws Exception {
    int n = 1_000_000;
    Array.OfDouble array = mp.array(Array.DOUBLE, n);
    Array.OfInt squares = mp.rawArray(Array.INT, 1000);
    Process p = mp.process(() -> {
      fill(array);
      fillSquares(squares);
    });
    p.start();
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));

    double sum = 0;
    try (Guard held = array.getLock().guard()) {
      DoubleBuffer elements = array.asBuffer();
      for (int i = 0; i < n; i++) {
        sum += elements.get(i);
      }
    }
    assertEquals((double) n * (n - 1) / 2, sum);
    assertEquals(999.0 * 999, squares.get(999));
    assertEquals(12.0, array.get(12));
  }

  @Test
  void elementsCopiesAndAtomicsBehaveAsDocumented() {
    Array.OfLong longs = mp.array(Array.LONG, 4);
    assertEquals(4, longs.length());
    longs.copyFrom(new long[] {1, 2, 3});
    assertArrayEquals(new long[] {1, 2, 3, 0}, longs.toArray());
    assertEquals(3, longs.getAndAdd(2, 10));
    assertTrue(longs.compareAndSet(2, 13, -1));
    assertEquals(-1, longs.get(2));
    assertThrows(IndexOutOfBoundsException.class, () -> longs.get(4));
    assertThrows(IndexOutOfBoundsException.class, () -> longs.set(-1, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> longs.copyFrom(new long[5]));

    Array.OfByte bytes = mp.rawArray(Array.BYTE, 3);
    bytes.copyFrom("hi!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals("hi!", new String(bytes.toArray(), java.nio.charset.StandardCharsets.US_ASCII));
    assertThrows(IllegalStateException.class, bytes::getLock);

    Array.OfDouble doubles = mp.array(Array.DOUBLE, 2);
    assertEquals(0.0, doubles.getAndAdd(1, 0.25));
    assertEquals(0.25, doubles.get(1));
    assertEquals("<SynchronizedArray wrapper for Array('d', 2)>", doubles.toString());
    assertEquals(0, mp.array(Array.INT, 0).toArray().length);
    assertThrows(IllegalArgumentException.class, () -> mp.array(Array.INT, -1));
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> mp.array(Array.LONG, Integer.MAX_VALUE));
    assertTrue(tooLong.getMessage().startsWith("an array of 2147483647 elements of type 'q' does not fit"),
        "names the length asked for, not only a block size: " + tooLong.getMessage());
  }

  @Test
  void atomicElementUpdatesFromSeveralThreadsAreExact() throws Exception {
    Array.OfInt counters = mp.rawArray(Array.INT, 2);
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 50_000; i++) {
          counters.getAndAdd(i & 1, 1);
        }
      });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertArrayEquals(new int[] {100_000, 100_000}, counters.toArray());
  }
}
