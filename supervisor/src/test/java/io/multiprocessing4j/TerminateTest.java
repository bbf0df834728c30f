package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The terminate policy: the agent interrupts the target and exits with -15; a target that ignores the
 * interrupt is halted by the agent after half the grace period (still -15, not the parent's -9 kill).
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TerminateTest {
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: busy until interrupted (bounded, so it can never linger). */
  static void busyUntilInterrupted(String token) {
    System.out.println("busy " + token);
    long deadline = System.nanoTime() + ChildSide.WAIT_LIMIT.toNanos();
    double work = 0;
    while (!Thread.currentThread().isInterrupted() && System.nanoTime() < deadline) {
      work += Math.sqrt(work + 1);
    }
    System.out.println("interrupted after " + work);
  }

  /** Child side: a busy loop that swallows every interrupt (bounded too). */
  static void spinIgnoringInterrupts(String token) {
    System.out.println("spinning " + token);
    long deadline = System.nanoTime() + ChildSide.WAIT_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      Thread.interrupted();
    }
  }

  @Test
  void terminateOfBusyChildGivesMinus15() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> busyUntilInterrupted(token), ProcessOptions.defaults().withTerminateGrace(GRACE));
      p.start();
      out.awaitLine("busy " + token, CHILD_BOOT);
      assertTrue(p.isAlive());

      long t0 = System.nanoTime();
      p.terminate();
      assertTrue(p.join(Duration.ofSeconds(10)), "terminated child exits");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.err.println("[measure] terminate of an interruptible busy child -> exit: " + ms + " ms");

      assertEquals(OptionalInt.of(-15), p.exitCode());
      assertFalse(p.isAlive());
      assertTrue(out.text().contains("interrupted after"), "the target saw the interrupt:\n" + out.text());
      assertTrue(ms < GRACE.toMillis(), "exit came from the interrupt, not the kill deadline: " + ms + " ms");
    }
  }

  @Test
  void targetIgnoringInterruptsIsHaltedByTheAgentWithMinus15() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> spinIgnoringInterrupts(token), ProcessOptions.defaults().withTerminateGrace(GRACE));
      p.start();
      out.awaitLine("spinning " + token, CHILD_BOOT);

      long t0 = System.nanoTime();
      p.terminate();
      assertTrue(p.join(Duration.ofSeconds(10)), "terminated child exits");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.err.println("[measure] terminate of an interrupt-ignoring child -> exit: " + ms + " ms (grace "
          + GRACE.toMillis() + " ms)");

      assertEquals(OptionalInt.of(-15), p.exitCode(), "the agent halts it (a parent kill would be -9)");
      assertFalse(p.isAlive());
      assertTrue(ms >= GRACE.toMillis() / 2 - 100, "the target was given half the grace period: " + ms + " ms");
    }
  }

  @Test
  void terminateBeforeTheAgentConnectedGivesMinus15() throws Exception {
    Process p = mp.process(() -> busyUntilInterrupted("early"), ProcessOptions.defaults().withTerminateGrace(GRACE));
    p.start();
    p.terminate();
    assertTrue(p.join(Duration.ofSeconds(10)));
    assertEquals(OptionalInt.of(-15), p.exitCode());
    assertFalse(p.isAlive());
  }

  @Test
  void terminateAndKillAreSafeInEveryStateAndIdempotent() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> busyUntilInterrupted(token), ProcessOptions.defaults().withTerminateGrace(GRACE));
      p.terminate();
      p.kill();
      assertEquals(OptionalInt.empty(), p.exitCode(), "nothing happens before start");
      assertFalse(p.isAlive());

      p.start();
      out.awaitLine("busy " + token, CHILD_BOOT);
      p.terminate();
      p.terminate();
      p.join();
      assertEquals(OptionalInt.of(-15), p.exitCode());

      p.terminate();
      p.kill();
      assertEquals(OptionalInt.of(-15), p.exitCode(), "calls after exit change nothing");
      assertFalse(p.isAlive());
    }
  }

  @Test
  void aGraceTooLongToScheduleIsRefusedWhereItIsSetAndTheLongestAllowedWorks() throws Exception {
    // Longer than the supervisor can schedule a kill for: before, terminate() crashed the child's
    // supervising actor and the child was never stopped.
    for (Duration tooLong : new Duration[] {Duration.ofDays(365), Duration.ofSeconds(Long.MAX_VALUE)}) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> ProcessOptions.defaults().withTerminateGrace(tooLong));
      assertTrue(refused.getMessage().contains("terminateGrace must be at most"), refused.getMessage());
      assertThrows(IllegalArgumentException.class, () -> PoolOptions.defaults().withTerminateGrace(tooLong));
    }
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> busyUntilInterrupted(token),
          ProcessOptions.defaults().withTerminateGrace(ProcessOptions.MAX_TERMINATE_GRACE));
      p.start();
      out.awaitLine("busy " + token, CHILD_BOOT);
      p.terminate();
      assertTrue(p.join(Duration.ofSeconds(20)), "the interrupted child exits");
      assertEquals(OptionalInt.of(-15), p.exitCode());
    }
  }
}
