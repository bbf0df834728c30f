package io.multiprocessing4j;

/**
 * A bounded queue had no space within the timeout of a {@code put}, or {@code putNowait} found it
 * full; the item was not added. Equivalent of Python's {@code queue.Full}.
 */
public class QueueFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QueueFullException(String message) {
    super(message);
  }
}
