package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Python's exit-code rule for {@code sys.exit(n)}: the status the target asks for is the exit code. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExitCodeTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side. */
  static void exitWith(int status) {
    System.out.println("about to exit with " + status);
    System.exit(status);
  }

  @Test
  void systemExitInTargetIsTheExitCode() throws Exception {
    try (StdCapture out = StdCapture.stdout()) {
      Process p = mp.process(() -> exitWith(3));
      p.start();
      p.join();
      assertEquals(OptionalInt.of(3), p.exitCode());
      assertTrue(p.remoteTraceback().isEmpty(), "System.exit is not a failure with a trace");
      assertTrue(out.lines().contains("about to exit with 3"), "output before System.exit is kept:\n" + out.text());
    }
  }
}
