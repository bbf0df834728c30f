package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.multiprocessing4j.ProcessSupervisor.StartResult;
import io.multiprocessing4j.ProcessSupervisor.Started;
import io.multiprocessing4j.ProcessSupervisor.State;
import io.multiprocessing4j.ProcessSupervisor.Status;
import io.multiprocessing4j.ProcessSupervisor.Stop;
import io.multiprocessing4j.ProcessSupervisor.Subscribe;
import io.multiprocessing4j.ProcessSupervisor.Terminate;
import io.multiprocessing4j.ProcessSupervisor.Unsubscribe;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad input to the typed face. A command missing a field would otherwise throw inside the
 * supervisor's actor, and Pekko stops an actor that throws: one malformed message from an
 * application would take the supervisor, and the channel of every child it runs, down with it.
 * So a command with a null field is refused where it is built, and unknown ids are answered.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessSupervisorBadCommandTest {
  private static final Duration ANSWER = Duration.ofSeconds(10);

  private static ActorTestKit testKit;

  @BeforeAll
  static void startTestKit() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }

  private static void assertRefused(String field, Supplier<Command> build) {
    NullPointerException refused = assertThrows(NullPointerException.class, build::get);
    assertTrue(refused.getMessage() != null && refused.getMessage().contains(field),
        "the message names " + field + ": " + refused.getMessage());
  }

  @Test
  void commandsWithANullFieldAreRefusedWhereTheyAreBuilt() {
    ActorRef<ProcessSupervisor.StartResult> replyTo = testKit.<ProcessSupervisor.StartResult>createTestProbe().getRef();
    ProcessSpec spec = ProcessSpec.of(() -> { }, ProcessOptions.defaults());
    assertRefused("spec", () -> new Start(null, replyTo));
    assertRefused("replyTo", () -> new Start(spec, null));
    assertRefused("replyTo", () -> new GetStatus(1, null));
    assertRefused("replyTo", () -> new ListChildren(null));
    assertRefused("subscriber", () -> new Subscribe(null));
    assertRefused("subscriber", () -> new Unsubscribe(null));
    assertRefused("replyTo", () -> new AwaitWarmAgents(null));
    assertRefused("replyTo", () -> new Stop(null));
  }

  @Test
  void unknownIdsAreAnsweredAndLeaveTheSupervisorServing() {
    ActorRef<Command> supervisor = testKit.spawn(ProcessSupervisor.create());
    try {
      supervisor.tell(new Terminate(42));
      supervisor.tell(new Kill(-1));
      TestProbe<Status> status = testKit.createTestProbe(Status.class);
      supervisor.tell(new GetStatus(42, status.getRef()));
      assertEquals(State.UNKNOWN, status.receiveMessage(ANSWER).state());
      TestProbe<List<Status>> children = testKit.createTestProbe();
      supervisor.tell(new ListChildren(children.getRef()));
      assertEquals(List.of(), children.receiveMessage(ANSWER));
    } finally {
      testKit.stop(supervisor);
    }
  }

  /**
   * An idle agent of the warm start method is the supervisor's own: its id is not a child's
   * ({@link GetStatus} says UNKNOWN), so Terminate and Kill of that id are ignored, as for any unknown
   * id, and the next start still gets that agent.
   */
  @Test
  void terminateAndKillOfAnIdleAgentsIdAreIgnored() {
    ActorRef<Command> supervisor =
        testKit.spawn(ProcessSupervisor.create(Settings.defaults().withStartMethod(StartMethod.WARM).withWarmAgents(1)));
    try {
      TestProbe<Integer> ready = testKit.createTestProbe(Integer.class);
      supervisor.tell(new AwaitWarmAgents(ready.getRef()));
      assertEquals(1, ready.receiveMessage(Duration.ofSeconds(30)));
      long idleAgent = 1;
      TestProbe<Status> status = testKit.createTestProbe(Status.class);
      supervisor.tell(new GetStatus(idleAgent, status.getRef()));
      assertEquals(State.UNKNOWN, status.receiveMessage(ANSWER).state());

      supervisor.tell(new Terminate(idleAgent));
      supervisor.tell(new Kill(idleAgent));
      TestProbe<Event> events = testKit.createTestProbe(Event.class);
      supervisor.tell(new Subscribe(events.getRef()));
      TestProbe<StartResult> reply = testKit.createTestProbe(StartResult.class);
      supervisor.tell(new Start(ProcessSpec.of(() -> { }, ProcessOptions.defaults()), reply.getRef()));
      Started started = reply.expectMessageClass(Started.class, Duration.ofSeconds(30));
      assertEquals(idleAgent, started.id(), "the start went to the idle agent, which was left alone");
      assertEquals(started, events.expectMessageClass(Started.class, Duration.ofSeconds(30)));
      Exited exited = events.expectMessageClass(Exited.class, Duration.ofSeconds(30));
      assertEquals(0, exited.exitCode());
    } finally {
      testKit.stop(supervisor);
    }
  }
}
