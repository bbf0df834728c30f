package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.time.Duration;

/**
 * An event held by a manager process: the proxy of Python's {@code manager.Event()}, with
 * {@code wait} named {@link #await()}. Every method throws {@link ManagerDiedException} at once if the
 * manager is gone, including a wait in progress. For speed prefer {@link Multiprocessing#event()},
 * which lives in shared memory.
 */
public final class EventProxy extends BaseProxy {
  private static final long serialVersionUID = 1L;

  EventProxy(ManagerAddress manager, long id) {
    super(manager, id, "Event");
  }

  /** Sets the flag, waking every waiter. Python's {@code set()}. */
  public void set() {
    call("set");
  }

  /** Clears the flag. Python's {@code clear()}. */
  public void clear() {
    call("clear");
  }

  /** Whether the flag is set. Python's {@code is_set()}. */
  public boolean isSet() {
    return (Boolean) call("isSet");
  }

  /**
   * Waits until the flag is set. Python's {@code wait()}.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void await() throws InterruptedException {
    callBlocking("await", -1L);
  }

  /**
   * Waits at most {@code timeout} (null: no limit) for the flag. Python's {@code wait(timeout)}.
   *
   * @return true if the flag was set before or during the wait
   */
  public boolean await(Duration timeout) throws InterruptedException {
    return (Boolean) callBlocking("await", millis(timeout));
  }
}
