package io.multiprocessing4j;

import io.multiprocessing4j.wire.Handshake;

/**
 * How a context serves its pipes and queues to JVMs on other machines
 * ({@link Multiprocessing#create(RemoteOptions)}): an immutable value, refined with {@code with...}
 * methods. The equivalent of the {@code address} and {@code authkey} of Python's
 * {@code multiprocessing.managers.BaseManager}.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>host</td><td>the host name or address other machines reach this JVM at; Pekko Artery
 *       binds it and connects back to theirs</td><td>(required)</td></tr>
 *   <tr><td>port</td><td>the TCP port; 0 for any free one ({@link Multiprocessing#remoteAddress()}
 *       says which)</td><td>(required)</td></tr>
 *   <tr><td>authkey</td><td>the secret a remote JVM must prove (HMAC-SHA256 of a fresh challenge; the
 *       key itself never travels) to look up what was published</td><td>32 random bytes, see
 *       {@link Multiprocessing#authkey()}</td></tr>
 * </table>
 *
 * <p>What travels is authenticated, not encrypted: across an untrusted network, turn on Artery's TLS
 * transport ({@code pekko.remote.artery.transport = tls-tcp} and its key stores, in
 * {@code application.conf}), as Pekko's documentation describes. Whoever can reach the port can, even
 * without the authkey, stop the actor system that listens there (Pekko remoting delivers any peer's
 * {@code PoisonPill}; its untrusted mode would refuse them, and with them the remote DeathWatch that
 * ends the handles of a JVM that died). That system serves only other machines, so the context's
 * children and its pipes and queues carry on, but the handles used elsewhere then fail as if the
 * context had closed: where that matters, let only trusted hosts reach the port (a firewall, or TLS
 * with {@code require-mutual-authentication}).
 *
 * @param host the address other machines reach this JVM at
 * @param port the TCP port, 0 for any free one
 * @param authkey the shared secret
 */
public record RemoteOptions(String host, int port, byte[] authkey) {
  public RemoteOptions {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must name this machine as other machines reach it, was " + host);
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 (any free one) or a TCP port, was " + port);
    }
    if (authkey == null || authkey.length == 0) {
      throw new IllegalArgumentException("authkey must not be empty");
    }
    authkey = authkey.clone();
  }

  /** Serves at {@code host:port}, with a fresh random authkey. */
  public static RemoteOptions listen(String host, int port) {
    return new RemoteOptions(host, port, Handshake.newSecret());
  }

  /** These options with {@code authkey} as the shared secret. */
  public RemoteOptions withAuthkey(byte[] authkey) {
    return new RemoteOptions(host, port, authkey);
  }

  @Override
  public byte[] authkey() {
    return authkey.clone();
  }

  @Override
  public String toString() {
    return "RemoteOptions[" + host + ":" + port + ", authkey hidden]";
  }
}
