package io.multiprocessing4j;

/**
 * No item arrived within the timeout of a {@code get}, or {@code getNowait} found the queue empty.
 * Equivalent of Python's {@code queue.Empty}.
 */
public class QueueEmptyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QueueEmptyException(String message) {
    super(message);
  }
}
