package io.multiprocessing4j;

/**
 * How a queue is made: an immutable value, refined with {@code with...} methods.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>maxsize</td><td>the most items the queue holds at once; a put beyond it waits for space, in
 *       whatever process it is made (Python's {@code maxsize}); 0 or less for no limit, read back as 0</td>
 *       <td>0</td></tr>
 *   <tr><td>maxMessageBytes</td><td>the largest item, once encoded, a put accepts; a larger one is refused
 *       with {@link MessageTooLargeException} in the caller's thread</td>
 *       <td>{@link #DEFAULT_MAX_MESSAGE_BYTES} (512 MiB)</td></tr>
 * </table>
 *
 * @param maxsize the most items held at once; 0 or less for no limit, kept as 0
 * @param maxMessageBytes the largest encoded item accepted, in bytes
 */
public record QueueOptions(int maxsize, int maxMessageBytes) {
  /** The default largest message of pipes and queues: 512 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

  public QueueOptions {
    maxsize = unboundedUnlessPositive(maxsize);
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes must be positive, was " + maxMessageBytes);
    }
  }

  /** Unbounded, with the default largest message. */
  public static QueueOptions defaults() {
    return new QueueOptions(0, DEFAULT_MAX_MESSAGE_BYTES);
  }

  /** These options with another {@code maxsize} (0 or less: unbounded). */
  public QueueOptions withMaxsize(int maxsize) {
    return new QueueOptions(maxsize, maxMessageBytes);
  }

  /** These options with another largest message. */
  public QueueOptions withMaxMessageBytes(int maxMessageBytes) {
    return new QueueOptions(maxsize, maxMessageBytes);
  }

  /**
   * Python's rule for every queue's maxsize, {@code mp.queue} and {@code manager.queue} alike: a
   * maxsize of 0 or less means no limit. Kept as 0, the one value the rest of the code reads as "no limit".
   */
  static int unboundedUnlessPositive(int maxsize) {
    return Math.max(maxsize, 0);
  }
}
