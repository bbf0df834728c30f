package io.multiprocessing4j.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The Pekko configuration of an actor system that serves or uses pipes and queues across machines:
 * Artery (TCP, or TLS when the application's configuration chooses {@code tls-tcp}), and remote
 * DeathWatch without a cluster; the application's configuration applies beneath these settings. Both sides use it, the parent's
 * ({@code Multiprocessing.create(RemoteOptions)}) and a remote JVM's ({@link RemotePeer}).
 */
public final class RemoteConfig {
  /** Both sides' actor system name: a remote JVM addresses the parent's gateway by it. */
  public static final String SYSTEM_NAME = "multiprocessing4j";

  private RemoteConfig() {}

  /**
   * @param host the host name or address other machines reach this JVM at (Artery connects both ways)
   * @param port the port, 0 for any free one
   */
  public static Config artery(String host, int port) {
    return ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = remote",
        "pekko.remote.artery.canonical.hostname = \"" + host + "\"",
        "pekko.remote.artery.canonical.port = " + port,
        // Each side watches the other's session actor: a JVM that exits or is killed must end its handles
        // (a pipe end closes, a consumer's unacknowledged items go back) without a cluster membership,
        // which a process that merely uses a queue has no business joining. Without a cluster, Pekko
        // calls remote watch "unsafe" because a quarantined peer stays gone: that is what we want.
        "pekko.remote.use-unsafe-remote-features-outside-cluster = on",
        "pekko.remote.warn-unsafe-watch-outside-cluster = off",
        // Remoting is what we need: a cluster is a membership this library does not ask of its users.
        "pekko.remote.warn-about-direct-use = off",
        // A killed JVM is noticed after a 4 s pause rather than the default 10 s (measured on loopback:
        // about 9 s from the SIGKILL to the end of its handles, either way round).
        "pekko.remote.watch-failure-detector.heartbeat-interval = 1s",
        "pekko.remote.watch-failure-detector.acceptable-heartbeat-pause = 4s",
        "pekko.remote.watch-failure-detector.expected-response-after = 1s",
        // The embedded system must not keep the JVM alive by itself.
        "pekko.daemonic = on",
        "pekko.log-dead-letters-during-shutdown = off"))
        .withFallback(ConfigFactory.load());
  }
}
