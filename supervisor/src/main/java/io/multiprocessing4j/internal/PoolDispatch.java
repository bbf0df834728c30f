package io.multiprocessing4j.internal;

import java.util.function.BooleanSupplier;

/**
 * The data path of a pool actor, confined to it: hands ready chunks to the workers that want work and
 * settles their answers into the jobs. The actor owns the lifecycle (which workers exist, when they
 * start, retire and are replaced) and tells this class when work may flow.
 *
 * <p>Dispatching is deferred to the end of a burst ({@link #batched}): the commands drained from the
 * {@link PoolInbox} in one go (submissions, results, chunks ready) lead to one dispatch, which writes
 * each worker's share in one write.
 */
final class PoolDispatch {
  private final WorkQueue work;
  private final WorkerRoster workers;
  private final int maxTasksPerChild;
  /**
   * Whether tiny chunks may travel joined: not when tasks get no retries. A worker's death is charged
   * to the whole frame it was running; with no retries the other tasks joined in it would then either
   * fail with it or, run again, run twice, and a pool without retries promises neither. One task per
   * frame is what keeps that promise, so the choice is made here, for the pool, not per death.
   */
  private final boolean joinTiny;
  /** True while the pool may send work (it runs, or closes and finishes its work). */
  private final BooleanSupplier open;
  /** Run after each dispatch: workers that reached maxTasksPerChild are replaced while they finish. */
  private final Runnable afterDispatch;
  private boolean deferred;
  private boolean wanted;

  PoolDispatch(WorkQueue work, WorkerRoster workers, int maxTasksPerChild, boolean joinTiny,
      BooleanSupplier open, Runnable afterDispatch) {
    this.work = work;
    this.workers = workers;
    this.maxTasksPerChild = maxTasksPerChild;
    this.joinTiny = joinTiny;
    this.open = open;
    this.afterDispatch = afterDispatch;
  }

  /** Runs {@code burst} with every dispatch it asks for deferred to its end, then dispatches once. */
  void batched(Runnable burst) {
    deferred = true;
    try {
      burst.run();
    } finally {
      deferred = false;
    }
    if (wanted) {
      dispatch();
    }
  }

  /** Hands out ready chunks (see {@link WorkerRoster#dispatch}), or notes that it must at the end of a burst. */
  void dispatch() {
    if (deferred) {
      wanted = true;
      return;
    }
    wanted = false;
    if (open.getAsBoolean()) {
      workers.dispatch(work, maxTasksPerChild, joinTiny);
      afterDispatch.run();
    }
  }

  /** A worker handed a prefetched chunk back: it runs first, elsewhere. */
  void onRevoked(PoolActor.Revoked revoked) {
    PoolWorker worker = workers.get(revoked.number());
    PoolWorker.Dispatched dispatched = worker == null ? null : worker.answered(revoked.chunkId());
    if (dispatched != null) {
      work.runFirst(dispatched.chunk);
      afterAnswer(worker);
    }
  }

  /**
   * A chunk's answer, or a part of it: its outcomes go to its job (unless the job no longer wants them);
   * the worker holds the chunk until the last part. An answer from a worker that is gone, or for a
   * chunk it no longer holds, is dropped: that chunk was taken back and runs again (but for the items
   * earlier parts settled). If settling throws, the chunk's jobs that are still live fail with the cause.
   */
  void onResults(PoolActor.ResultsIn results) {
    PoolWorker worker = workers.get(results.number());
    PoolWorker.Dispatched dispatched = worker == null ? null
        : results.isLast() ? worker.answered(results.chunkId()) : worker.holding(results.chunkId());
    if (dispatched == null) {
      return;
    }
    Chunk chunk = dispatched.chunk;
    try {
      Chunk answered = chunk.slice(results.firstItem(), results.isLast() ? chunk.size() : results.endItem());
      if (!results.isLast()) {
        dispatched.answeredItems = results.endItem();
      }
      if (answered.batch != null) {
        settleBatch(answered, results, worker);
      } else if (work.isLive(answered.job)) {
        settle(answered, results, worker);
      }
    } catch (RuntimeException e) {
      // One job's answer must not stop the pool, which serves every other job too.
      work.failTasks(chunk, "settling the answer of " + worker, e);
    }
    if (results.isLast()) {
      worker.timed(dispatched, results.runNanos(), results.heldNanos());
      afterAnswer(worker);
    }
  }

  /** A failures array is made only for an answer that has failures: most chunks have none. */
  private static void settle(Chunk chunk, PoolActor.ResultsIn results, PoolWorker worker) {
    if (ResultReader.allSucceeded(results, chunk)) {
      chunk.job.settle(chunk, results.values(), null);
      return;
    }
    RuntimeException[] failures = new RuntimeException[chunk.size()];
    Object[] values = ResultReader.outcomes(results, chunk, worker, failures);
    chunk.job.settle(chunk, values, failures);
  }

  /** Each task of a batch settles its own job, with its own result or failure. */
  private void settleBatch(Chunk chunk, PoolActor.ResultsIn results, PoolWorker worker) {
    RuntimeException[] failures = null;
    Object[] values = results.values();
    if (!ResultReader.allSucceeded(results, chunk)) {
      failures = new RuntimeException[chunk.size()];
      values = ResultReader.outcomes(results, chunk, worker, failures);
    }
    for (int item = 0; item < chunk.size(); item++) {
      Chunk task = chunk.batch.get(item);
      if (work.isLive(task.job)) {
        task.job.settle(task, new Object[] {values[item]},
            failures == null ? null : new RuntimeException[] {failures[item]});
      }
    }
  }

  private void afterAnswer(PoolWorker worker) {
    workers.answered(worker);
    dispatch();
  }
}
