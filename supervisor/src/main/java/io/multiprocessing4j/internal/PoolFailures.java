package io.multiprocessing4j.internal;

import io.multiprocessing4j.PoolBrokenException;
import io.multiprocessing4j.RemoteTraceback;
import io.multiprocessing4j.TaskFailedException;
import io.multiprocessing4j.WorkerDiedException;
import io.multiprocessing4j.proto.RemoteFailure;
import java.util.Optional;

/**
 * Turns what went wrong in a worker into the exceptions a pool's caller sees: a task's own exception
 * ({@link TaskFailedException}, with the child's trace), a task lost with its worker
 * ({@link WorkerDiedException}), a broken pool ({@link PoolBrokenException}), and the words that say
 * how a worker died; and a job failed by the pool itself, when handling it threw.
 */
final class PoolFailures {
  private PoolFailures() {}

  /**
   * @param thrown the child's exception rebuilt here, or null when it could not be
   */
  static TaskFailedException taskFailed(Chunk chunk, int item, PoolWorker worker, RemoteFailure failure,
      Throwable thrown) {
    long position = chunk.positionOf(item);
    Throwable cause = thrown != null ? thrown
        : new RemoteTraceback(failure.getExceptionClass(), failure.getMessage(), failure.getStackTrace());
    String message = task(chunk.jobOf(item).call, position) + " failed in " + worker + ": " + failure.getExceptionClass()
        + (failure.getMessage().isEmpty() || "null".equals(failure.getMessage()) ? "" : ": " + failure.getMessage());
    return new TaskFailedException(message, cause, position, worker.name, worker.pid, failure.getStackTrace());
  }

  /** A task whose results could not be read here (e.g. a result class unknown to this JVM). */
  static TaskFailedException unreadable(Chunk chunk, int item, PoolWorker worker, Throwable why) {
    long position = chunk.positionOf(item);
    return new TaskFailedException(task(chunk.jobOf(item).call, position) + " ran in " + worker
        + " but its result could not be read here: " + why, why, position, worker.name, worker.pid, null);
  }

  static WorkerDiedException workerDied(Chunk chunk, int item, PoolWorker worker, int exitCode,
      Optional<String> trace, int retries) {
    long position = chunk.positionOf(item);
    String message = task(chunk.jobOf(item).call, position) + " was lost: the worker running it died on each of its "
        + chunk.attempts + " attempt(s) (" + retries + " retries allowed); the last, " + worker + ", "
        + describeExit(exitCode) + lastWords(trace);
    WorkerDiedException died = new WorkerDiedException(message, position, worker.name, worker.pid, exitCode,
        chunk.attempts, trace.orElse(null));
    trace.ifPresent(text -> died.initCause(remoteTraceback(text)));
    return died;
  }

  /**
   * A job the pool could not go on handling (settling an answer, re-sending its items after a worker
   * died): it fails alone, with the cause, and the pool goes on serving the others.
   */
  static IllegalStateException notHandled(PoolJob job, String doing, RuntimeException cause) {
    return new IllegalStateException("the pool failed " + job.call + " while " + doing + ": " + describe(cause), cause);
  }

  /** {@code error.toString()}, or its class name if even that throws (a user's exception may). */
  static String describe(Throwable error) {
    try {
      return String.valueOf(error);
    } catch (RuntimeException | StackOverflowError speechless) {
      return error.getClass().getName() + " (its description threw " + speechless.getClass().getName() + ")";
    }
  }

  /** Why a pool broke: its restart intensity, and how the last worker died. */
  static PoolBrokenException broken(RestartIntensity restarts, PoolWorker last, int exitCode, Optional<String> trace) {
    String message = "the pool's workers keep dying: " + restarts
        + ", so it stopped restarting them and its pending work failed. The last, "
        + last + ", " + describeExit(exitCode) + lastWords(trace);
    return new PoolBrokenException(message, trace.map(PoolFailures::remoteTraceback).orElse(null));
  }

  /** The pool broke because {@code inARow} workers in a row died before they were ready. */
  static PoolBrokenException neverReady(int inARow, PoolWorker last, int exitCode, Optional<String> trace) {
    String message = "the pool's workers keep dying before they are ready: " + inARow
        + " in a row, none ready in between (an initializer that fails?), so it stopped restarting them and its"
        + " pending work failed. The last, " + last + ", " + describeExit(exitCode) + lastWords(trace);
    return new PoolBrokenException(message, trace.map(PoolFailures::remoteTraceback).orElse(null));
  }

  /** How a worker ended, from its Python-style exit code, e.g. "was killed by SIGKILL (exit code -9)". */
  static String describeExit(int exitCode) {
    return switch (exitCode) {
      case -9 -> "was killed by SIGKILL (exit code -9)";
      case -15 -> "was terminated by SIGTERM (exit code -15)";
      case -6 -> "aborted, as a crashing JVM does (SIGABRT, exit code -6)";
      case 1 -> "exited with code 1 (an uncaught exception or error)";
      case 0 -> "exited normally (exit code 0) without being asked to";
      default -> exitCode < 0
          ? "was killed by signal " + -exitCode + " (exit code " + exitCode + ")"
          : "exited with code " + exitCode + " (System.exit or a JVM failure)";
    };
  }

  /** The first line of a child's trace, to end a message with. */
  static String lastWords(Optional<String> trace) {
    return trace.map(text -> ": " + text.lines().findFirst().orElse("")).orElse("");
  }

  /** A child's trace as an exception, its first line split into class and message. */
  static RemoteTraceback remoteTraceback(String trace) {
    String first = trace.lines().findFirst().orElse("");
    int colon = first.indexOf(": ");
    return colon < 0
        ? new RemoteTraceback(first.trim(), "", trace)
        : new RemoteTraceback(first.substring(0, colon).trim(), first.substring(colon + 2), trace);
  }

  private static String task(String call, long position) {
    return call.startsWith("Pool.apply") ? "the task of " + call : "task " + position + " of " + call;
  }
}
