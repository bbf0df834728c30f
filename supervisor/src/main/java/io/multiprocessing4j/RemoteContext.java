package io.multiprocessing4j;

import io.multiprocessing4j.internal.RemotePeer;

/**
 * This JVM's connection to a context on another machine ({@link Multiprocessing#connect}): the
 * equivalent of a connected {@code multiprocessing.managers.BaseManager} client. It looks up the pipe
 * ends and queues the context {@linkplain Multiprocessing#publish published}; they then work here with
 * the same API and guarantees as in a child process (order, end of file, back pressure of bounded
 * queues, JoinableQueue accounting), and so does any pipe end or queue of that context that arrives
 * inside an item. Their traffic goes over Pekko remoting (Artery TCP), relayed by the context's actor
 * system to its brokers.
 *
 * <p>If this JVM exits, or is killed, the context treats it as a child that did: the pipe ends held
 * here close, and items a JoinableQueue consumer here had not marked done go back (noticed within about
 * 10 s for a killed JVM: the failure detector's pause, then its next check). If the context closes or its JVM dies, handles here fail as handles in a child
 * do when their parent is gone.
 *
 * <pre>{@code
 * try (RemoteContext remote = Multiprocessing.connect("build-host:25520", authkey)) {
 *   Queue<Job> jobs = remote.lookup("jobs");
 *   jobs.put(new Job(42));
 * }
 * }</pre>
 */
public final class RemoteContext implements AutoCloseable {
  private final RemotePeer peer;
  private final String address;

  RemoteContext(RemotePeer peer, String address) {
    this.peer = peer;
    this.address = address;
  }

  /**
   * What the context published as {@code name}: a {@link Queue}, {@link JoinableQueue},
   * {@link SimpleQueue} or {@link Connection}. A pipe end is attached to this JVM as it arrives, and
   * held open by it until closed here.
   *
   * @throws IllegalArgumentException if nothing is published under that name, or the authkey is wrong
   * @throws IllegalStateException if the context does not answer
   */
  @SuppressWarnings("unchecked")
  public <H> H lookup(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    return (H) peer.lookup(name);
  }

  /**
   * Ends this JVM's sessions with the context, after what was sent on them, and stops the actor system
   * that carried them. Handles of the context used here afterwards fail. Idempotent.
   */
  @Override
  public void close() {
    peer.close();
  }

  /** For tests: the sessions this JVM has open with the context (one per handle in use here). */
  int openSessions() {
    return peer.openLinks();
  }

  @Override
  public String toString() {
    return "RemoteContext[" + address + "]";
  }
}
