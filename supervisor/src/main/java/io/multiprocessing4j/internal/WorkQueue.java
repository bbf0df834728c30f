package io.multiprocessing4j.internal;

import io.multiprocessing4j.PicklingException;
import io.multiprocessing4j.proto.Payload;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A pool's pending work, confined to its actor: the active jobs (each with the id under which workers
 * cache its function, shared by jobs whose functions serialize identically), the jobs that may still
 * produce chunks, in submission order, and the chunks to run again, which go before anything new.
 *
 * <p>A small function keeps its id for a while after its last job settled, so the next job of the same
 * function (a program calling {@code map} in a loop) finds it still cached by the workers: it is not
 * sent, decoded and timed again for every call, and each worker's learned queue depth stays valid.
 */
final class WorkQueue {
  /** A function shared by the active jobs that use it. */
  private static final class FunctionRef {
    final long id;
    int jobs;

    FunctionRef(long id) {
      this.id = id;
    }
  }

  /** Functions without an active job whose ids are kept, at most this many... */
  private static final int IDLE_FUNCTIONS_KEPT = 16;
  /** ...and only if their encoding is this small: a lambda that captured a large object is not held. */
  private static final int MAX_KEPT_FUNCTION_BYTES = 64 * 1024;

  private final Map<PoolJob, FunctionRef> active = new LinkedHashMap<>();
  private final Map<Payload, FunctionRef> functions = new HashMap<>();
  /** Of {@link #functions}, those with no active job, least recently used first. */
  private final LinkedHashMap<Payload, FunctionRef> idleFunctions = new LinkedHashMap<>();
  private final ArrayDeque<PoolJob> feeding = new ArrayDeque<>();
  private final ArrayDeque<Chunk> again = new ArrayDeque<>();
  private long lastFunctionId;

  void add(PoolJob job) {
    FunctionRef function = functions.computeIfAbsent(job.function, payload -> new FunctionRef(++lastFunctionId));
    if (function.jobs++ == 0) {
      idleFunctions.remove(job.function);
    }
    active.put(job, function);
    feeding.add(job);
  }

  /**
   * Forgets a settled job. Its chunks still queued are dropped as {@link #next()} comes across them
   * (a search here would cost as much as the queue is long, per job).
   */
  void remove(PoolJob job) {
    FunctionRef function = active.remove(job);
    if (function != null && --function.jobs == 0) {
      keepIdle(job.function, function);
    }
  }

  /** A function's last job settled: its id is kept for the next job of it, or forgotten. */
  private void keepIdle(Payload payload, FunctionRef function) {
    if (payload.getSerializedSize() > MAX_KEPT_FUNCTION_BYTES) {
      functions.remove(payload, function);
      return;
    }
    idleFunctions.put(payload, function);
    if (idleFunctions.size() > IDLE_FUNCTIONS_KEPT) {
      Iterator<Map.Entry<Payload, FunctionRef>> eldest = idleFunctions.entrySet().iterator();
      Map.Entry<Payload, FunctionRef> forgotten = eldest.next();
      eldest.remove();
      functions.remove(forgotten.getKey(), forgotten.getValue());
    }
  }

  /** True while some submitted job has not settled. */
  boolean hasActiveJobs() {
    return !active.isEmpty();
  }

  /** A job whose results are still wanted. */
  boolean isLive(PoolJob job) {
    return active.containsKey(job) && !job.isSettled();
  }

  /** The id workers cache the job's function under. */
  long functionId(PoolJob job) {
    return active.get(job).id;
  }

  /** The next chunk to send: a chunk to run again first, then the oldest job's next chunk; null if none is ready. */
  Chunk next() {
    while (!again.isEmpty()) {
      Chunk chunk = again.pollFirst();
      if (isLive(chunk.job)) {
        return chunk;
      }
    }
    for (Iterator<PoolJob> it = feeding.iterator(); it.hasNext();) {
      PoolJob job = it.next();
      if (!isLive(job)) {
        it.remove();
        continue;
      }
      // Read before polling: once the feed has ended, a poll sees every chunk it ever added.
      boolean ended = job.feed().isEnded();
      Chunk chunk = job.feed().poll();
      if (chunk != null) {
        return chunk;
      }
      if (ended) {
        it.remove();
      }
    }
    return null;
  }

  /**
   * A chunk that was sent but not run (handed back, or its worker's channel broke): it goes first; a
   * batch goes back as its tasks, which are dropped one by one if their job has settled.
   */
  void runFirst(Chunk chunk) {
    List<Chunk> tasks = chunk.tasks();
    for (int i = tasks.size() - 1; i >= 0; i--) {
      if (isLive(tasks.get(i).job)) {
        again.addFirst(tasks.get(i));
      }
    }
  }

