package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The tutorial's first example: a child runs its target, prints, and the parent sees its output. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessRunTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: Python's {@code do_some_work(val)}. */
  static void doSomeWork(String val) {
    System.out.println("doing some work in process " + Multiprocessing.currentProcess().name());
    System.out.println("echo: " + val);
  }

  /** Child side: prints {@code count} lines of one repeated letter from each of two threads, on stdout and stderr. */
  static void printLongLines(char letter, int count) {
    String line = String.valueOf(letter).repeat(2000);
    Runnable printer = () -> {
      for (int i = 0; i < count; i++) {
        System.out.println(line);
        System.err.println(line);
      }
    };
    Thread other = new Thread(printer);
    other.start();
    printer.run();
    try {
      other.join();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void childRunsTargetAndItsOutputReachesParentStdout() throws Exception {
    try (StdCapture out = StdCapture.stdout()) {
      String val = "text-" + System.nanoTime();
      Process p = mp.process(() -> doSomeWork(val));
      assertEquals(OptionalInt.empty(), p.exitCode(), "no exit code before start");
      p.start();
      assertTrue(p.pid().isPresent(), "pid known once start() returns");
      p.join();

      assertEquals(OptionalInt.of(0), p.exitCode(), out.text());
      assertFalse(p.isAlive());
      assertTrue(p.remoteTraceback().isEmpty());
      List<String> lines = out.lines();
      assertTrue(lines.contains("doing some work in process " + p.name()), out.text());
      assertTrue(lines.contains("echo: " + val), out.text());
      assertTrue(p.toString().contains("name='" + p.name() + "'") && p.toString().contains("exitcode=0"), p.toString());
    }
  }

  @Test
  void outputOfConcurrentWritersArrivesInWholeLines() throws Exception {
    try (StdCapture out = StdCapture.stdout(); StdCapture err = StdCapture.stderr()) {
      int count = 200;
      Process a = mp.process(() -> printLongLines('a', count));
      Process b = mp.process(() -> printLongLines('b', count));
      a.start();
      b.start();
      a.join();
      b.join();
      assertEquals(OptionalInt.of(0), a.exitCode());
      assertEquals(OptionalInt.of(0), b.exitCode());

      for (StdCapture capture : List.of(out, err)) {
        List<String> lines = capture.lines().stream().filter(l -> l.startsWith("a") || l.startsWith("b")).toList();
        assertEquals(4 * count, lines.size(), "every line arrives once");
        for (String line : lines) {
          String whole = String.valueOf(line.charAt(0)).repeat(2000);
          if (!line.equals(whole)) {
            int at = 0;
            while (at < Math.min(line.length(), whole.length()) && line.charAt(at) == whole.charAt(at)) {
              at++;
            }
            throw new AssertionError("a line was interleaved with another at column " + at + " of " + line.length()
                + ": ..." + line.substring(Math.max(0, at - 10), Math.min(line.length(), at + 10)) + "...");
          }
        }
      }
    }
  }
}
