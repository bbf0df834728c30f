package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a wait teaches its block how long to spin: a wait that ended while spinning doubles the budget,
 * one that outlasted it shrinks it, and one whose condition held before its first pause leaves it
 * alone (a ring reader that always finds the ring refilled after yielding to its writer used to push
 * its budget to the maximum that way, spinning on the core its writer needed).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BackoffTest {
  private Path path;
  private SharedBlock block;

  @BeforeEach
  void createBlock() throws Exception {
    path = BlockStore.defaultDirectory().resolve(BlockStore.FILE_PREFIX + "backofftest-" + System.nanoTime());
    block = SharedBlock.create(path, SharedBlock.Kind.SYNC, 64);
    Files.delete(path);
  }

  @AfterEach
  void budgetBackToDefault() {
    block.spinNanos(Backoff.INITIAL_SPIN_NANOS);
  }

  @Test
  void aWaitThatNeverPausedTeachesNothing() {
    block.spinNanos(4_000);
    for (int i = 0; i < 5; i++) {
      Backoff.forever(block).done();
    }
    assertEquals(4_000, block.spinNanos());
  }

  @Test
  void aWaitThatEndedWhileSpinningDoublesTheBudgetUpToItsMaximum() throws Exception {
    block.spinNanos(20_000);
    Backoff wait = Backoff.forever(block);
    wait.pause();
    wait.done();
    assertEquals(40_000, block.spinNanos());
    for (int i = 0; i < 10; i++) {
      Backoff again = Backoff.forever(block);
      again.pause();
      again.done();
    }
    assertEquals(Backoff.MAX_SPIN_NANOS, block.spinNanos());
  }

  @Test
  void aWaitThatOutlastedTheSpinShrinksTheBudgetByAnEighth() throws Exception {
    block.spinNanos(Backoff.MIN_SPIN_NANOS * 8);
    Backoff wait = Backoff.forever(block);
    long start = System.nanoTime();
    // Past the spin, into the yield phase (sleeping is not needed to count as spun out).
    while (System.nanoTime() - start < Backoff.MIN_SPIN_NANOS * 8 + Backoff.YIELD_NANOS / 2) {
      wait.pause();
    }
    wait.done();
    assertEquals(Backoff.MIN_SPIN_NANOS * 7, block.spinNanos());
  }

  @Test
  void aWaitDescheduledPastItsSpinBetweenPausesStillCountsAsOutlastingIt() throws Exception {
    block.spinNanos(Backoff.MIN_SPIN_NANOS * 8);
    Backoff wait = Backoff.forever(block);
    wait.pause();
    long start = System.nanoTime();
    // Stands in for the scheduler taking the core between the first pause and the end of the wait.
    while (System.nanoTime() - start < Backoff.MIN_SPIN_NANOS * 8 + Backoff.YIELD_NANOS) {
      Thread.onSpinWait();
    }
    wait.done();
    assertEquals(Backoff.MIN_SPIN_NANOS * 7, block.spinNanos());
  }

  @Test
  void aRingReaderThatYieldsToItsWriterEveryCycleStopsSpinning() throws Exception {
    block.spinNanos(Backoff.MAX_SPIN_NANOS);
    for (int cycle = 0; cycle < 60; cycle++) {
      // RingIntake.await: waits past its spin until the writer (on the same core) refilled the ring,
      // drains, then ends with a fresh wait whose condition already holds.
      Backoff wait = Backoff.forever(block);
      long start = System.nanoTime();
      while (System.nanoTime() - start < block.spinNanos() + 1_000) {
        wait.pause();
      }
      wait.done();
      Backoff.forever(block).done();
    }
    assertTrue(block.spinNanos() < 2 * Backoff.MIN_SPIN_NANOS, "spin budget " + block.spinNanos() + " ns");
  }
}
