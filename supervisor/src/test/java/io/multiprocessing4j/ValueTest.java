package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Value and RawValue: a counter incremented by several processes ends exact, with the lock and with atomics. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ValueTest {
  private static final int PROCESSES = 3;

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: Python's {@code with v.get_lock(): v.value += 1}. */
  static void incrementUnderLock(Value.OfInt counter, int times) {
    RLock lock = counter.getLock();
    for (int i = 0; i < times; i++) {
      try (Guard held = lock.guard()) {
        counter.set(counter.get() + 1);
      }
    }
  }

  /** Child side: the lock-free way. */
  static void incrementAtomically(Value.OfLong counter, int times) {
    for (int i = 0; i < times; i++) {
      counter.getAndAdd(1);
    }
  }

  @Test
  void counterIncrementedUnderTheLockBySeveralProcessesEndsExact() throws Exception {
    Value.OfInt counter = mp.value(0);
    int times = 20_000;
    runAll(() -> incrementUnderLock(counter, times));
    assertEquals(PROCESSES * times, counter.get());
  }

  @Test
  void counterIncrementedAtomicallyBySeveralProcessesEndsExact() throws Exception {
    Value.OfLong counter = mp.rawValue(0L);
    int times = 200_000;
    runAll(() -> incrementAtomically(counter, times));
    assertEquals((long) PROCESSES * times, counter.get());
  }

  private void runAll(SerializableRunnable body) throws InterruptedException {
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < PROCESSES; i++) {
      Process p = mp.process(body);
      p.start();
      processes.add(p);
    }
    for (Process p : processes) {
      p.join();
      assertEquals(OptionalInt.of(0), p.exitCode(), p + " failed: " + p.remoteTraceback().orElse(""));
    }
  }

  @Test
  void everyTypeReadsWritesAndUpdatesAtomically() {
    Value.OfInt i = mp.value(5);
    assertEquals(5, i.get());
    assertEquals(5, i.getAndAdd(3));
    assertEquals(10, i.addAndGet(2));
    assertTrue(i.compareAndSet(10, 1));
    assertFalse(i.compareAndSet(10, 2));
    assertEquals(1, i.getAndSet(7));
    assertEquals("<Synchronized wrapper for c_int(7)>", i.toString());

    Value.OfLong l = mp.value(1L << 40);
    assertEquals(1L << 40, l.getAndAdd(1));
    assertEquals((1L << 40) + 2, l.addAndGet(1));

    Value.OfDouble d = mp.rawValue(1.5);
    assertEquals(1.5, d.getAndAdd(1.0));
    assertEquals(2.5, d.get());
    assertTrue(d.compareAndSet(2.5, -0.5));
    assertEquals("c_double(-0.5)", d.toString());

    Value.OfBoolean b = mp.value(false);
    assertFalse(b.getAndSet(true));
    assertTrue(b.get());
    assertTrue(b.compareAndSet(true, false));

    Value.OfByte y = mp.value((byte) -3);
    assertEquals((byte) -3, y.get());
    y.set((byte) 127);
    assertEquals((byte) 127, y.getAndSet((byte) 0));
  }

  @Test
  void aRawValueHasNoLockAndALockedOneHasAReentrantLock() throws Exception {
    assertThrows(IllegalStateException.class, () -> mp.rawValue(0).getLock());
    Value.OfInt v = mp.value(0);
    assertTrue(v.hasLock());
    try (Guard held = v.getLock().guard()) {
      v.set(v.get() + 1);
      assertEquals(1, v.getLock().getHoldCount(), "get/set nest in the caller's holding and leave it as it was");
    }
    assertEquals(0, v.getLock().getHoldCount());
  }

  @Test
  void aValueIsUnusableOnceItsContextIsClosed() {
    Multiprocessing other = Multiprocessing.create();
    Value.OfInt v = other.rawValue(1);
    other.close();
    assertThrows(IllegalStateException.class, () -> other.value(0));
    assertThrows(IllegalStateException.class, v::get, "the creator's own handle, whose mapping outlives the block");
    Value.OfInt copy = Serialization.roundTrip(v);
    IllegalStateException error = assertThrows(IllegalStateException.class, copy::get);
    assertTrue(error.getMessage().contains("context that created it is closed"), error.getMessage());
  }
}
