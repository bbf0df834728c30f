package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.GatewayChallenge;
import io.multiprocessing4j.proto.GatewayHello;
import io.multiprocessing4j.proto.GatewayLookup;
import io.multiprocessing4j.proto.GatewayOpen;
import io.multiprocessing4j.proto.GatewayReply;
import io.multiprocessing4j.proto.GatewayRequest;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.Handshake;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * This JVM's link to a context on another machine ({@code Multiprocessing.connect}): an actor system
 * of its own with Artery remoting, the context's {@link RemoteGateway}, and the handles opened through
 * it. While it is open, every pipe end and queue of that context used in this JVM, however it got
 * here (looked up, or received inside an item), connects through it ({@link #forContext}).
 */
public final class RemotePeer implements AutoCloseable {
  /** How long the gateway may take to answer one request. */
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(15);
  /** How long {@link #connect} tries to open a TCP connection to the context's port before giving up. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
  private static final Map<String, RemotePeer> BY_CONTEXT = new ConcurrentHashMap<>();

  private final ActorSystem<Void> system;
  private final ActorRef<GatewayRequest> gateway;
  private final ActorRefResolver resolver;
  /** An actor that lives as long as this peer's actor system: the gateway watches it (see remote.proto). */
  private final String holder;
  private final byte[] authkey;
  private final String address;
  private final String context;
  /** The links open now; a link leaves once it ended. */
  private final Set<RelayLink> links = ConcurrentHashMap.newKeySet();
  /** What every link of this peer may have sent and not had acknowledged. */
  private final Relay.Budget budget = new Relay.Budget();
  private volatile boolean closed;

  private RemotePeer(ActorSystem<Void> system, String address, byte[] authkey) {
    this.system = system;
    this.address = address;
    this.authkey = authkey.clone();
    this.resolver = ActorRefResolver.get(system);
    this.holder = resolver.toSerializationFormat(
        system.systemActorOf(Behaviors.ignore(), "multiprocessing4j-holder", Props.empty()));
    this.gateway = resolver.resolveActorRef("pekko://" + RemoteConfig.SYSTEM_NAME + "@" + address + "/system/"
        + RemoteGateway.NAME);
    // Closed before the system stops, so that what was sent just before the JVM exits is delivered.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "close-remote-handles",
        () -> {
          closeLinks();
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        });
    this.context = ask(replyTo -> hello(replyTo), "reach the context at " + address).getChallenge().getContext();
  }

  /**
   * Connects to the context serving at {@code host:port}; its first answer (a challenge) proves it is
   * there. Its handles used in this JVM connect through this peer until {@link #close()}.
   *
   * @throws IllegalStateException if nothing answers there in time
   */
  public static RemotePeer connect(String host, int port, byte[] authkey) {
    refuseUnlessListening(host, port);
    // Initialize logging before the actor system logs, so SLF4J need not buffer and replay its first calls.
    org.slf4j.LoggerFactory.getILoggerFactory();
    String localHost = localAddressTowards(host);
    com.typesafe.config.Config config = RemoteConfig.artery(localHost, 0);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), RemoteConfig.SYSTEM_NAME, config);
    try {
      RemotePeer peer = new RemotePeer(system, host + ":" + port, authkey);
      RemotePeer earlier = BY_CONTEXT.putIfAbsent(peer.context, peer);
      if (earlier != null && !earlier.closed) {
        // Not peer.close(): that would forget the open handles of the earlier peer's context too.
        throw new IllegalStateException("this JVM is connected to the context at " + host + ":" + port
            + " already; use that RemoteContext");
      }
      BY_CONTEXT.put(peer.context, peer);
      return peer;
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /** The peer through which handles of the context whose channel socket is {@code socketPath} connect, or null. */
  static RemotePeer forContext(String socketPath) {
    RemotePeer peer = BY_CONTEXT.get(socketPath);
    return peer == null || peer.closed ? null : peer;
  }

  /** What the context published as {@code name}, decoded here (a pipe end attaches to this JVM). */
  public Object lookup(String name) {
    GatewayChallenge challenge = ask(this::hello, "reach the context at " + address).getChallenge();
    GatewayReply reply = ask(replyTo -> GatewayRequest.newBuilder().setReplyTo(replyTo)
        .setLookup(GatewayLookup.newBuilder().setNonce(challenge.getChallenge().getNonce())
            .setProof(proof(challenge, authkey, 0)).setName(name).setHolder(holder)).build(),
        "look up '" + name + "'");
    if (reply.hasRefused()) {
      throw new IllegalArgumentException("the context at " + address + " refused to look up '" + name + "': "
          + reply.getRefused());
    }
    return ChannelCodec.decode(reply.getHandle());
  }

  /** Opens a session with the broker at {@code endpoint}: the connection a handle uses in this JVM. */
  RelayLink open(Endpoint endpoint, int maxFrameBytes) throws IOException {
    if (closed) {
      throw new IOException("the RemoteContext for " + address + " is closed");
    }
    RelayLink link = new RelayLink(system, budget, maxFrameBytes, links::remove);
    links.add(link);
    try {
      GatewayChallenge challenge = ask(this::hello, "reach the context at " + address).getChallenge();
      GatewayReply reply = ask(replyTo -> GatewayRequest.newBuilder().setReplyTo(replyTo)
          .setOpen(GatewayOpen.newBuilder().setNonce(challenge.getChallenge().getNonce())
              .setProof(proof(challenge, endpoint.key(), endpoint.id()))
              .setFramesTo(resolver.toSerializationFormat(link.inbox()))).build(), "open a session");
      if (reply.hasRefused()) {
        throw new IOException("the context at " + address + " refused a session: " + reply.getRefused());
      }
      link.attach(resolver.resolveActorRef(reply.getSession().getFrames()),
          resolver.resolveActorRef(reply.getSession().getAcks()));
    } catch (IOException | RuntimeException e) {
      link.abandon(e.getMessage());
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
    return link;
  }

  /** Open links now, for tests. */
  public int openLinks() {
    return links.size();
  }

  /**
   * Ends every open link after what was sent on it, all at once, waiting while their sessions take it in
   * (see {@link RelayLink#CLOSE_PATIENCE}).
   */
  private void closeLinks() {
    List<RelayLink> open = List.copyOf(links);
    open.forEach(RelayLink::requestEnd);
    open.forEach(RelayLink::awaitEnd);
  }

  private GatewayRequest hello(String replyTo) {
    return GatewayRequest.newBuilder().setReplyTo(replyTo).setHello(GatewayHello.getDefaultInstance()).build();
  }

  private static ChallengeResponse proof(GatewayChallenge challenge, byte[] key, long id) {
    try {
      return Handshake.respond(challenge.getChallenge(), key, id, ProcessHandle.current().pid());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private GatewayReply ask(Function<String, GatewayRequest> request, String what) {
    try {
      return AskPattern.<GatewayRequest, GatewayReply>ask(gateway,
              replyTo -> request.apply(resolver.toSerializationFormat(replyTo)), ASK_TIMEOUT, system.scheduler())
          .toCompletableFuture().join();
    } catch (CompletionException e) {
      throw new IllegalStateException("cannot " + what + " (no answer from " + address + " within "
          + ASK_TIMEOUT.toSeconds() + " s: is a context serving there, with remoting on?)", e.getCause());
    }
  }

  /**
   * Fails at once, saying why, when nothing accepts connections at {@code host:port}: Artery itself
   * would retry until the first request timed out ({@link #ASK_TIMEOUT}), and then say only that.
   */
  private static void refuseUnlessListening(String host, int port) {
    try (Socket probe = new Socket()) {
      probe.connect(new InetSocketAddress(host, port), (int) PROBE_TIMEOUT.toMillis());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach a context at " + host + ":" + port + " (" + e
          + "): is it serving there, with Multiprocessing.create(RemoteOptions)?", e);
    }
  }

  /**
   * The address of this host on the interface that reaches {@code host}: the one a context there can
   * reach this JVM at (Artery connects both ways). Finding it sends nothing.
   */
  private static String localAddressTowards(String host) {
    try (DatagramSocket probe = new DatagramSocket()) {
      probe.connect(InetAddress.getByName(host), 9);
      return probe.getLocalAddress().getHostAddress();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a route to " + host + ": " + e.getMessage(), e);
    }
  }

  /**
   * Ends every session opened through this peer (after what was sent on them) and stops its actor
   * system; handles of the context used here afterwards fail as if their parent had exited.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    BY_CONTEXT.remove(context, this);
    HandleTable.forgetContext(context);
    closeLinks();
    RemoteServing.terminate(system);
  }
}
