package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * Misuse of the process lifecycle fails at once with an {@link IllegalStateException} that says what
 * was wrong: starting twice, joining before start, starting on a closed context, closing a running
 * process, and (as in Python) a daemon process starting a child of its own.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleErrorsTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: a daemon tries to start a child of its own. */
  static void startChildFromDaemon() {
    try (Multiprocessing inner = Multiprocessing.create()) {
      inner.process(() -> System.out.println("grandchild must never run")).start();
    }
  }

  @Test
  void startingTwiceFails() throws Exception {
    Process p = mp.process(() -> { });
    p.start();
    IllegalStateException e = assertThrows(IllegalStateException.class, p::start);
    assertTrue(e.getMessage().contains("cannot start a process twice"), e.getMessage());
    assertTrue(e.getMessage().contains(p.name()), "names the process: " + e.getMessage());
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode(), "the first start is unaffected");
  }

  @Test
  void joiningBeforeStartFails() {
    Process p = mp.process(() -> { });
    IllegalStateException e = assertThrows(IllegalStateException.class, p::join);
    assertTrue(e.getMessage().contains("can only join a started process"), e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> p.join(Duration.ofMillis(10)));
    assertTrue(e.getMessage().contains("can only join a started process"), e.getMessage());
  }

  @Test
  void startingOnAClosedContextFails() {
    Set<Long> before = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    Process p = mp.process(() -> { });
    mp.close();

    IllegalStateException e = assertThrows(IllegalStateException.class, p::start);
    assertTrue(e.getMessage().contains("context is closed"), e.getMessage());
    assertTrue(p.pid().isEmpty());
    assertEquals(before, ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet()),
        "no child process was started");

    e = assertThrows(IllegalStateException.class, () -> mp.process(() -> { }));
    assertTrue(e.getMessage().contains("context is closed"), e.getMessage());
  }

  @Test
  void closingARunningProcessFailsAndAClosedOneCannotBeJoined() throws Exception {
    Process p = mp.process(() -> TerminateTest.busyUntilInterrupted("close"));
    p.start();
    IllegalStateException e = assertThrows(IllegalStateException.class, p::close);
    assertTrue(e.getMessage().contains("still running"), e.getMessage());

    p.terminate();
    p.join();
    p.close();
    e = assertThrows(IllegalStateException.class, p::join);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    e = assertThrows(IllegalStateException.class, p::start);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void aClosedProcessRefusesToReportOnItsChildAsPythonsRaisesValueError() throws Exception {
    Process p = mp.process(() -> { });
    p.start();
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode());
    p.close();
    // An empty exit code would read as "still running"; Python's exitcode, pid and is_alive() raise.
    List<Executable> questions = List.of(p::exitCode, p::isAlive, p::pid, p::remoteTraceback);
    for (Executable question : questions) {
      IllegalStateException e = assertThrows(IllegalStateException.class, question);
      assertTrue(e.getMessage().contains("process object is closed"), e.getMessage());
    }
    assertTrue(p.toString().contains("closed"), p.toString());
    assertTrue(mp.activeChildren().isEmpty());
  }

  @Test
  void aProcessThatIsNoLongerAliveHasExitedForJoinAndClose() throws Exception {
    // Python's "while p.is_alive(): ...; p.join(0); p.close()". isAlive() follows the OS, which reaps
    // the child a moment before its exit is reported; join and close must not call it running then.
    for (int i = 0; i < 3; i++) {
      Process p = mp.process(() -> { });
      p.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (p.isAlive() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertFalse(p.isAlive(), "the child exits");
      assertTrue(p.join(Duration.ZERO), "join(0) agrees that it has exited");
      p.close();
      assertTrue(p.toString().contains("closed"), p.toString());
    }
  }

  @Test
  void anInterruptDoesNotCutStartShortSoItsChildIsNeverLost() throws Exception {
    Process p = mp.process(() -> { });
    // Before, start() threw "interrupted while starting" while the child it had asked for was
    // launched anyway: it ran its target untracked, and a second start() would have run it again.
    Thread.currentThread().interrupt();
    try {
      p.start();
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
    } finally {
      Thread.interrupted();
    }
    assertTrue(p.pid().isPresent(), p.toString());
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode());
  }

  @Test
  void daemonChildMayNotStartChildren() throws Exception {
    try (StdCapture out = StdCapture.stdout(); StdCapture err = StdCapture.stderr()) {
      Process p = mp.process(LifecycleErrorsTest::startChildFromDaemon, ProcessOptions.defaults().withDaemon(true));
      p.start();
      p.join();

      assertEquals(OptionalInt.of(1), p.exitCode(), err.text());
      String trace = p.remoteTraceback().orElseThrow();
      assertTrue(trace.contains("java.lang.IllegalStateException: daemonic processes are not allowed to have children"),
          trace);
      assertTrue(err.text().contains("daemonic processes are not allowed to have children"), err.text());
      assertTrue(out.lines().stream().noneMatch(line -> line.contains("grandchild must never run")), out.text());
    }
  }
}
