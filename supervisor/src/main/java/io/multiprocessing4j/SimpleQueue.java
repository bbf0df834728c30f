package io.multiprocessing4j;

import io.multiprocessing4j.internal.QueueHandle;
import java.io.Serializable;

/**
 * An unbounded process-safe FIFO queue with the smallest API: the equivalent of Python's
 * {@code multiprocessing.SimpleQueue}. The same broker as {@link Queue} (see there for how it works and
 * what it guarantees); made by {@link Multiprocessing#simpleQueue()}.
 *
 * @param <T> the type of the items
 */
public final class SimpleQueue<T> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final QueueHandle handle;
  private transient volatile boolean closed;

  SimpleQueue(QueueHandle handle) {
    this.handle = handle;
  }

  /**
   * Puts an item at the tail; never waits for space. Equivalent of Python's {@code put(obj)}.
   *
   * @throws PicklingException if the item cannot be serialized (nothing is put)
   * @throws MessageTooLargeException if it encodes to more than the queue's maximum (nothing is put)
   * @throws IllegalStateException if this queue object was closed or its context is closed
   */
  public void put(T item) {
    checkOpen();
    try {
      handle.put(item, -1);
    } catch (InterruptedException e) {
      // An unbounded put never waits, so it is never interrupted; keep the status if it was set anyway.
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Removes and returns the item at the head, waiting as long as it takes for one. Equivalent of
   * Python's {@code get()}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting (no item is lost)
   * @throws IllegalStateException if this queue object was closed, its context is closed, or the item
   *     cannot be decoded
   */
  @SuppressWarnings("unchecked")
  public T get() throws InterruptedException {
    checkOpen();
    return (T) handle.get(-1);
  }

  /** Whether the queue has no items now (a snapshot). Equivalent of Python's {@code empty()}. */
  public boolean empty() {
    checkOpen();
    return handle.size() == 0;
  }

  /**
   * This process will use this queue object no more: later calls on it throw
   * {@link IllegalStateException}. Idempotent. Equivalent of Python's {@code close()}.
   */
  public void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(handle.name() + " is closed");
    }
  }

  @Override
  public String toString() {
    return handle.name() + (closed ? "[closed]" : "");
  }
}
