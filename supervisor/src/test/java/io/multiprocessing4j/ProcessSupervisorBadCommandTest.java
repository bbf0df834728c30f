package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.ProcessSupervisor.AwaitWarmAgents;
import io.multiprocessing4j.ProcessSupervisor.Command;
import io.multiprocessing4j.ProcessSupervisor.GetStatus;
import io.multiprocessing4j.ProcessSupervisor.Kill;
import io.multiprocessing4j.ProcessSupervisor.ListChildren;
import io.multiprocessing4j.ProcessSupervisor.Start;
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
}
