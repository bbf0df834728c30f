package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RemoteFailure;
import io.multiprocessing4j.proto.TaskFailure;
import io.multiprocessing4j.proto.TaskResults;
import io.multiprocessing4j.wire.Payloads;
import io.multiprocessing4j.wire.TaskFrames;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a worker's task channel for its pool actor. Runs on the channel's reader thread (one per
 * worker), so the costly part, deserializing results and exceptions, happens in parallel and off the
 * actor; the actor receives ready-made {@link PoolActor.ResultsIn} commands (through its {@link PoolInbox})
 * and only does bookkeeping.
 */
final class ResultReader {
  /** An item whose function threw: the child's report, and its exception rebuilt here if possible. */
  record RemoteError(int index, RemoteFailure failure, Throwable thrown) {}

  private final PoolInbox pool;
  private final ClassLoader loader;

  ResultReader(PoolInbox pool, ClassLoader loader) {
    this.pool = pool;
    this.loader = loader;
  }

  /** On the reader thread of worker {@code number}'s channel. */
  void onFrame(int number, Frame frame) {
    switch (frame.getBodyCase()) {
      case WORKER_READY -> pool.add(new PoolActor.Ready(number));
      case TASK_RESULTS -> pool.add(decode(number, frame.getTaskResults()));
      case TASKS_REVOKED -> pool.add(new PoolActor.Revoked(number, frame.getTasksRevoked().getChunkId()));
      default -> {
        // Nothing else travels from a worker on its task channel.
      }
    }
  }

  private PoolActor.ResultsIn decode(int number, TaskResults results) {
    Object[] values = null;
    Throwable[] unreadableItems = null;
    Throwable unreadable = null;
    try {
      Payloads.Elements decoded = TaskFrames.decodeEach(results.getValues(), loader);
      values = decoded.values();
      unreadableItems = decoded.failures();
    } catch (Exception | LinkageError e) {
      unreadable = e;
    }
    List<RemoteError> errors = List.of();
    if (results.getFailuresCount() > 0) {
      List<RemoteError> read = new ArrayList<>(results.getFailuresCount());
      for (TaskFailure failure : results.getFailuresList()) {
        read.add(new RemoteError(failure.getIndex(), failure.getFailure(), rebuild(failure.getFailure())));
      }
      errors = List.copyOf(read);
    }
    return new PoolActor.ResultsIn(number, results.getChunkId(), results.getFirstItem(), results.getEndItem(), values,
        unreadable, unreadableItems, errors, results.getRunNanos(), results.getHeldNanos());
  }

  /** The child's exception object, if it travelled and its class is known here; null otherwise. */
  private Throwable rebuild(RemoteFailure failure) {
    if (!failure.hasException() || failure.getException().getData().isEmpty()) {
      return null;
    }
    try {
      return Payloads.decode(failure.getException(), loader) instanceof Throwable thrown ? thrown : null;
    } catch (Exception | LinkageError e) {
      return null;
    }
  }

  /** True if the answer has a value for every item of the chunk and no item failed. */
  static boolean allSucceeded(PoolActor.ResultsIn results, Chunk chunk) {
    return results.errors().isEmpty() && results.unreadableItems() == null && results.values() != null
        && results.values().length == chunk.size();
  }

  /**
   * The values of a chunk's answer, filling {@code failures} for the items that failed: in the worker,
   * or here, when an item's result could not be decoded (that item fails alone, the others keep their
   * values). If the answer cannot be matched item by item (unreadable as a whole, or the worker could
   * not even decode the chunk), every item fails with the same reason.
   */
  static Object[] outcomes(PoolActor.ResultsIn results, Chunk chunk, PoolWorker worker, RuntimeException[] failures) {
    int size = chunk.size();
    if (results.values() == null || results.values().length != size) {
      RemoteError first = results.errors().isEmpty() ? null : results.errors().get(0);
      Throwable why = results.unreadable() != null ? results.unreadable()
          : new IllegalStateException("the worker answered " + (results.values() == null ? "nothing" : results.values().length)
              + " results for " + size + " items");
      for (int i = 0; i < size; i++) {
        failures[i] = first != null && results.unreadable() == null
            ? PoolFailures.taskFailed(chunk, i, worker, first.failure(), first.thrown())
            : PoolFailures.unreadable(chunk, i, worker, why);
      }
      return new Object[size];
    }
    for (RemoteError error : results.errors()) {
      if (error.index() >= 0 && error.index() < size) {
        failures[error.index()] = PoolFailures.taskFailed(chunk, error.index(), worker, error.failure(), error.thrown());
      }
    }
    Throwable[] unreadableItems = results.unreadableItems();
    for (int i = 0; unreadableItems != null && i < size; i++) {
      if (unreadableItems[i] != null && failures[i] == null) {
        failures[i] = PoolFailures.unreadable(chunk, i, worker, unreadableItems[i]);
      }
    }
    return results.values();
  }
}
