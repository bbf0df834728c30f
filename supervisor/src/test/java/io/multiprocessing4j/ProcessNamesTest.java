package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Process identity: default names {@code Process-1}, {@code Process-2}, ... per context, and
 * {@code currentProcess()} / {@code parentProcess()} as seen inside a child (and a grandchild).
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessNamesTest {
  private static final Duration CHILD_RUN = Duration.ofSeconds(30);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: reports who it is and who its parent is, on one line. */
  static void reportIdentity(String token) {
    ProcessInfo self = Multiprocessing.currentProcess();
    ProcessInfo parent = Multiprocessing.parentProcess().orElseThrow(() -> new AssertionError("no parent"));
    System.out.println("identity " + token + " current=" + self.name() + "|" + self.pid() + "|" + self.daemon()
        + " parent=" + parent.name() + "|" + parent.pid() + "|" + parent.isAlive());
  }

  /** Child side: reports, then starts a grandchild that reports too. */
  static void reportAndStartGrandchild(String token) {
    reportIdentity(token + "-child");
    try (Multiprocessing inner = Multiprocessing.create()) {
      Process grandchild = inner.process(() -> reportIdentity(token + "-grandchild"));
      grandchild.start();
      grandchild.join();
      if (grandchild.exitCode().orElse(-1) != 0) {
        throw new AssertionError("grandchild failed: " + grandchild);
      }
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String identityLine(String token, Process p) {
    return "identity " + token + " current=" + p.name() + "|" + p.pid().getAsLong() + "|" + p.isDaemon();
  }

  @Test
  void defaultNamesCountPerContext() {
    Process first = mp.process(() -> { });
    Process second = mp.process(() -> { });
    Process named = mp.process(() -> { }, ProcessOptions.defaults().withName("worker"));
    assertEquals("Process-1", first.name());
    assertEquals("Process-2", second.name());
    assertEquals("worker", named.name());
    try (Multiprocessing other = Multiprocessing.create()) {
      assertEquals("Process-1", other.process(() -> { }).name(), "another context counts from 1");
    }
  }

  @Test
  void mainProcessHasNoParent() {
    ProcessInfo self = Multiprocessing.currentProcess();
    assertEquals("MainProcess", self.name());
    assertEquals(ProcessHandle.current().pid(), self.pid());
    assertFalse(self.daemon());
    assertEquals(Optional.empty(), Multiprocessing.parentProcess());
  }

  @Test
  void childSeesItsOwnIdentityAndItsParent() throws Exception {
    String token = "t" + System.nanoTime();
    long me = ProcessHandle.current().pid();
    try (StdCapture out = StdCapture.stdout()) {
      Process plain = mp.process(() -> reportIdentity(token + "-plain"));
      Process daemon = mp.process(() -> reportIdentity(token + "-daemon"),
          ProcessOptions.defaults().withName("the-daemon").withDaemon(true));
      plain.start();
      daemon.start();
      plain.join();
      daemon.join();
      assertEquals(OptionalInt.of(0), plain.exitCode(), out.text());
      assertEquals(OptionalInt.of(0), daemon.exitCode(), out.text());

      assertTrue(out.lines().contains(identityLine(token + "-plain", plain) + " parent=MainProcess|" + me + "|true"),
          out.text());
      assertTrue(out.lines().contains(identityLine(token + "-daemon", daemon) + " parent=MainProcess|" + me + "|true"),
          out.text());
    }
  }

  @Test
  void grandchildIsNamedAfterItsParentAndSeesIt() throws Exception {
    String token = "t" + System.nanoTime();
    try (StdCapture out = StdCapture.stdout(); StdCapture err = StdCapture.stderr()) {
      Process child = mp.process(() -> reportAndStartGrandchild(token));
      child.start();
      assertTrue(child.join(CHILD_RUN), "child and grandchild finish");
      assertEquals(OptionalInt.of(0), child.exitCode(), err.text());

      long childPid = child.pid().getAsLong();
      String grandchild = out.lines().stream()
          .filter(line -> line.startsWith("identity " + token + "-grandchild "))
          .findFirst().orElseThrow(() -> new AssertionError("no grandchild report:\n" + out.text()));
      assertTrue(grandchild.contains(" current=" + child.name() + ":1|"), "Python's Process-1:1 naming: " + grandchild);
      assertTrue(grandchild.endsWith(" parent=" + child.name() + "|" + childPid + "|true"), grandchild);
    }
  }
}
