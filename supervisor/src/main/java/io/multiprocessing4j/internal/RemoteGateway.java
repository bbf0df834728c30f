package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.GatewayChallenge;
import io.multiprocessing4j.proto.GatewayReply;
import io.multiprocessing4j.proto.GatewayRequest;
import io.multiprocessing4j.proto.GatewaySession;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.proto.RelayMessage;
import io.multiprocessing4j.wire.Handshake;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Where JVMs on other machines reach a context's pipes and queues over Pekko remoting (see
 * remote.proto): it answers a lookup of a published handle to a peer that proves the context's authkey,
 * and opens a {@link RelaySession} with a broker for a peer that proves that broker's endpoint key, the
 * key every handle of it carries. Each proof answers a fresh single-use nonce, as a child's handshake
 * on the channel socket does, so a recorded proof cannot be replayed.
 *
 * <p>What a stranger who reaches the port can still do without a key (see also {@link
 * io.multiprocessing4j.RemoteOptions}): ask for challenges, each answered to whatever actor path the
 * request names (any host's: the gateway then opens an Artery association there, one more send queue in
 * memory; or an actor of this system, which ignores a reply it does not expect), and, by asking for
 * more than {@code MAX_OPEN_NONCES} in a minute, make honest peers' pending challenges expire, so that
 * their lookups fail as if the authkey were wrong. None of it reveals a handle or a key.
 */
public final class RemoteGateway {
  /** The name the gateway is spawned under, as a system actor. */
  public static final String NAME = "multiprocessing4j-gateway";
  /** Nonces not yet used; the oldest are forgotten past this many. */
  private static final int MAX_OPEN_NONCES = 4096;
  private static final long NONCE_MILLIS = 60_000;

  private final ActorContext<GatewayRequest> context;
  private final ChannelServer server;
  private final ChannelBrokers brokers;
  private final byte[] authkey;
  private final Map<String, Object> published;
  private final AtomicLong sessionsOpened;
  private final ActorRefResolver resolver;
  /**
   * What the sessions to each JVM may have sent and not had acknowledged, by its address: Artery has one
   * send queue per destination JVM, so one slow JVM does not hold back the sessions to the others.
   * Forgotten with that JVM's holder.
   */
  private final Map<Address, Relay.Budget> budgets = new HashMap<>();
  /**
   * The copies of pipe ends handed out to each asking JVM, by its holder actor (see remote.proto),
   * released when that actor is gone; releasing a copy its JVM claimed changes nothing.
   */
  private final Map<ActorRef<?>, List<EndCopies>> handedOut = new HashMap<>();
  /** Nonce to the time it was issued. */
  private final LinkedHashMap<ByteString, Long> nonces = new LinkedHashMap<>();

  private RemoteGateway(ActorContext<GatewayRequest> context, ChannelServer server, ChannelBrokers brokers,
      byte[] authkey, Map<String, Object> published, AtomicLong sessionsOpened) {
    this.context = context;
    this.server = server;
    this.brokers = brokers;
    this.authkey = authkey.clone();
    this.published = published;
    this.sessionsOpened = sessionsOpened;
    this.resolver = ActorRefResolver.get(context.getSystem());
  }

  /**
   * @param published what {@code Multiprocessing.publish} registered, by name (read on lookups)
   * @param sessionsOpened counts the sessions opened, for tests and monitoring
   */
  public static Behavior<GatewayRequest> create(ChannelServer server, ChannelBrokers brokers, byte[] authkey,
      ConcurrentHashMap<String, Object> published, AtomicLong sessionsOpened) {
    return Behaviors.setup(
        context -> new RemoteGateway(context, server, brokers, authkey, published, sessionsOpened).behavior());
  }

  private Behavior<GatewayRequest> behavior() {
    return Behaviors.receive(GatewayRequest.class).onMessage(GatewayRequest.class, request -> {
      ActorRef<GatewayReply> replyTo = resolver.resolveActorRef(request.getReplyTo());
      replyTo.tell(answer(request));
      return Behaviors.same();
    }).onSignal(Terminated.class, terminated -> {
      budgets.remove(terminated.getRef().path().address());
      List<EndCopies> unclaimed = handedOut.remove(terminated.getRef());
      if (unclaimed != null) {
        unclaimed.forEach(EndCopies::release);
      }
      return Behaviors.same();
    }).build();
  }

