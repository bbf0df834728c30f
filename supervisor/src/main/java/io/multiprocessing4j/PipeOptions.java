package io.multiprocessing4j;

/**
 * How a pipe is made: an immutable value, refined with {@code with...} methods.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>duplex</td><td>both ends send and receive; when false, {@code conn1} only receives and
 *       {@code conn2} only sends (Python's {@code Pipe(duplex)})</td><td>true</td></tr>
 *   <tr><td>maxMessageBytes</td><td>the largest message, once encoded, a send accepts; a larger one is
 *       refused with {@link MessageTooLargeException} in the caller's thread</td>
 *       <td>{@link QueueOptions#DEFAULT_MAX_MESSAGE_BYTES} (512 MiB)</td></tr>
 *   <tr><td>maxBufferedBytes</td><td>how many bytes of sent, not yet received messages an end holds
 *       in its receiving process (or, for an end read in the parent or through it, in the parent)
 *       before sends towards it block, as Python's sends block on a full OS pipe; a sender resumes
 *       as the receiver takes messages. A message is let in whenever the end holds less than this,
 *       so one larger than the limit goes through alone. Besides it, each sending process may have
 *       up to 4 MiB in flight in shared memory on the parent's host ({@link Connection#send})</td>
 *       <td>{@value #DEFAULT_MAX_BUFFERED_BYTES} (16 MiB)</td></tr>
 * </table>
 *
 * @param duplex whether both ends send and receive
 * @param maxMessageBytes the largest encoded message accepted, in bytes
 * @param maxBufferedBytes the bytes of unreceived messages an end holds before sends towards it block
 */
public record PipeOptions(boolean duplex, int maxMessageBytes, long maxBufferedBytes) {
  /**
   * The default of {@link #maxBufferedBytes}: 16 MiB, enough that a stream of messages up to 1 MiB
   * never waits for a reader that keeps up, small enough that a reader that does not costs a bounded
   * share of its heap.
   */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 16L * 1024 * 1024;

  public PipeOptions {
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes must be positive, was " + maxMessageBytes);
    }
    if (maxBufferedBytes < 1) {
      throw new IllegalArgumentException("maxBufferedBytes must be positive, was " + maxBufferedBytes);
    }
  }

  /** Duplex, with the default largest message and buffer. */
  public static PipeOptions defaults() {
    return new PipeOptions(true, QueueOptions.DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_BUFFERED_BYTES);
  }

  /** These options, duplex or one-way. */
  public PipeOptions withDuplex(boolean duplex) {
    return new PipeOptions(duplex, maxMessageBytes, maxBufferedBytes);
  }

  /** These options with another largest message. */
  public PipeOptions withMaxMessageBytes(int maxMessageBytes) {
    return new PipeOptions(duplex, maxMessageBytes, maxBufferedBytes);
  }

  /**
   * These options with another limit on the bytes an end holds unreceived before sends towards it block.
   *
   * @throws IllegalArgumentException if {@code maxBufferedBytes} is not positive
   */
  public PipeOptions withMaxBufferedBytes(long maxBufferedBytes) {
    return new PipeOptions(duplex, maxMessageBytes, maxBufferedBytes);
  }
}
