package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Kill;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The actor that supervises a started child fails: the supervisor still learns the child's exit, so
 * {@code join()} and the context's {@code close()} return (Python's Popen never loses track of a child).
 *
 * <p>No input of ours makes that actor throw, so the failure is injected the way any code sharing the
 * application's actor system could: Pekko's own {@link Kill}, sent to the actor by path, throws an
 * {@code ActorKilledException} inside it, exactly as an exception in one of its handlers would.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SupervisingActorFailureTest {
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static ActorTestKit testKit;

  private Multiprocessing mp;

  @TempDir
  Path dir;

  @BeforeAll
  static void startTestKit() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void closeContext() {
    mp.close();
  }

  /** Child side: says it runs, then runs until the test creates {@code release}. */
  static void runUntilReleased(String running, String release) {
    ChildSide.touch(running);
    ChildSide.awaitFile(release);
  }

  @Test
  void joinReturnsTheExitOfAChildWhoseSupervisingActorFailed() throws Exception {
    mp = Multiprocessing.create(testKit.system());
    String running = dir.resolve("running").toString();
    String release = dir.resolve("release").toString();
    Process p = mp.process(() -> runUntilReleased(running, release), ProcessOptions.defaults().withName("Orphaned"));
    p.start();
    ChildSide.awaitFile(running);

    failTheSupervisingActor();

    assertTrue(p.isAlive(), "the child outlives the actor that supervised it");
    ChildSide.touch(release);
    assertTrue(p.join(BOUND), "join() learns the exit although the supervising actor is gone");
    assertEquals(OptionalInt.of(0), p.exitCode(), "the exit code the OS reported");
    assertFalse(p.isAlive());
    assertTrue(mp.activeChildren().isEmpty());
  }

  @Test
  void joinReturnsWhenTheSupervisingActorFailsBeforeTheTargetReachedTheChild() throws Exception {
    mp = Multiprocessing.create(testKit.system());
    String release = dir.resolve("release").toString();
    Process p = mp.process(() -> ChildSide.awaitFile(release), ProcessOptions.defaults().withName("Unborn"));
    p.start();
    // Most likely before the child's JVM has connected (that takes a few hundred milliseconds); if it
    // was quicker, the child runs its target, and the release below ends it.
    failTheSupervisingActor();
    ChildSide.touch(release);

    assertTrue(p.join(BOUND), "join() learns the exit although the supervising actor is gone");
    int exitCode = p.exitCode().orElseThrow();
    assertTrue(exitCode == -9 || exitCode == 0,
        "killed, having nothing to finish, or ran its released target; was " + exitCode);
  }

  @Test
  void killStillReachesAChildWhoseSupervisingActorFailed() throws Exception {
    mp = Multiprocessing.create(testKit.system());
    String running = dir.resolve("running").toString();
    String release = dir.resolve("release").toString();
    Process p = mp.process(() -> runUntilReleased(running, release), ProcessOptions.defaults().withName("Unruly"));
    p.start();
    ChildSide.awaitFile(running);
    failTheSupervisingActor();

    p.kill();

    assertTrue(p.join(BOUND), "the kill reached the child");
    assertEquals(OptionalInt.of(-9), p.exitCode());
  }

  /** Fails the one supervising actor of this context's child, and waits until it has stopped. */
  private static void failTheSupervisingActor() throws Exception {
    ActorRef childActor = testKit.system().classicSystem()
        .actorSelection("/system/multiprocessing4j-supervisor-*/child-*")
        .resolveOne(BOUND).toCompletableFuture().get(BOUND.toSeconds(), TimeUnit.SECONDS);
    TestProbe<Object> watcher = testKit.createTestProbe();
    childActor.tell(Kill.getInstance(), ActorRef.noSender());
    watcher.expectTerminated(Adapter.toTyped(childActor), BOUND);
  }
}
