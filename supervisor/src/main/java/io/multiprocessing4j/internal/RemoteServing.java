package io.multiprocessing4j.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.remote.RemoteTransportException;

/**
 * How one context serves JVMs on other machines ({@code Multiprocessing.create(RemoteOptions)}): an
 * actor system of its own listening with Artery, its {@link RemoteGateway}, and what was published.
 * The system is not the context's: whoever reaches its port can stop it (see {@code RemoteOptions}),
 * and that must not take the supervisor of the children with it.
 */
public final class RemoteServing {
  private final ActorSystem<Void> system;
  private final byte[] authkey;
  private final ConcurrentHashMap<String, Object> published = new ConcurrentHashMap<>();
  private final AtomicLong sessionsOpened = new AtomicLong();

  private RemoteServing(ActorSystem<Void> system, byte[] authkey) {
    this.system = system;
    this.authkey = authkey.clone();
  }

  /**
   * Starts listening at {@code host:port} (0: any free port).
   *
   * @throws IllegalStateException if the port cannot be bound
   */
  public static RemoteServing listen(String host, int port, byte[] authkey) {
    try {
      return new RemoteServing(
          ActorSystem.create(Behaviors.empty(), RemoteConfig.SYSTEM_NAME, RemoteConfig.artery(host, port)), authkey);
    } catch (RemoteTransportException e) {
      throw new IllegalStateException("cannot serve other machines at " + host + ":" + port + ": " + e.getMessage(),
          e);
    }
  }

  /** Opens the gateway to the context's pipes and queues; once, when the context has made its brokers. */
  public void openGateway(ChannelServer server, ChannelBrokers brokers) {
    system.systemActorOf(RemoteGateway.create(server, brokers, authkey, published, sessionsOpened),
        RemoteGateway.NAME, Props.empty());
  }

  /**
   * Makes {@code handle} reachable as {@code name}.
   *
   * @throws IllegalArgumentException if the name is blank or taken
   */
  public void publish(String name, Object handle) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    if (published.putIfAbsent(name, handle) != null) {
      throw new IllegalArgumentException("'" + name + "' is published already");
    }
  }

  /** The {@code host:port} other machines reach this context at. */
  public String address() {
    Address address = system.address();
    return address.getHost().orElseThrow() + ":" + address.getPort().orElseThrow();
  }

  /** The secret a remote JVM must prove (a copy). */
  public byte[] authkey() {
    return authkey.clone();
  }

  /** How many sessions remote JVMs opened with the context's pipes and queues. */
  public long sessionsOpened() {
    return sessionsOpened.get();
  }

  /** Stops serving; after the context's brokers closed, so the sessions have told the remote handles. */
  public void close() {
    terminate(system);
  }

  /** Terminates {@code actorSystem} and waits for it, 10 s at most (then it goes on in the background). */
  static void terminate(ActorSystem<?> actorSystem) {
    actorSystem.terminate();
    try {
      actorSystem.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Terminating; nothing of ours is left running in it.
    }
  }
}
