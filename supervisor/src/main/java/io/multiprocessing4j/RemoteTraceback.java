package io.multiprocessing4j;

/**
 * An exception raised in another process, as text: its class name and the stack trace the child
 * printed. The cause of a {@link TaskFailedException} when the child's exception object itself could
 * not be brought back (it was not serializable, or its class is unknown here); otherwise the cause is
 * the child's exception, whose stack trace already is the child's. Python's
 * {@code multiprocessing.pool.RemoteTraceback}.
 */
public final class RemoteTraceback extends Exception {
  private static final long serialVersionUID = 1L;

  private final String exceptionClass;
  private final String traceback;

  /**
   * @param exceptionClass the remote exception's class name
   * @param message the remote exception's message
   * @param traceback the remote stack trace, as {@link Throwable#printStackTrace()} printed it
   */
  public RemoteTraceback(String exceptionClass, String message, String traceback) {
    super(exceptionClass + ": " + message, null, false, false);
    this.exceptionClass = exceptionClass;
    this.traceback = traceback;
  }

  /** The remote exception's class name, e.g. {@code java.lang.ArithmeticException}. */
  public String exceptionClass() {
    return exceptionClass;
  }

  /** The remote stack trace, causes included. */
  public String traceback() {
    return traceback;
  }

  /** Like Python's: the remote trace between triple quotes. */
  @Override
  public String toString() {
    return "RemoteTraceback: \n\"\"\"\n" + traceback + "\"\"\"";
  }
}
