package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The warm start method: pre-booted idle agents take targets, become who they are told, and never leak. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WarmStartTest {
  private final Multiprocessing mp = Multiprocessing.create(
      ProcessSupervisor.Settings.defaults().withStartMethod(StartMethod.WARM).withWarmAgents(1));

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: reports who it is. */
  static void whoAmI() {
    ProcessInfo self = Multiprocessing.currentProcess();
    System.out.println("warm-child name=" + self.name() + " daemon=" + self.daemon()
        + " parent=" + Multiprocessing.parentProcess().map(ProcessInfo::name).orElse("none"));
  }

  /** Child side: waits until terminated. */
  static void waitForever() {
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void startHandsTheTargetToAnAgentThatWasBootedBefore() throws InterruptedException {
    assertTrue(mp.awaitWarmAgents(Duration.ofSeconds(60)));
    try (StdCapture out = StdCapture.stdout()) {
      Instant beforeStart = Instant.now();
      Process p = mp.process(WarmStartTest::whoAmI, ProcessOptions.defaults().withName("warm-one"));
      p.start();
      Instant launched = ProcessHandle.of(p.pid().getAsLong()).orElseThrow().info().startInstant().orElseThrow();
      assertTrue(p.join(Duration.ofSeconds(60)));

      assertTrue(launched.isBefore(beforeStart), "the child's JVM was started at " + launched
          + ", before start() was called at " + beforeStart);
      assertEquals(0, p.exitCode().getAsInt());
      out.awaitLine("warm-child name=warm-one daemon=false parent=MainProcess", Duration.ofSeconds(5));
    }
  }

  @Test
  void aReplacementIsBootedAndTakesTheNextStart() throws InterruptedException {
    Process first = mp.process(WarmStartTest::whoAmI);
    first.start();
    assertTrue(first.join(Duration.ofSeconds(60)));
    assertTrue(mp.awaitWarmAgents(Duration.ofSeconds(60)), "a replacement agent is booted");
    Instant beforeStart = Instant.now();
    Process second = mp.process(WarmStartTest::whoAmI);
    second.start();
    Instant launched = ProcessHandle.of(second.pid().getAsLong()).orElseThrow().info().startInstant().orElseThrow();
    assertTrue(second.join(Duration.ofSeconds(60)));
    assertEquals(0, second.exitCode().getAsInt());
    assertTrue(launched.isBefore(beforeStart), "the second start took the replacement booted before it");
    assertFalse(first.pid().equals(second.pid()));
  }

  @Test
  void childrenWithTheirOwnJvmOptionsAreSpawnedFresh() throws InterruptedException {
    List<String> options = new ArrayList<>(ProcessOptions.DEFAULT_JVM_OPTIONS);
    options.add("-Xmx96m");
    Process p = mp.process(WarmStartTest::waitForever, ProcessOptions.defaults().withJvmOptions(options));
    p.start();
    List<String> arguments = List.of(ProcessHandle.of(p.pid().getAsLong()).orElseThrow().info().arguments().orElseThrow());
    p.kill();
    assertTrue(p.join(Duration.ofSeconds(10)));
    assertTrue(arguments.contains("-Xmx96m"), "an idle agent (default options) was used: " + arguments);
  }

  @Test
  void aWarmChildIsTerminatedAndKilledLikeAnyOther() throws InterruptedException {
    Process p = mp.process(WarmStartTest::waitForever);
    p.start();
    p.terminate();
    assertTrue(p.join(Duration.ofSeconds(10)));
    assertEquals(-15, p.exitCode().getAsInt());
  }

  @Test
  void idleAgentsAreChildrenOfTheContextAndGoWhenItCloses() throws InterruptedException {
    Process p = mp.process(WarmStartTest::whoAmI);
    p.start();
    assertTrue(p.join(Duration.ofSeconds(60)));
    assertTrue(mp.activeChildren().isEmpty(), "idle agents are not user children");
    List<ProcessHandle> idle = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    assertFalse(idle.isEmpty(), "a replacement agent is kept ready");

    mp.close();
    for (ProcessHandle agent : idle) {
      agent.onExit().completeOnTimeout(agent, 5, TimeUnit.SECONDS).join();
      assertFalse(agent.isAlive(), "idle agent " + agent.pid() + " still runs after close()");
    }
  }

  /** The one idle agent of this context, found among this JVM's children by its main class. */
  static ProcessHandle theIdleAgent() {
    List<ProcessHandle> agents = ProcessHandle.current().children()
        .filter(child -> child.info().arguments().map(List::of).orElse(List.of())
            .contains("io.multiprocessing4j.agent.ChildMain"))
        .toList();
    assertEquals(1, agents.size(), "one idle agent: " + agents);
    return agents.get(0);
  }

  /** Starts {@code p} and returns once it is started, failing if start() takes longer than 20 s. */
  private static void startPromptly(Process p) throws Exception {
    CompletableFuture<Void> started = CompletableFuture.runAsync(p::start);
    started.get(20, TimeUnit.SECONDS);
  }

  /**
   * Opens {@code agent}'s stdout pipe for writing (where {@code /proc} offers it): while it is held, the
   * supervisor's copy of the agent's output sees no end of file, so the agent's exit is reported only
   * after the half second the supervisor gives a dead child's output to drain. A no-op stream elsewhere.
   */
  static OutputStream holdStdoutOf(ProcessHandle agent) throws IOException {
    Path stdout = Path.of("/proc", Long.toString(agent.pid()), "fd", "1");
    return Files.exists(stdout) ? new FileOutputStream(stdout.toFile()) : OutputStream.nullOutputStream();
  }

  @Test
  void aStartGivenAnIdleAgentWhoseProcessIsGoneRunsInAFreshChild() throws Exception {
    assertTrue(mp.awaitWarmAgents(Duration.ofSeconds(60)));
    ProcessHandle agent = theIdleAgent();
    Process p = mp.process(WarmStartTest::whoAmI, ProcessOptions.defaults().withName("after-a-death"));
    // The start reaches the supervisor after the agent's actor has seen the agent die, and before the
    // supervisor learns it from the actor.
    try (OutputStream heldOutput = holdStdoutOf(agent)) {
      agent.destroyForcibly();
      agent.onExit().get(10, TimeUnit.SECONDS);
      startPromptly(p);
    }
    assertTrue(p.join(Duration.ofSeconds(60)), "join() returns");
    assertEquals(0, p.exitCode().getAsInt());
    assertFalse(p.pid().getAsLong() == agent.pid(), "the target ran in a fresh child, not the dead agent");
  }

  @Test
  void aStartGivenAnIdleAgentAsItIsKilledIsAnsweredAndItsExitReported() throws Exception {
    assertTrue(mp.awaitWarmAgents(Duration.ofSeconds(60)));
    ProcessHandle agent = theIdleAgent();
    Process p = mp.process(WarmStartTest::whoAmI, ProcessOptions.defaults().withName("during-a-death"));
    agent.destroyForcibly();

    startPromptly(p);
    assertTrue(p.join(Duration.ofSeconds(60)), "join() returns");
    int exitCode = p.exitCode().getAsInt();
    // -9 only if the agent took the target in the moment before the kill took effect.
    assertTrue(exitCode == 0 && p.pid().getAsLong() != agent.pid()
        || exitCode == -9 && p.pid().getAsLong() == agent.pid(),
        "the target ran in a fresh child, or the dying agent took it: exit code " + exitCode);
  }

  @Test
  void anIdleAgentThatTookTheTargetAndThenDiedReportsItsDeath() throws Exception {
    assertTrue(mp.awaitWarmAgents(Duration.ofSeconds(60)));
    ProcessHandle agent = theIdleAgent();
    // Frozen, the agent still takes the target (its socket accepts it) but never runs it.
    signal("STOP", agent);
    Process p = mp.process(WarmStartTest::whoAmI, ProcessOptions.defaults().withName("took-it-and-died"));

    startPromptly(p);
    assertEquals(agent.pid(), p.pid().getAsLong(), "the agent took the target");
    agent.destroyForcibly();
    assertTrue(p.join(Duration.ofSeconds(60)), "join() returns");
    assertEquals(-9, p.exitCode().getAsInt());
  }

  private static void signal(String name, ProcessHandle process) throws Exception {
    java.lang.Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill -" + name + " returns");
    assertEquals(0, kill.exitValue(), "kill -" + name + " " + process.pid());
  }
}
