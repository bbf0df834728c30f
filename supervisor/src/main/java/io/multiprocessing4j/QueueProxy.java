package io.multiprocessing4j;

import io.multiprocessing4j.internal.ManagerAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A FIFO queue held by a manager process: the proxy of Python's {@code manager.Queue()}. Items must be
 * {@link java.io.Serializable} and not null. Method names follow {@link java.util.concurrent.BlockingQueue}:
 * Python's {@code put}/{@code get} are {@link #put}/{@link #get}, {@code put(timeout=)} is
 * {@link #offer}, {@code get(timeout=)} is {@link #poll}. A waiting call waits in the manager, on its
 * own connection, so other threads' calls go on; if the manager dies meanwhile it fails at once with
 * {@link ManagerDiedException}. An item taken for a caller that went away before receiving it (its
 * process died, it was interrupted) goes back to the head of the queue.
 *
 * @param <E> item type
 */
public final class QueueProxy<E> extends BaseProxy {
  private static final long serialVersionUID = 1L;

  QueueProxy(ManagerAddress manager, long id) {
    super(manager, id, "Queue");
  }

  /**
   * Adds {@code item}, waiting for room if the queue is bounded and full. Python's {@code put(item)}.
   *
   * @throws NullPointerException if {@code item} is null
   * @throws InterruptedException if interrupted while waiting
   */
  public void put(E item) throws InterruptedException {
    callBlocking("put", Objects.requireNonNull(item, "item"), -1L);
  }

  /**
   * Adds {@code item}, waiting at most {@code timeout} (null: no limit) for room. Python's
   * {@code put(item, timeout=t)}.
   *
   * @return false if the queue was still full when the timeout passed (Python raises {@code Full})
   */
  public boolean offer(E item, Duration timeout) throws InterruptedException {
    return (Boolean) callBlocking("put", Objects.requireNonNull(item, "item"), millis(timeout));
  }

  /**
   * Removes and returns the head item, waiting as long as it takes. Python's {@code get()}.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  @SuppressWarnings("unchecked")
  public E get() throws InterruptedException {
    return (E) callBlocking("get", -1L);
  }

  /**
   * Removes and returns the head item, waiting at most {@code timeout} (null: no limit). Python's
   * {@code get(timeout=t)}.
   *
   * @return the item, or null if the queue was still empty when the timeout passed (Python raises
   *     {@code Empty})
   */
  @SuppressWarnings("unchecked")
  public E poll(Duration timeout) throws InterruptedException {
    return (E) callBlocking("get", millis(timeout));
  }

  /** The number of items now. Python's {@code qsize()}. */
  public int size() {
    return (Integer) call("size");
  }

  /** Whether the queue is empty now. Python's {@code empty()}. */
  public boolean isEmpty() {
    return size() == 0;
  }
}