  private GatewayReply answer(GatewayRequest request) {
    switch (request.getOpCase()) {
      case HELLO:
        return challenge();
      case LOOKUP: {
        var lookup = request.getLookup();
        if (!proves(lookup.getNonce(), lookup.getProof(), authkey, 0)) {
          return refused("authentication failed: the authkey is wrong (or the challenge expired)");
        }
        if (lookup.getHolder().isEmpty()) {
          return refused("the lookup names no holder");
        }
        Object handle = published.get(lookup.getName());
        if (handle == null) {
          return refused("nothing is published as '" + lookup.getName() + "'; published: " + published.keySet());
        }
        try {
          // A pipe end serialized here registers a copy, which holds the end open until the peer claims
          // it; if the peer's JVM dies first, the copy is released as a dead child's would be.
          EndCopies copies = new EndCopies();
          Payload encoded = ChannelCodec.encode(handle, Integer.MAX_VALUE, false,
              "the handle published as '" + lookup.getName() + "'", copies);
          ActorRef<Void> holder = resolver.resolveActorRef(lookup.getHolder());
          handedOut.computeIfAbsent(holder, watched -> {
            context.watch(watched);
            return new ArrayList<>();
          }).add(copies);
          return GatewayReply.newBuilder().setHandle(encoded).build();
        } catch (RuntimeException e) {
          return refused("'" + lookup.getName() + "' cannot be handed out: " + e.getMessage());
        }
      }
      case OPEN: {
        var open = request.getOpen();
        long endpointId = open.getProof().getChildId();
        ChannelBrokers.Relayable target = brokers.relayable(endpointId);
        if (target == null || !proves(open.getNonce(), open.getProof(), target.endpoint().key(), endpointId)) {
          return refused("authentication failed, or the pipe or queue is closed");
        }
        ActorRef<RelayMessage> peer = resolver.resolveActorRef(open.getFramesTo());
        Relay.Budget budget = budgets.computeIfAbsent(peer.path().address(), address -> new Relay.Budget());
        Relay.Sender toPeer = new Relay.Sender(peer::tell, budget);
        String name = "relay-" + endpointId + "-" + UUID.randomUUID();
        ActorRef<Object> session = context.spawn(
            RelaySession.create(target.endpoint(), peer, toPeer, target.frameLimit()), name,
            DispatcherSelector.blocking());
        ActorRef<RelayMessage> acks = context.spawn(RelaySession.acks(toPeer, session), name + "-acks");
        sessionsOpened.incrementAndGet();
        return GatewayReply.newBuilder().setSession(GatewaySession.newBuilder()
            .setFrames(resolver.toSerializationFormat(session))
            .setAcks(resolver.toSerializationFormat(acks))).build();
      }
      default:
        return refused("unknown request " + request.getOpCase());
    }
  }

  private GatewayReply challenge() {
    Challenge challenge = Handshake.newChallenge();
    long now = System.currentTimeMillis();
    nonces.put(challenge.getNonce(), now);
    Iterator<Long> issued = nonces.values().iterator();
    while (issued.hasNext()) {
      long at = issued.next();
      if (nonces.size() <= MAX_OPEN_NONCES && now - at < NONCE_MILLIS) {
        break;
      }
      issued.remove();
    }
    return GatewayReply.newBuilder().setChallenge(GatewayChallenge.newBuilder()
        .setChallenge(challenge).setContext(server.socketPath().toString())).build();
  }

  /** Whether {@code proof} answers a nonce this gateway issued (now used up) with {@code key}. */
  private boolean proves(ByteString nonce, ChallengeResponse proof, byte[] key, long id) {
    Long issuedAt = nonces.remove(nonce);
    if (issuedAt == null || System.currentTimeMillis() - issuedAt >= NONCE_MILLIS || proof.getChildId() != id) {
      return false;
    }
    Challenge challenge = Challenge.newBuilder().setNonce(nonce).setProtocolVersion(Handshake.PROTOCOL_VERSION).build();
    return Handshake.verify(challenge, proof, key);
  }

  private static GatewayReply refused(String reason) {
    return GatewayReply.newBuilder().setRefused(reason).build();
  }
}
