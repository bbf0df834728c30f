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
 * </table>
 *
 * @param duplex whether both ends send and receive
 * @param maxMessageBytes the largest encoded message accepted, in bytes
 */
public record PipeOptions(boolean duplex, int maxMessageBytes) {
  public PipeOptions {
    if (maxMessageBytes < 1) {
      throw new IllegalArgumentException("maxMessageBytes must be positive, was " + maxMessageBytes);
    }
  }

  /** Duplex, with the default largest message. */
  public static PipeOptions defaults() {
    return new PipeOptions(true, QueueOptions.DEFAULT_MAX_MESSAGE_BYTES);
  }

  /** These options, duplex or one-way. */
  public PipeOptions withDuplex(boolean duplex) {
    return new PipeOptions(duplex, maxMessageBytes);
  }

  /** These options with another largest message. */
  public PipeOptions withMaxMessageBytes(int maxMessageBytes) {
    return new PipeOptions(duplex, maxMessageBytes);
  }
}
