package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import io.multiprocessing4j.internal.ManagerClient;
import io.multiprocessing4j.internal.Timeouts;
import java.io.Serializable;

/**
 * What every proxy is: the address of a manager process and the id of one object it holds; Python's
 * {@code BaseProxy}. Proxies are {@link Serializable}: capture them in a target and the child calls
 * the same object. Each call is one round trip to the manager.
 */
abstract class BaseProxy implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ManagerAddress manager;
  private final long id;
  private final String kind;

  BaseProxy(ManagerAddress manager, long id, String kind) {
    this.manager = manager;
    this.id = id;
    this.kind = kind;
  }

  /** A call that does not wait for anything but the manager's answer; an interrupt is kept, not thrown. */
  final Object call(String method, Object... args) {
    try {
      return ManagerClient.call(manager, id, method, args);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling " + kind + "." + method + " on " + manager, e);
    }
  }

  /** A call that may wait in the manager (a queue get, a lock acquire, an event wait). */
  final Object callBlocking(String method, Object... args) throws InterruptedException {
    return ManagerClient.call(manager, id, method, args);
  }

  static long millis(java.time.Duration timeout) {
    return Timeouts.millis(timeout);
  }

  /** Like Python's repr: {@code <DictProxy object, typeid 'dict' at SyncManager-1 (pid 123)#4>}. */
  @Override
  public String toString() {
    return "<" + getClass().getSimpleName() + " object, typeid '" + kind + "' at " + manager + "#" + id + ">";
  }
}
