package io.multiprocessing4j.internal;

import io.multiprocessing4j.ResultIterator;
import io.multiprocessing4j.proto.Payload;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/**
 * A job read as an iterator: {@code imap} (results in input order) and {@code imapUnordered} (in
 * completion order). Results wait here until the reader takes them; each one taken frees a place in
 * the feed's window, which is what keeps the input read only a bounded distance ahead of the reader.
 *
 * <p>The job settles (and the pool forgets it) once every result has arrived, or it has been closed,
 * failed or cancelled; results already here can still be read after that. A failure of the job as a
 * whole is thrown once, after them: then the iterator has ended.
 */
public final class IteratorJob extends PoolJob implements ResultIterator<Object> {
  /** A position whose task failed: thrown, not returned, when the reader reaches it. */
  private record Failed(RuntimeException error) {}

  /** A null result in {@link #arrived}, which (an {@code ArrayDeque}) cannot hold null itself. */
  private static final Object NULL_RESULT = new Object();

  private final boolean ordered;
  /** Ordered: arrived results by input position. */
  private final Map<Integer, Object> byPosition = new HashMap<>();
  /** Unordered: arrived results in arrival order. */
  private final ArrayDeque<Object> arrived = new ArrayDeque<>();
  private int arrivedCount;
  private int returned;
  private int total = -1;
  private RuntimeException inputError;
  private int inputErrorAt = -1;
  private RuntimeException jobFailure;
  /** The job's failure has been thrown to the reader: that was the end (Iterator's contract). */
  private boolean jobFailureThrown;
  private boolean closed;

  public IteratorJob(String call, Payload function, boolean ordered, Executor completions) {
    super(call, function, completions);
    this.ordered = ordered;
  }

  @Override
  void settle(Chunk chunk, Object[] values, RuntimeException[] failures) {
    synchronized (this) {
      if (closed || jobFailure != null) {
        return;
      }
      for (int i = 0; i < values.length; i++) {
        Object outcome = failures != null && failures[i] != null ? new Failed(failures[i]) : values[i];
        if (ordered) {
          byPosition.put(chunk.start + i, outcome);
        } else {
          arrived.add(outcome == null ? NULL_RESULT : outcome);
        }
      }
      arrivedCount += values.length;
      notifyAll();
    }
    settledIfComplete();
  }

  @Override
  void inputEnded(int total) {
    synchronized (this) {
      this.total = total;
      notifyAll();
    }
    settledIfComplete();
  }

  @Override
  void inputFailed(RuntimeException error, int fed) {
    synchronized (this) {
      inputError = error;
      inputErrorAt = fed;
      total = fed;
      notifyAll();
    }
    settledIfComplete();
  }

  @Override
  void fail(RuntimeException reason) {
    synchronized (this) {
      if (jobFailure != null || closed || isCompleteLocked()) {
        return;
      }
      jobFailure = reason;
      notifyAll();
    }
    settled();
  }

  @Override
  synchronized boolean isSettled() {
    return closed || jobFailure != null || isCompleteLocked();
  }

  private boolean isCompleteLocked() {
    return total >= 0 && arrivedCount >= total;
  }

  private void settledIfComplete() {
    synchronized (this) {
      if (!isCompleteLocked()) {
        return;
      }
    }
    settled();
  }

  @Override
  public boolean hasNext() {
    try {
      synchronized (this) {
        return awaitNext(false, 0);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a result of " + call, e);
    } catch (TimeoutException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  @Override
  public Object next() {
    try {
      return take(false, 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a result of " + call, e);
    } catch (TimeoutException impossible) {
      throw new IllegalStateException(impossible);
    }
  }

  @Override
  public Object next(Duration timeout) throws TimeoutException, InterruptedException {
    long nanos = Timeouts.nanos(timeout);
    return nanos < 0 ? take(false, 0) : take(true, System.nanoTime() + nanos);
  }

  private Object take(boolean timed, long deadline) throws TimeoutException, InterruptedException {
    Object outcome;
    synchronized (this) {
      if (!awaitNext(timed, deadline)) {
        throw new NoSuchElementException(jobFailureThrown
            ? call + " has ended: its failure has been thrown (" + jobFailure.getClass().getName() + ")"
            : "all results of " + call + " have been returned");
      }
      if (!hasArrivedNext()) {
        if (jobFailure != null) {
          jobFailureThrown = true;
          throw jobFailure;
        }
        RuntimeException error = inputError;
        inputError = null;
        throw error;
      }
      outcome = ordered ? byPosition.remove(returned) : arrived.poll();
      if (outcome == NULL_RESULT) {
        outcome = null;
      }
      returned++;
    }
    feed().consumed(1);
    if (outcome instanceof Failed failed) {
      throw failed.error();
    }
    return outcome;
  }

  /** Waits until the next position is known: true if there is one to return (or throw), false at the end. */
  private boolean awaitNext(boolean timed, long deadline) throws InterruptedException, TimeoutException {
    while (true) {
      if (closed) {
        return false;
      }
      // A result that has arrived is returned even if the job failed since (Python's iterator keeps it too).
      if (hasArrivedNext()) {
        return true;
      }
      if (jobFailure != null) {
        return !jobFailureThrown;
      }
      if (inputError != null && returned == inputErrorAt) {
        return true;
      }
      if (total >= 0 && returned >= total) {
        return false;
      }
      if (!timed) {
        wait();
      } else {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          throw new TimeoutException("no result of " + call + " arrived in time");
        }
        wait(remaining / 1_000_000, (int) (remaining % 1_000_000));
      }
    }
  }

  /** The next position's outcome is here. */
  private boolean hasArrivedNext() {
    return ordered ? byPosition.containsKey(returned) : !arrived.isEmpty();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      byPosition.clear();
      arrived.clear();
      notifyAll();
    }
    settled();
  }
}
