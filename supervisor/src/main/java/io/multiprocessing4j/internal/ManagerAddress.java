package io.multiprocessing4j.internal;

import io.multiprocessing4j.wire.Endpoint;
import java.io.Serializable;

/**
 * Where a manager process listens, as carried by every proxy to its objects.
 *
 * @param endpoint the manager's own channel (a Unix socket of the manager process)
 * @param pid the manager process
 * @param name the manager's name, e.g. {@code SyncManager-1}, for messages
 */
public record ManagerAddress(Endpoint endpoint, long pid, String name) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Identifies the manager's endpoint (Endpoint compares its key by identity). */
  String key() {
    return endpoint.socketPath() + "#" + endpoint.id();
  }

  @Override
  public String toString() {
    return name + " (pid " + pid + ")";
  }
}
