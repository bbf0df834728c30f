package io.multiprocessing4j;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The other end of a pipe is closed: no process holds it any more (every holder closed it or exited).
 * {@link Connection#recv()} throws it once every message the other end sent has been received
 * (Python's {@code EOFError}; the cause is then a {@link java.io.EOFException}); {@link Connection#send} throws
 * it because nothing could ever receive the message (Python's {@code BrokenPipeError}). Unchecked, so
 * process targets, which cannot throw checked exceptions, need no boilerplate.
 */
public class PipeClosedException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  public PipeClosedException(String message, IOException cause) {
    super(message, cause);
  }
}
