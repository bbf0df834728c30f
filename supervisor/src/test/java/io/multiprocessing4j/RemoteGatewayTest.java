package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.RemoteConfig;
import io.multiprocessing4j.internal.RemoteGateway;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.GatewayHello;
import io.multiprocessing4j.proto.GatewayLookup;
import io.multiprocessing4j.proto.GatewayReply;
import io.multiprocessing4j.proto.GatewayRequest;
import io.multiprocessing4j.wire.Handshake;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's protocol spoken directly (remote.proto), for what {@link RemoteContext} never does on
 * its own: a JVM that looked up a pipe end and died before claiming it.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RemoteGatewayTest {
  private static final Duration ASK = Duration.ofSeconds(20);

  @Test
  void aPipeEndLookedUpByAJvmThatDiesBeforeClaimingItDoesNotHoldTheEndOpen() throws Exception {
    try (Multiprocessing mp = Multiprocessing.create(RemoteOptions.listen("127.0.0.1", 0))) {
      Pipe<Object> pipe = mp.pipe();
      mp.publish("end", pipe.conn2());
      ActorSystem<Void> client = ActorSystem.create(Behaviors.empty(), "client", RemoteConfig.artery("127.0.0.1", 0));
      try {
        ActorRefResolver resolver = ActorRefResolver.get(client);
        ActorRef<GatewayRequest> gateway = resolver.resolveActorRef(
            "pekko://" + RemoteConfig.SYSTEM_NAME + "@" + mp.remoteAddress() + "/system/" + RemoteGateway.NAME);
        String holder = resolver.toSerializationFormat(
            client.systemActorOf(Behaviors.ignore(), "holder", Props.empty()));
        Challenge challenge = ask(client, gateway, replyTo -> GatewayRequest.newBuilder().setReplyTo(replyTo)
            .setHello(GatewayHello.getDefaultInstance()).build()).getChallenge().getChallenge();
        GatewayLookup lookup = GatewayLookup.newBuilder().setNonce(challenge.getNonce()).setName("end")
            .setHolder(holder).setProof(Handshake.respond(challenge, mp.authkey(), 0, ProcessHandle.current().pid()))
            .build();
        GatewayReply handle = ask(client, gateway,
            replyTo -> GatewayRequest.newBuilder().setReplyTo(replyTo).setLookup(lookup).build());
        assertTrue(handle.hasHandle(), handle.toString());
      } finally {
        // The client's JVM "dies" holding the copy it was handed, never having claimed it.
        client.terminate();
        client.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      pipe.conn2().close();
      assertTrue(pipe.conn1().poll(Duration.ofSeconds(30)), "end of file once no process holds the other end");
      assertThrows(PipeClosedException.class, () -> pipe.conn1().recv());
    }
  }

  private static GatewayReply ask(ActorSystem<Void> client, ActorRef<GatewayRequest> gateway,
      Function<String, GatewayRequest> request) throws Exception {
    ActorRefResolver resolver = ActorRefResolver.get(client);
    return AskPattern.<GatewayRequest, GatewayReply>ask(gateway,
            replyTo -> request.apply(resolver.toSerializationFormat(replyTo)), ASK, client.scheduler())
        .toCompletableFuture().get(ASK.toSeconds() + 5, TimeUnit.SECONDS);
  }
}
