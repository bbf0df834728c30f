package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target that throws: exit code 1, and the child's stack trace is visible twice, as Python shows it:
 * printed on the child's stderr (which reaches the parent's stderr) and carried back to the parent.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TargetExceptionTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: fails with a cause, two frames deep so the trace shows this method. */
  static void failingTarget(String token) {
    throw new IllegalStateException("boom " + token, new ArithmeticException("root cause " + token));
  }

  @Test
  void exceptionGivesExitCodeOneAndTheChildsStackTrace() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture err = StdCapture.stderr()) {
      Process p = mp.process(() -> failingTarget(token));
      p.start();
      p.join();

      assertEquals(OptionalInt.of(1), p.exitCode(), err.text());
      assertFalse(p.isAlive());

      String trace = p.remoteTraceback().orElseThrow(() -> new AssertionError("no remote traceback"));
      assertTrue(trace.contains("java.lang.IllegalStateException: boom " + token), trace);
      assertTrue(trace.contains("TargetExceptionTest.failingTarget"), "the trace shows the child's frames: " + trace);
      assertTrue(trace.contains("Caused by: java.lang.ArithmeticException: root cause " + token), trace);

      String stderr = err.text();
      assertTrue(err.lines().contains("Process " + p.name() + ":"), "Python's header line on stderr:\n" + stderr);
      assertTrue(stderr.contains("java.lang.IllegalStateException: boom " + token), stderr);
      assertTrue(stderr.contains("TargetExceptionTest.failingTarget"), stderr);
    }
  }
}
