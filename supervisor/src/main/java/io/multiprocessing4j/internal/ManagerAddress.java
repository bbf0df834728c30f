package io.multiprocessing4j.internal;

import io.multiprocessing4j.wire.Endpoint;
import java.io.Serializable;

/**
 * Where a manager process listens, as carried by every proxy to its objects.
 *
 * @param endpoint the manager's own channel (a Unix socket of the manager process)
 * @param pid the manager process
 * @param name the manager's name, e.g. {@code SyncManager-1}, for messages
 * @param key what identifies this manager among a thread's connections (an Endpoint compares its key
 *     array by identity, so deserialized copies of one address would not be equal)
 */
public record ManagerAddress(Endpoint endpoint, long pid, String name, String key) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The address of the manager {@code name} (process {@code pid}) listening at {@code endpoint}. */
  public static ManagerAddress of(Endpoint endpoint, long pid, String name) {
    return new ManagerAddress(endpoint, pid, name, endpoint.socketPath() + "#" + endpoint.id());
  }

  @Override
  public String toString() {
    return name + " (pid " + pid + ")";
  }
}
