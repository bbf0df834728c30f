package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Barrier: rendezvous of processes, action, timeout, abort, reset, and a dead party breaking it. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BarrierTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: three rounds at the barrier, recording its arrival index of each round. */
  static void meet(Barrier barrier, Array.OfInt indices, int party) {
    ChildBodies.unchecked(() -> {
      for (int round = 0; round < 3; round++) {
        indices.set(round * 3 + party, barrier.await(Duration.ofSeconds(30)));
      }
    });
  }

  /** Child side: a party that has received the barrier but is killed before it arrives. */
  static void holdThenIdle(Barrier barrier, Event ready) {
    System.out.println("party of " + barrier + " never arrives");
    ChildBodies.announceThenIdle(ready);
  }

  /** The barrier action: counts completed rounds. */
  static void countRound(Value.OfInt rounds) {
    rounds.getAndAdd(1);
  }

  /** A negative default timeout counts as zero, as every timeout does (Python's waits then time out at once). */
  @Test
  void aNegativeDefaultTimeoutTimesOutAtOnceAndBreaksTheBarrier() throws Exception {
    Barrier barrier = mp.barrier(2, null, Duration.ofSeconds(-1));
    assertThrows(BrokenBarrierException.class, barrier::await);
    assertTrue(barrier.isBroken());
  }

  @Test
  void threeProcessesMeetForSeveralRoundsAndTheActionRunsOncePerRound() throws Exception {
    Value.OfInt rounds = mp.rawValue(0);
    Barrier barrier = mp.barrier(3, () -> countRound(rounds), Duration.ofSeconds(30));
    Array.OfInt indices = mp.rawArray(Array.INT, 9);
    Process a = mp.process(() -> meet(barrier, indices, 1));
    Process b = mp.process(() -> meet(barrier, indices, 2));
    a.start();
    b.start();
    for (int round = 0; round < 3; round++) {
      indices.set(round * 3, barrier.await());
    }
    a.join();
    b.join();
    assertEquals(OptionalInt.of(0), a.exitCode(), a.remoteTraceback().orElse(""));
    assertEquals(OptionalInt.of(0), b.exitCode(), b.remoteTraceback().orElse(""));
    assertEquals(3, rounds.get());
    int[] all = indices.toArray();
    for (int round = 0; round < 3; round++) {
      int[] ofRound = Arrays.copyOfRange(all, round * 3, round * 3 + 3);
      Arrays.sort(ofRound);
      assertArrayEquals(new int[] {0, 1, 2}, ofRound, "distinct arrival indices in round " + round);
    }
  }

  @Test
  void aTimeoutBreaksTheBarrierUntilReset() throws Exception {
    Barrier barrier = mp.barrier(2);
    assertEquals("<Barrier(parties=2, waiting=0, broken=False)>", barrier.toString());
    BrokenBarrierException timedOut =
        assertThrows(BrokenBarrierException.class, () -> barrier.await(Duration.ofMillis(50)));
    assertTrue(timedOut.getMessage().contains("timed out"), timedOut.getMessage());
    assertTrue(barrier.isBroken());
    assertThrows(BrokenBarrierException.class, barrier::await, "broken until reset");
    barrier.reset();
    assertFalse(barrier.isBroken());
    CompletableFuture<Integer> other = awaitInNewThread(barrier);
    int mine = barrier.await(Duration.ofSeconds(10));
    assertEquals(1, mine + other.get(10, TimeUnit.SECONDS), "indices 0 and 1");
  }

  /**
   * As in Python, a party that arrives while the previous round's action runs waits for that round to
   * end without its timeout running (Python blocks in {@code _enter}); its timeout counts from when it
   * joins the next round, and when it passes there it breaks the barrier for everyone. It used to fail
   * alone, after its own timeout, with the barrier left unbroken.
   */
  @Test
  void aPartyArrivingDuringTheActionIsNotTimedOutByItAndItsLaterTimeoutBreaksTheBarrier() throws Exception {
    CountDownLatch actionRunning = new CountDownLatch(1);
    CountDownLatch actionMayEnd = new CountDownLatch(1);
    Barrier barrier = mp.barrier(2, () -> {
      actionRunning.countDown();
      ChildBodies.unchecked(() -> assertTrue(actionMayEnd.await(30, TimeUnit.SECONDS), "released"));
    }, null);
    CompletableFuture<Integer> first = awaitInNewThread(barrier, Duration.ofSeconds(30));
    CompletableFuture<Integer> second = awaitInNewThread(barrier, Duration.ofSeconds(30));
    assertTrue(actionRunning.await(30, TimeUnit.SECONDS), "the round is full and its action runs");

    Duration lateTimeout = Duration.ofMillis(100);
    CompletableFuture<Integer> late = awaitInNewThread(barrier, lateTimeout);
    assertThrows(TimeoutException.class, () -> late.get(lateTimeout.toMillis() * 5, TimeUnit.MILLISECONDS),
        "the late party still waits for the action, five times its own timeout later");
    assertFalse(barrier.isBroken());

    actionMayEnd.countDown();
    assertEquals(1, first.get(10, TimeUnit.SECONDS) + second.get(10, TimeUnit.SECONDS), "indices 0 and 1");
    ExecutionException timedOut = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS),
        "alone in the next round, the late party times out");
    assertTrue(timedOut.getCause() instanceof BrokenBarrierException, String.valueOf(timedOut.getCause()));
    assertTrue(timedOut.getCause().getMessage().contains("timed out"), timedOut.getCause().getMessage());
    assertTrue(barrier.isBroken(), "a timeout breaks the barrier for everyone");
    assertThrows(BrokenBarrierException.class, () -> barrier.await(Duration.ofSeconds(10)));
  }

  @Test
  void abortAndResetBreakTheWaitersAndAFailingActionBreaksTheRound() throws Exception {
    Barrier barrier = mp.barrier(2);
    CompletableFuture<Integer> waiter = awaitInNewThread(barrier);
    assertTrue(SharedFiles.awaitState(() -> barrier.numberWaiting() == 1, Duration.ofSeconds(10)));
    barrier.abort();
    ExecutionException aborted = assertThrows(ExecutionException.class, () -> waiter.get(10, TimeUnit.SECONDS));
    assertTrue(aborted.getCause().getMessage().contains("aborted"), aborted.getCause().getMessage());

    barrier.reset();
    CompletableFuture<Integer> second = awaitInNewThread(barrier);
    assertTrue(SharedFiles.awaitState(() -> barrier.numberWaiting() == 1, Duration.ofSeconds(10)));
    barrier.reset();
    ExecutionException reset = assertThrows(ExecutionException.class, () -> second.get(10, TimeUnit.SECONDS));
    assertTrue(reset.getCause().getMessage().contains("reset"), reset.getCause().getMessage());
    assertFalse(barrier.isBroken(), "usable again after a reset");

    Barrier failing = mp.barrier(1, () -> {
      throw new IllegalStateException("boom");
    }, null);
    BrokenBarrierException failed = assertThrows(BrokenBarrierException.class, failing::await);
    assertEquals("boom", failed.getCause().getMessage());
    assertTrue(failing.isBroken());
  }

  @Test
  void whenAPartyIsKilledTheOthersGetABrokenBarrierNamingIt() throws Exception {
    Barrier barrier = mp.barrier(2);
    Event ready = mp.event();
    Process party = mp.process(() -> holdThenIdle(barrier, ready));
    party.start();
    assertTrue(ready.await(Duration.ofSeconds(30)), "the party received the barrier");
    CompletableFuture<Integer> waiter = awaitInNewThread(barrier);
    assertTrue(SharedFiles.awaitState(() -> barrier.numberWaiting() == 1, Duration.ofSeconds(10)));

    long killed = System.nanoTime();
    party.kill();
    ExecutionException broken = assertThrows(ExecutionException.class, () -> waiter.get(10, TimeUnit.SECONDS));
    System.err.println("[measure] barrier party killed -> waiter saw the broken barrier: "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms");
    assertTrue(broken.getCause() instanceof BrokenBarrierException, String.valueOf(broken.getCause()));
    assertTrue(broken.getCause().getMessage().contains("pid " + party.pid().getAsLong() + " died"),
        broken.getCause().getMessage());
    assertThrows(BrokenBarrierException.class, barrier::await);
    party.join();
  }

  @Test
  void aPartyThatExitsNormallyDoesNotBreakTheBarrier() throws Exception {
    Barrier barrier = mp.barrier(2);
    Process holder = mp.process(() -> System.out.println("holding " + barrier));
    holder.start();
    holder.join();
    assertEquals(OptionalInt.of(0), holder.exitCode(), holder.remoteTraceback().orElse(""));
    CompletableFuture<Integer> other = awaitInNewThread(barrier);
    assertTrue(SharedFiles.awaitState(() -> barrier.numberWaiting() == 1, Duration.ofSeconds(10)));
    assertFalse(SharedFiles.awaitState(barrier::isBroken, Duration.ofMillis(100)),
        "the waiter checks its parties every few milliseconds and finds none dead");
    assertEquals(1, barrier.await(Duration.ofSeconds(10)) + other.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aPartyThatCallsSystemExitItselfDoesNotBreakTheBarrier() throws Exception {
    Barrier barrier = mp.barrier(2);
    Process holder = mp.process(() -> exitHolding(barrier));
    holder.start();
    holder.join();
    assertEquals(OptionalInt.of(3), holder.exitCode(), holder.remoteTraceback().orElse(""));
    CompletableFuture<Integer> other = awaitInNewThread(barrier);
    assertTrue(SharedFiles.awaitState(() -> barrier.numberWaiting() == 1, Duration.ofSeconds(10)));
    assertFalse(SharedFiles.awaitState(barrier::isBroken, Duration.ofMillis(100)),
        "a System.exit is a normal exit: the party gave its place back on the way out");
    assertEquals(1, barrier.await(Duration.ofSeconds(10)) + other.get(10, TimeUnit.SECONDS));
  }

  /** Child side: holds the barrier, then ends the JVM itself. */
  static void exitHolding(Barrier barrier) {
    System.out.println("holding " + barrier);
    System.exit(3);
  }

  /** A party in a thread of its own (not the common pool, which may have a single thread here). */
  private static CompletableFuture<Integer> awaitInNewThread(Barrier barrier) {
    return awaitInNewThread(barrier, Duration.ofSeconds(30));
  }

  private static CompletableFuture<Integer> awaitInNewThread(Barrier barrier, Duration timeout) {
    return CompletableFuture.supplyAsync(() -> awaitQuietly(barrier, timeout),
        task -> new Thread(task, "barrier-party").start());
  }

  private static int awaitQuietly(Barrier barrier, Duration timeout) {
    try {
      return barrier.await(timeout);
    } catch (InterruptedException | BrokenBarrierException e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }
}
