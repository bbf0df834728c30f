package io.multiprocessing4j;

/**
 * A pool's workers kept dying faster than its restart intensity allows (e.g. the initializer throws
 * in every worker), so the pool stopped restarting them instead of looping: its pending work failed
 * with this exception, and so does every later submission. The message names the last worker that
 * died and how; the cause, when there is one, is that worker's {@link RemoteTraceback}. The
 * counterpart of Python's {@code BrokenProcessPool}, raised where Python's {@code Pool} would respawn
 * workers forever.
 */
public class PoolBrokenException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public PoolBrokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
