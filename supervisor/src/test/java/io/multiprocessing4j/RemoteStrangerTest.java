package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiprocessing4j.internal.RemoteConfig;
import io.multiprocessing4j.internal.RemoteGateway;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a stranger who reaches the Artery port can do without the authkey. Pekko remoting delivers any
 * peer's PoisonPill (only its untrusted mode refuses them, and that mode refuses the remote DeathWatch
 * the relay relies on too), so a stranger can stop the serving actor system; that system must be one
 * of its own, so that the context's children and local pipes and queues carry on.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RemoteStrangerTest {
  @Test
  void aPoisonPillFromAStrangerStopsAtMostTheServingSystemNotTheContext() throws Exception {
    ActorSystem<Void> stranger = ActorSystem.create(Behaviors.empty(), "stranger", RemoteConfig.artery("127.0.0.1", 0));
    try (Multiprocessing mp = Multiprocessing.create(RemoteOptions.listen("127.0.0.1", 0))) {
      String serving = "pekko://" + RemoteConfig.SYSTEM_NAME + "@" + mp.remoteAddress();
      CompletableFuture<Void> gatewayGone = watch(stranger, serving + "/system/" + RemoteGateway.NAME);
      // The user guardian of the system that listens: stopping it terminates that whole actor system.
      stranger.classicSystem().actorSelection(serving + "/user")
          .tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
      gatewayGone.get(30, TimeUnit.SECONDS);

      Process child = mp.process(() -> { });
      child.start();
      child.join(Duration.ofSeconds(30));
      assertEquals(0, child.exitCode().orElse(-1), "the context still starts children");
      Queue<Object> queue = mp.queue();
      queue.put("still works");
      assertEquals("still works", queue.get(Duration.ofSeconds(10)));
    } finally {
      stranger.terminate();
      stranger.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Completes once the actor at {@code path} (in another actor system) is gone, as DeathWatch tells it. */
  private static CompletableFuture<Void> watch(ActorSystem<Void> from, String path) {
    CompletableFuture<Void> gone = new CompletableFuture<>();
    ActorRef<Object> target = ActorRefResolver.get(from).resolveActorRef(path);
    from.systemActorOf(Behaviors.setup(context -> {
      context.watch(target);
      return Behaviors.receive(Object.class).onSignal(Terminated.class, terminated -> {
        gone.complete(null);
        return Behaviors.stopped();
      }).build();
    }), "watcher", org.apache.pekko.actor.typed.Props.empty());
    return gone;
  }
}
