package io.multiprocessing4j.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist$;
import org.apache.pekko.serialization.SerializationExtension$;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's actor system starts only what the agent uses: whatever a boot creates stays resident in
 * every child. In this JVM, no child JVM involved.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentConfigTest {
  @Test
  void bootsWithoutTheExtensionsAndThreadPoolsTheAgentDoesNotUse() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "agent-config-test", ChildMain.agentConfig());
    try {
      ExtendedActorSystem classic = (ExtendedActorSystem) system.classicSystem();
      assertFalse(classic.hasExtension(SerializationExtension$.MODULE$), "serialization is not loaded at boot");
      assertFalse(system.hasExtension(Receptionist$.MODULE$), "no receptionist at boot");
      assertSame(classic.dispatchers().defaultGlobalDispatcher(),
          classic.dispatchers().lookup("pekko.actor.internal-dispatcher"),
          "Pekko's internal work runs on the default dispatcher");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
