package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.ProcessSupervisor.AwaitWarmAgents;
import io.multiprocessing4j.ProcessSupervisor.Command;
import io.multiprocessing4j.ProcessSupervisor.Event;
import io.multiprocessing4j.ProcessSupervisor.Exited;
import io.multiprocessing4j.ProcessSupervisor.GetStatus;
import io.multiprocessing4j.ProcessSupervisor.Kill;
import io.multiprocessing4j.ProcessSupervisor.ListChildren;
import io.multiprocessing4j.ProcessSupervisor.Settings;
import io.multiprocessing4j.ProcessSupervisor.Start;
import io.multiprocessing4j.ProcessSupervisor.StartFailed;
import io.multiprocessing4j.ProcessSupervisor.StartResult;
import io.multiprocessing4j.ProcessSupervisor.Started;
import io.multiprocessing4j.ProcessSupervisor.State;
import io.multiprocessing4j.ProcessSupervisor.Status;
import io.multiprocessing4j.ProcessSupervisor.Stop;
import io.multiprocessing4j.ProcessSupervisor.Stopped;
import io.multiprocessing4j.ProcessSupervisor.Subscribe;
import io.multiprocessing4j.ProcessSupervisor.Terminate;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed face: {@link ProcessSupervisor} spawned in an application's actor system (Pekko's
 * {@link ActorTestKit}), driven by its command protocol, with subscribers receiving Started and
 * Exited events.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessSupervisorProtocolTest {
  private static final Duration CHILD_RUN = Duration.ofSeconds(30);

  private static ActorTestKit testKit;

  private ActorRef<Command> supervisor;
  private TestProbe<Event> events;
  private StdCapture out;

  @TempDir
  Path dir;

  /**
   * Child-side targets. They live in a nested class so that a child, which initializes the class
   * holding a lambda to deserialize it, never touches this test class's actor test kit.
   */
  static final class Targets {
    private Targets() {}

    static SerializableRunnable announceAndWait(String token, String release) {
      return () -> {
        System.out.println("running " + token);
        ChildSide.awaitFile(release);
      };
    }

    static SerializableRunnable noOp() {
      return () -> { };
    }

    static SerializableRunnable holding(byte[] payload) {
      return () -> System.out.println("holding " + payload.length);
    }

    static SerializableRunnable busyUntilInterrupted(String token) {
      return () -> TerminateTest.busyUntilInterrupted(token);
    }
  }

  @BeforeAll
  static void startTestKit() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void spawnSupervisor() {
    out = StdCapture.stdout();
    supervisor = testKit.spawn(ProcessSupervisor.create());
    events = testKit.createTestProbe(Event.class);
    supervisor.tell(new Subscribe(events.getRef()));
  }

  @AfterEach
  void stopSupervisor() {
    try {
      testKit.stop(supervisor);
    } finally {
      out.close();
    }
  }

  private Started start(SerializableRunnable target, ProcessOptions options) {
    TestProbe<StartResult> reply = testKit.createTestProbe(StartResult.class);
    supervisor.tell(new Start(ProcessSpec.of(target, options), reply.getRef()));
    Started started = reply.expectMessageClass(Started.class, CHILD_RUN);
    assertEquals(started, events.expectMessageClass(Started.class, CHILD_RUN), "subscribers see Started too");
    return started;
  }

  private Exited expectExited(Started started) {
    Exited exited = events.expectMessageClass(Exited.class, CHILD_RUN);
    assertEquals(started.id(), exited.id());
    assertEquals(started.pid(), exited.pid());
    assertEquals(started.name(), exited.name());
    return exited;
  }

  private Status status(long id) {
    TestProbe<Status> probe = testKit.createTestProbe(Status.class);
    supervisor.tell(new GetStatus(id, probe.getRef()));
    return probe.receiveMessage();
  }

  private List<Status> children() {
    TestProbe<List<Status>> probe = testKit.createTestProbe();
    supervisor.tell(new ListChildren(probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void startReportsStartedWithPidThenExitedZero() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    Started started = start(Targets.announceAndWait(token, release), ProcessOptions.defaults());

    assertEquals("Process-1", started.name(), "a supervisor counts its own default names");
    assertFalse(started.daemon());
    assertTrue(ProcessHandle.of(started.pid()).map(ProcessHandle::isAlive).orElse(false), "Started carries a live pid");
    out.awaitLine("running " + token, CHILD_RUN);

    ChildSide.touch(release);
    Exited exited = expectExited(started);
    assertEquals(0, exited.exitCode());
    assertTrue(exited.remoteTraceback().isEmpty());
  }

  @Test
  void terminateGivesExitedMinus15() throws Exception {
    String token = "t" + System.nanoTime();
    Started started = start(Targets.busyUntilInterrupted(token), ProcessOptions.defaults());
    out.awaitLine("busy " + token, CHILD_RUN);

    supervisor.tell(new Terminate(started.id()));
    assertEquals(-15, expectExited(started).exitCode());
  }

  @Test
  void killGivesExitedMinus9() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    Started started = start(Targets.announceAndWait(token, release), ProcessOptions.defaults());
    out.awaitLine("running " + token, CHILD_RUN);

    supervisor.tell(new Kill(started.id()));
    supervisor.tell(new Kill(started.id()));
    assertEquals(-9, expectExited(started).exitCode());
    supervisor.tell(new Terminate(started.id()));
    supervisor.tell(new Kill(started.id()));
    assertEquals(State.STOPPED, status(started.id()).state(), "commands for an exited child are ignored");
  }

  @Test
  void getStatusAndListChildrenFollowTheChild() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    Started started = start(Targets.announceAndWait(token, release),
        ProcessOptions.defaults().withName("watched").withDaemon(true));
    out.awaitLine("running " + token, CHILD_RUN);

    Status running = status(started.id());
    assertEquals(State.RUNNING, running.state());
    assertEquals(started.pid(), running.pid());
    assertEquals("watched", running.name());
    assertTrue(running.daemon());
    assertEquals(OptionalInt.empty(), running.exitCode());
    assertEquals(List.of(running), children());

    ChildSide.touch(release);
    expectExited(started);
    Status stopped = status(started.id());
    assertEquals(State.STOPPED, stopped.state());
    assertEquals(OptionalInt.of(0), stopped.exitCode());
    assertEquals(List.of(), children());
    assertEquals(State.UNKNOWN, status(started.id() + 1000).state());
  }

  @Test
  void defaultNamesCountPerSupervisor() throws Exception {
    Started first = start(Targets.noOp(), ProcessOptions.defaults());
    Started named = start(Targets.noOp(), ProcessOptions.defaults().withName("custom"));
    Started second = start(Targets.noOp(), ProcessOptions.defaults());
    for (int exits = 0; exits < 3; ) {
      if (events.receiveMessage(CHILD_RUN) instanceof Exited) {
        exits++;
      }
    }
    assertEquals("Process-1", first.name());
    assertEquals("custom", named.name());
    assertEquals(List.of(first.id(), named.id(), second.id()).stream().distinct().count(), 3L, "ids are unique");
    assertTrue(second.name().startsWith("Process-") && !second.name().equals(first.name()), second.name());
  }

  @Test
  void stopKillsDaemonChildren() throws Exception {
    String token = "t" + System.nanoTime();
    String release = dir.resolve("release").toString();
    Started started = start(Targets.announceAndWait(token, release), ProcessOptions.defaults().withDaemon(true));
    out.awaitLine("running " + token, CHILD_RUN);
    ProcessHandle child = ProcessHandle.of(started.pid()).orElseThrow();

    TestProbe<Stopped> stopped = testKit.createTestProbe(Stopped.class);
    supervisor.tell(new Stop(stopped.getRef()));
    stopped.expectMessageClass(Stopped.class);
    child.onExit().get(2, TimeUnit.SECONDS);
    assertFalse(child.isAlive());
  }

  @Test
  void aStartWhoseTargetCannotReachTheChildInOneFrameIsRefused() {
    int limit = 64 * 1024;
    ActorRef<Command> small = testKit.spawn(ProcessSupervisor.create(
        new Settings(Duration.ofSeconds(5), limit, StartMethod.SPAWN, 0, false)));
    TestProbe<Event> smallEvents = testKit.createTestProbe(Event.class);
    small.tell(new Subscribe(smallEvents.getRef()));
    try {
      TestProbe<StartResult> reply = testKit.createTestProbe(StartResult.class);
      small.tell(new Start(ProcessSpec.of(Targets.holding(new byte[4 * limit]),
          ProcessOptions.defaults().withName("Big").withDaemon(true)), reply.getRef()));

      StartResult result = reply.receiveMessage(CHILD_RUN);
      if (result instanceof Started started) {
        // A child that would wait forever for its target: end it before failing.
        small.tell(new Kill(started.id()));
        while (!(smallEvents.receiveMessage(CHILD_RUN) instanceof Exited)) {
          // Started comes first.
        }
      }
      StartFailed failed = assertInstanceOf(StartFailed.class, result, "the supervisor refuses the start");
      assertEquals("Big", failed.name());
      assertTrue(failed.reason().matches("the target of Big takes \\d+ bytes, more than one frame to a child may carry"
          + " \\(maxFrameBytes " + limit + "\\).*"), "names the target, its size and the limit: " + failed.reason());
      assertEquals(failed, smallEvents.expectMessageClass(StartFailed.class), "subscribers see StartFailed too");
      TestProbe<Status> status = testKit.createTestProbe(Status.class);
      small.tell(new GetStatus(failed.id(), status.getRef()));
      assertEquals(State.STOPPED, status.receiveMessage().state());
    } finally {
      testKit.stop(small);
    }
  }

  @Test
  void aWarmStartHandedToAnAgentThatHasJustDiedIsAnsweredAndReportedAsAFreshChildOnly() throws Exception {
    ActorRef<Command> warm = testKit.spawn(ProcessSupervisor.create(
        Settings.defaults().withStartMethod(StartMethod.WARM).withWarmAgents(1)));
    TestProbe<Event> warmEvents = testKit.createTestProbe(Event.class);
    warm.tell(new Subscribe(warmEvents.getRef()));
    try {
      TestProbe<Integer> ready = testKit.createTestProbe(Integer.class);
      warm.tell(new AwaitWarmAgents(ready.getRef()));
      assertEquals(1, ready.receiveMessage(CHILD_RUN));
      ProcessHandle agent = WarmStartTest.theIdleAgent();
      TestProbe<StartResult> reply = testKit.createTestProbe(StartResult.class);
      Started started;
      // As in WarmStartTest: the Start reaches the supervisor before it learns that the agent died.
      try (OutputStream heldOutput = WarmStartTest.holdStdoutOf(agent)) {
        agent.destroyForcibly();
        agent.onExit().get(10, TimeUnit.SECONDS);
        warm.tell(new Start(ProcessSpec.of(Targets.noOp(), ProcessOptions.defaults()), reply.getRef()));
        started = reply.expectMessageClass(Started.class, CHILD_RUN);
      }

      assertNotEquals(agent.pid(), started.pid(), "a fresh child");
      assertEquals(started, warmEvents.expectMessageClass(Started.class, CHILD_RUN),
          "subscribers hear first of the fresh child, nothing of the agent");
      Exited exited = warmEvents.expectMessageClass(Exited.class, CHILD_RUN);
      assertEquals(started.id(), exited.id());
      assertEquals(0, exited.exitCode());
    } finally {
      testKit.stop(warm);
    }
  }
}