  /**
   * Takes back the chunks of a worker that is gone, in the order it held them, ahead of everything
   * else; of a chunk whose answer it had sent in part, only the items not answered yet. If it died, the first one (the one it was running) is charged an attempt: it is split into
   * single items if it has several, or, once it has used up its retries, fails with
   * {@link io.multiprocessing4j.WorkerDiedException}. A batch is taken back as its tasks, each charged
   * if the batch was.
   *
   * @param died the worker, if it died; null if it exited because it was asked to
   */
  void takeBack(List<PoolWorker.Dispatched> held, PoolWorker died, int exitCode, Optional<String> trace,
      int taskRetries) {
    List<Chunk> queued = new ArrayList<>();
    for (int i = 0; i < held.size(); i++) {
      PoolWorker.Dispatched dispatched = held.get(i);
      // Items the parts of its answer already settled are not run again.
      Chunk chunk = dispatched.unanswered();
      boolean partlyAnswered = chunk != dispatched.chunk;
      if (chunk.batch == null && !isLive(chunk.job)) {
        // Its job wants nothing more: not worth charging, splitting (encoding each item again) or queueing.
        continue;
      }
      try {
        if (i == 0 && died != null) {
          queued.addAll(charge(chunk, partlyAnswered, died, exitCode, trace, taskRetries));
        } else {
          queued.addAll(partlyAnswered ? chunk.split(this::failUnsendable) : chunk.tasks());
        }
      } catch (RuntimeException e) {
        failTasks(chunk, "taking back a chunk from a worker that " + (died != null ? "died" : "is gone"), e);
      }
    }
    for (int i = queued.size() - 1; i >= 0; i--) {
      if (isLive(queued.get(i).job)) {
        again.addFirst(queued.get(i));
      }
    }
  }

  /**
   * The chunk a worker died running is charged an attempt: it fails once it has used up its retries,
   * else it is split into single items if it has several (an item that no longer serializes failing
   * alone). Returns what is to run again.
   */
  private List<Chunk> charge(Chunk chunk, boolean partlyAnswered, PoolWorker died, int exitCode,
      Optional<String> trace, int taskRetries) {
    chunk.attempts++;
    if (chunk.attempts > taskRetries) {
      failDied(chunk, died, exitCode, trace, taskRetries);
      return List.of();
    }
    return chunk.size() > 1 || partlyAnswered ? chunk.split(this::failUnsendable) : chunk.tasks();
  }

  /** A task that cannot be sent again fails alone (see {@link Chunk#split}). */
  private void failUnsendable(Chunk task, PicklingException why) {
    if (isLive(task.job)) {
      task.job.settle(task, new Object[1], new RuntimeException[] {why});
    }
  }

  /**
   * The pool could not go on handling this chunk ({@code doing} threw {@code cause}): the jobs of its
   * tasks that still want results fail, each with its own exception, and nothing else does.
   */
  void failTasks(Chunk chunk, String doing, RuntimeException cause) {
    for (Chunk task : chunk.tasks()) {
      if (isLive(task.job)) {
        task.job.fail(PoolFailures.notHandled(task.job, doing, cause));
      }
    }
  }

  /** A chunk's tasks whose jobs still want them fail: their worker died on every attempt. */
  private void failDied(Chunk chunk, PoolWorker died, int exitCode, Optional<String> trace, int taskRetries) {
    if (chunk.batch == null) {
      if (isLive(chunk.job)) {
        RuntimeException[] failures = new RuntimeException[chunk.size()];
        for (int item = 0; item < failures.length; item++) {
          failures[item] = PoolFailures.workerDied(chunk, item, died, exitCode, trace, taskRetries);
        }
        chunk.job.settle(chunk, new Object[chunk.size()], failures);
      }
      return;
    }
    for (int item = 0; item < chunk.size(); item++) {
      Chunk task = chunk.batch.get(item);
      if (isLive(task.job)) {
        task.job.settle(task, new Object[1],
            new RuntimeException[] {PoolFailures.workerDied(chunk, item, died, exitCode, trace, taskRetries)});
      }
    }
  }

  /** The pool is closing: no job may wait for its reader any more (see {@link ChunkFeed#liftWindow()}). */
  void liftWindows() {
    for (PoolJob job : active.keySet()) {
      job.feed().liftWindow();
    }
  }

  /** Fails every active job (each with its own exception object) and drops the queues. */
  void failAll(Supplier<RuntimeException> reason) {
    for (PoolJob job : new ArrayList<>(active.keySet())) {
      job.fail(reason.get());
    }
    feeding.clear();
    again.clear();
  }
}
