package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A job whose caller wants every result at once: {@code map}, {@code starmap}, {@code apply} and their
 * asynchronous forms. Results are stored by input position; the future completes when every item has
 * settled, with the list of results (or the single result, for {@code apply}), or exceptionally with
 * the failure of the first failed position, the later failures attached as suppressed exceptions.
 * Cancelling the future cancels the job. A future completed on the pool's {@link CompletionThread}
 * refuses a wait on that thread while it is unfinished.
 */
public final class MapJob extends PoolJob {
  /** Failures after the first are attached up to this many, so a wholesale failure stays readable. */
  private static final int MAX_SUPPRESSED = 10;

  private final Object[] results;
  private final boolean single;
  private final CompletableFuture<Object> future;
  /** Failures by input position; made on the first failure. */
  private Map<Integer, RuntimeException> failures;
  private int settledItems;
  private int total = -1;
  private boolean done;

  /**
   * @param size how many items the input has
   * @param single complete with the one result instead of a list ({@code apply})
   */
  public MapJob(String call, Payload function, int size, boolean single, Executor completions) {
    super(call, function, completions);
    this.results = new Object[size];
    this.single = single;
    this.future = completions instanceof CompletionThread thread ? thread.newFuture() : new CompletableFuture<>();
    future.whenComplete((value, error) -> {
      synchronized (this) {
        done = true;
      }
      settled();
    });
  }

  /** Completes with a {@code List} of the results, or with the one result of an {@code apply}. */
  public CompletableFuture<Object> future() {
    return future;
  }

  @Override
  synchronized void settle(Chunk chunk, Object[] values, RuntimeException[] itemFailures) {
    if (done) {
      return;
    }
    System.arraycopy(values, 0, results, chunk.start, values.length);
    for (int i = 0; itemFailures != null && i < itemFailures.length; i++) {
      if (itemFailures[i] != null) {
        if (failures == null) {
          failures = new TreeMap<>();
        }
        failures.put(chunk.start + i, itemFailures[i]);
      }
    }
    settledItems += values.length;
    completeIfAllSettled();
  }

  @Override
  synchronized void inputEnded(int total) {
    this.total = total;
    completeIfAllSettled();
  }

  @Override
  void inputFailed(RuntimeException error, int fed) {
    fail(error);
  }

  @Override
  void fail(RuntimeException reason) {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
    }
    complete(() -> future.completeExceptionally(reason));
  }

  @Override
  boolean isOneTask() {
    return single;
  }

  @Override
  synchronized boolean isSettled() {
    return done;
  }

  private void completeIfAllSettled() {
    if (done || total < 0 || settledItems < total) {
      return;
    }
    done = true;
    if (failures == null) {
      Object value = single ? results[0] : Collections.unmodifiableList(Arrays.asList(results));
      complete(() -> future.complete(value));
      return;
    }
    RuntimeException first = null;
    int suppressed = 0;
    for (RuntimeException failure : failures.values()) {
      if (first == null) {
        first = failure;
      } else if (suppressed++ < MAX_SUPPRESSED) {
        first.addSuppressed(failure);
      }
    }
    RuntimeException reported = first;
    complete(() -> future.completeExceptionally(reported));
  }
}
