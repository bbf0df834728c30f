package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.BlockRef;
import io.multiprocessing4j.internal.UserTable;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Semaphore and BoundedSemaphore: Python's semantics, and permits of dead processes returned. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SemaphoreTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: takes every permit, then dies holding them. */
  static void takeAllAndIdle(Semaphore semaphore, int permits, Event holding) {
    ChildBodies.unchecked(() -> {
      for (int i = 0; i < permits; i++) {
        semaphore.acquire();
      }
    });
    ChildBodies.announceThenIdle(holding);
  }

  /** A child that has taken {@code permits} of {@code semaphore} and holds them until it is killed. */
  private Process childHolding(Semaphore semaphore, int permits) throws InterruptedException {
    Event holding = mp.event();
    Process p = mp.process(() -> takeAllAndIdle(semaphore, permits, holding));
    p.start();
    assertTrue(holding.await(Duration.ofSeconds(30)), "the child did not take its permits");
    return p;
  }

  @Test
  void semaphoreSemanticsAsInPython() throws Exception {
    Semaphore semaphore = mp.semaphore(2);
    assertEquals("<Semaphore(value=2)>", semaphore.toString());
    semaphore.acquire();
    assertTrue(semaphore.tryAcquire());
    assertEquals(0, semaphore.getValue());
    assertEquals(2, semaphore.heldByThisProcess());
    assertFalse(semaphore.tryAcquire());
    assertFalse(semaphore.acquire(Duration.ofMillis(50)));
    semaphore.release(2);
    assertEquals(2, semaphore.getValue());
    semaphore.release();
    assertEquals(3, semaphore.getValue(), "an unbounded semaphore may be released above its initial value");
    try (Guard held = semaphore.guard()) {
      assertEquals(2, semaphore.getValue());
      assertFalse(held.previousOwnerDied());
    }
    assertEquals(3, semaphore.getValue());
    assertThrows(IllegalArgumentException.class, () -> semaphore.release(0));
    assertThrows(IllegalArgumentException.class, () -> mp.semaphore(-1));
  }

  @Test
  void aBoundedSemaphoreRefusesToBeReleasedTooManyTimes() throws Exception {
    BoundedSemaphore semaphore = mp.boundedSemaphore(1);
    assertThrows(IllegalStateException.class, semaphore::release);
    semaphore.acquire();
    assertEquals("<BoundedSemaphore(value=0, maxvalue=1)>", semaphore.toString());
    semaphore.release();
    assertThrows(IllegalStateException.class, semaphore::release);
    assertEquals(1, semaphore.getValue());
  }

  /** The count is an int: a release past its largest value is refused, instead of wrapping to negative. */
  @Test
  void aReleasePastTheLargestCountIsRefused() throws Exception {
    Semaphore semaphore = mp.semaphore(Integer.MAX_VALUE - 1);
    assertThrows(IllegalStateException.class, () -> semaphore.release(2));
    semaphore.release();
    assertThrows(IllegalStateException.class, semaphore::release);
    assertEquals(Integer.MAX_VALUE, semaphore.getValue());
    assertTrue(semaphore.tryAcquire(), "still usable");
  }

  @Test
  void permitsHeldByAKilledProcessAreReturned() throws Exception {
    Semaphore semaphore = mp.boundedSemaphore(2);
    Process p = childHolding(semaphore, 2);
    assertFalse(semaphore.tryAcquire());
    p.kill();
    assertTrue(semaphore.acquire(Duration.ofSeconds(10)), "a permit of the dead child came back");
    assertTrue(semaphore.acquire(Duration.ofSeconds(10)), "both did");
    semaphore.release(2);
    assertEquals(2, semaphore.getValue());
    p.join();
  }

  /**
   * A permit the dead child took had already been given back by the parent (a hand-off): returning it
   * again when the child dies would let two holders into a semaphore bounded at one.
   */
  @Test
  void aBoundedSemaphoreDoesNotReturnAHandedOffPermitAgainWhenItsTakerDies() throws Exception {
    BoundedSemaphore semaphore = mp.boundedSemaphore(1);
    Process p = childHolding(semaphore, 1);
    semaphore.release();
    assertTrue(semaphore.tryAcquire(), "the parent took the handed-off permit");
    p.kill();
    p.join();
    assertFalse(semaphore.acquire(Duration.ofMillis(500)),
        "a second holder got in: the dead child's permit was returned although the parent had released it");
    assertEquals(1, holdersOf(semaphore).occupied(), "the wait reclaimed the dead child's slot (so it was tested)");
    assertEquals(0, semaphore.getValue());
    semaphore.release();
    assertEquals(1, semaphore.getValue());
    assertThrows(IllegalStateException.class, semaphore::release);
  }

  /**
   * A process recorded as holding more permits than an int counts (a long-running producer whose
   * acquires consumers release) leaves a bounded semaphore no room for a dead holder's permits; the
   * room, far below any int, must not wrap around to a positive number of permits.
   */
  @Test
  void aDeadHoldersPermitsDoNotComeBackPastTheBoundWhenTheOthersRecordMoreThanAnInt() throws Exception {
    BoundedSemaphore semaphore = mp.boundedSemaphore(1);
    UserTable holders = holdersOf(semaphore);
    int slot = holders.add(-1, Integer.MAX_VALUE);
    holders.add(slot, Integer.MAX_VALUE);
    Process p = childHolding(semaphore, 1);
    p.kill();
    p.join();
    assertFalse(semaphore.acquire(Duration.ofMillis(500)), "the value went past the bound: " + semaphore);
    assertEquals(1, holders.occupied(), "the wait reclaimed the dead child's slot (so it was tested)");
    assertEquals(0, semaphore.getValue());
    while (holders.remove(slot, Integer.MAX_VALUE) > 0) {
      // The record this test made up, taken off in int-sized parts.
    }
  }

  /**
   * Child side: recorded as holding more permits than an int counts (a producer that acquired billions
   * that consumers released), then dies holding them.
   */
  static void recordMoreThanAnIntAndIdle(Semaphore semaphore, Event holding) {
    ChildBodies.unchecked(() -> {
      UserTable holders = holdersOf(semaphore);
      holders.add(holders.add(-1, Integer.MAX_VALUE), Integer.MAX_VALUE);
    });
    ChildBodies.announceThenIdle(holding);
  }

  /** Returning a dead holder's permits stops at the largest int, as a release does, instead of wrapping. */
  @Test
  void theReturnedPermitsOfADeadHolderStopAtTheLargestInt() throws Exception {
    Semaphore semaphore = mp.semaphore(0);
    Event holding = mp.event();
    Process p = mp.process(() -> recordMoreThanAnIntAndIdle(semaphore, holding));
    p.start();
    assertTrue(holding.await(Duration.ofSeconds(30)), "the child recorded its permits");
    p.kill();
    p.join();
    assertTrue(semaphore.acquire(Duration.ofSeconds(10)), "the dead child's permits came back: " + semaphore);
    assertEquals(Integer.MAX_VALUE - 1, semaphore.getValue());
    semaphore.release();
    assertThrows(IllegalStateException.class, semaphore::release);
  }

  /** The table of a semaphore's holders, which only the semaphore itself reaches. */
  private static UserTable holdersOf(Semaphore semaphore) throws ReflectiveOperationException {
    Field ref = Semaphore.class.getDeclaredField("ref");
    ref.setAccessible(true);
    return ((BlockRef) ref.get(semaphore)).map().users();
  }

  /** Child side: takes a permit for someone else to give back (a producer taking a free slot), then ends. */
  static void takeOne(Semaphore freeSlots) {
    ChildBodies.unchecked(freeSlots::acquire);
  }

  @Test
  void permitsTakenByAProcessThatExitedNormallyStayTakenAsInPython() throws Exception {
    Semaphore freeSlots = mp.semaphore(1);
    Process producer = mp.process(() -> takeOne(freeSlots));
    producer.start();
    producer.join();
    assertEquals(java.util.OptionalInt.of(0), producer.exitCode(), producer.remoteTraceback().orElse(""));
    assertFalse(freeSlots.acquire(Duration.ofMillis(300)),
        "the slot the producer took came back when it exited: a second producer would overwrite it");
    freeSlots.release();
    assertTrue(freeSlots.tryAcquire());
    assertFalse(freeSlots.acquire(Duration.ofMillis(100)), "one permit, not two");
  }

  @Test
  void tryAcquireGetsBackThePermitsOfAKilledHolder() throws Exception {
    Semaphore semaphore = mp.semaphore(1);
    Process p = childHolding(semaphore, 1);
    p.kill();
    p.join();
    assertTrue(SharedFiles.awaitState(semaphore::tryAcquire, Duration.ofSeconds(10)),
        "tryAcquire never got back the permit of the dead holder");
  }
}
