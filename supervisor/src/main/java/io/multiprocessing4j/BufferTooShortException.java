package io.multiprocessing4j;

/**
 * {@link Connection#recvBytesInto} received a message longer than the space left in the buffer. The
 * message is not lost: {@link #message()} holds it. Equivalent of Python's
 * {@code multiprocessing.BufferTooShort}, whose {@code args[0]} is the message.
 */
public class BufferTooShortException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final byte[] message;

  public BufferTooShortException(byte[] message, int space) {
    super("a message of " + message.length + " bytes does not fit in the " + space + " bytes left in the buffer");
    this.message = message;
  }

  /** The whole message that did not fit (not a copy). */
  public byte[] message() {
    return message;
  }
}
