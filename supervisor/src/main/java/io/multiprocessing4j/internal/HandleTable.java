package io.multiprocessing4j.internal;

import io.multiprocessing4j.wire.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * This JVM's open handles, by broker endpoint (and pipe end): the process-wide table that makes "one
 * connection per handle per process" true however many times a handle is deserialized here (a queue
 * captured by every task of a pool, a pipe end received twice). It is per JVM, like a process's file
 * descriptor table, because a deserialized handle has no context object to ask; keys contain the
 * context's private socket path, so contexts side by side never share an entry.
 *
 * <p>At normal exit a hook flushes and closes every connection this JVM opened: that delivers what is
 * still queued, and releases the reader threads blocked in native reads, which the JVM would otherwise
 * wait for (about 300 ms) before it exits.
 */
final class HandleTable {
  /** Opens the calls for a key that has none open yet. */
  interface Opener {
    BrokerCalls open() throws IOException;
  }

  private static final Map<String, BrokerCalls> OPEN = new HashMap<>();
  private static boolean closeAtExit;

  private HandleTable() {}

  static String key(Endpoint endpoint, int end) {
    return endpoint.socketPath() + "#" + endpoint.id() + (end >= 0 ? "/" + end : "");
  }

  /** Registers the calls of a handle created in this JVM (the parent's own, calling its broker directly). */
  static synchronized void register(String key, BrokerCalls calls) {
    OPEN.put(key, calls);
  }

  /** The open calls for {@code key}, or null. */
  static synchronized BrokerCalls find(String key) {
    BrokerCalls calls = OPEN.get(key);
    return calls == null || calls.isClosed() ? null : calls;
  }

  /**
   * The open calls for {@code key}, passed to {@code whenFound} first; when there are none, those made by
   * {@code opener}. Runs with the table locked, so two threads never connect the same handle twice.
   */
  static synchronized BrokerCalls findOrOpen(String key, Opener opener, Consumer<BrokerCalls> whenFound)
      throws IOException {
    BrokerCalls calls = find(key);
    if (calls != null) {
      whenFound.accept(calls);
      return calls;
    }
    calls = opener.open();
    OPEN.put(key, calls);
    if (!closeAtExit) {
      closeAtExit = true;
      Thread hook = new Thread(HandleTable::closeAll, "multiprocessing4j-close-handles-at-exit");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    return calls;
  }

  private static void closeAll() {
    List<BrokerCalls> open;
    synchronized (HandleTable.class) {
      open = new ArrayList<>(OPEN.values());
    }
    for (BrokerCalls calls : open) {
      if (calls instanceof RemoteCalls) {
        calls.close();
      }
    }
  }

  /** Forgets every handle of the context whose private socket is {@code socketPath} (it closed). */
  static synchronized void forgetContext(String socketPath) {
    OPEN.keySet().removeIf(key -> key.startsWith(socketPath + "#"));
  }

  /** Forgets {@code calls} (closed) if it is still the entry for {@code key}. */
  static synchronized void remove(String key, BrokerCalls calls) {
    OPEN.remove(key, calls);
  }
}
