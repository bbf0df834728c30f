package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
}
