package io.multiprocessing4j;

/**
 * A message (a pipe send or a queue put) encodes to more bytes than its pipe or queue accepts
 * ({@link PipeOptions#maxMessageBytes()}, {@link QueueOptions#maxMessageBytes()}). Thrown in the
 * caller's thread before anything is sent; the pipe or queue is unaffected.
 */
public class MessageTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  public MessageTooLargeException(long size, long limit) {
    super("a message of " + size + " bytes exceeds the maximum of " + limit
        + " bytes of this pipe or queue (raise it with withMaxMessageBytes in its options)");
    this.size = size;
    this.limit = limit;
  }

  /** The encoded size of the refused message, in bytes. */
  public long size() {
    return size;
  }

  /** The maximum the pipe or queue accepts, in bytes. */
  public long limit() {
    return limit;
  }
}
