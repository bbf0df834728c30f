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

  /**
   * A call that does not wait for anything but the manager's answer: an interrupt status set before it
   * is set aside for the call and restored after, not thrown. Only an interrupt during the round trip
   * (which abandons the connection) fails it, with {@link IllegalStateException}.
   */
  final Object call(String method, Object... args) {
    return answerRegardlessOfInterruptStatus(manager, id, method, args);
  }

  /** {@link #call}, for the calls of a {@link Manager} itself (object 0). */
  static Object answerRegardlessOfInterruptStatus(ManagerAddress manager, long id, String method, Object... args) {
    boolean interrupted = Thread.interrupted();
    try {
      return ManagerClient.call(manager, id, method, args);
    } catch (InterruptedException e) {
      interrupted = true;
      throw new IllegalStateException("interrupted while calling " + method + " on " + manager, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
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
