package io.multiprocessing4j.internal;

import io.multiprocessing4j.ProcessInfo;
import io.multiprocessing4j.ProcessSupervisor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A pool's workers, confined to its actor: who they are, what each holds, how work is handed to them
 * and how they are told to go. The actor decides when workers start, retire and are replaced; the
 * roster carries it out.
 */
final class WorkerRoster {
  /**
   * Chunks are joined only while their encoded items stay this small: joining saves a frame's and an
   * answer's fixed cost, which only matters for small chunks, and costs encoding the items again.
   */
  private static final long MAX_JOINED_BYTES = 8 * 1024;
  private final Map<Integer, PoolWorker> workers = new LinkedHashMap<>();
  private final ActorRef<ProcessSupervisor.Command> supervisor;

  WorkerRoster(ActorRef<ProcessSupervisor.Command> supervisor) {
    this.supervisor = supervisor;
  }

  void add(PoolWorker worker) {
    workers.put(worker.number, worker);
  }

  /** The worker with this number, or null if it is gone. */
  PoolWorker get(int number) {
    return workers.get(number);
  }

  void remove(PoolWorker worker) {
    workers.remove(worker.number);
  }

  boolean isEmpty() {
    return workers.isEmpty();
  }

  Collection<PoolWorker> all() {
    return workers.values();
  }

  /** Workers that are not retiring: the ones that count towards {@code processes}. */
  long serving() {
    return workers.values().stream().filter(worker -> !worker.retiring).count();
  }

  /** The worker the supervisor knows as child {@code processId}, or null. */
  PoolWorker byProcessId(long processId) {
    for (PoolWorker worker : workers.values()) {
      if (worker.processId == processId) {
        return worker;
      }
    }
    return null;
  }

  /** True if a worker of this name has been asked for but its start has not been confirmed yet. */
  boolean isStarting(String name) {
    return workers.values().stream().anyMatch(worker -> worker.processId < 0 && worker.name.equals(name));
  }

  /**
   * Hands out ready chunks to the workers that want work ({@link PoolWorker#wantsWork}), idle workers
   * first, then a queued chunk each, round by round, up to each worker's depth (see
   * {@link PoolWorker#timed}), and writes each worker's share in one write. When nothing is left to
   * send while a worker is idle, asks busy workers for their prefetched chunks back. A worker that has
   * been sent its {@code maxTasksPerChild} share starts retiring. Consecutive chunks of tiny tasks go
   * to a worker joined into one ({@link PoolWorker#joinLimit}) if {@code joinTiny}; depths and task
   * counts are in feed chunks either way.
   */
  void dispatch(WorkQueue work, int maxTasksPerChild, boolean joinTiny) {
    List<PoolWorker> candidates = new ArrayList<>(workers.size());
    for (PoolWorker worker : workers.values()) {
      if (worker.wantsWork()) {
        candidates.add(worker);
      }
    }
    boolean exhausted = false;
    for (int held = 0; held < PoolWorker.MAX_DEPTH && !exhausted && !candidates.isEmpty(); held++) {
      for (PoolWorker worker : candidates) {
        if (!worker.canTake() || worker.heldParts() != held) {
          continue;
        }
        Chunk chunk = work.next();
        if (chunk == null) {
          exhausted = true;
          break;
        }
        long functionId = work.functionId(chunk.job);
        if (!worker.canTake(functionId)) {
          // The chunk's function is one it has no measure of yet, and it holds enough: it is full.
          work.runFirst(chunk);
          continue;
        }
        int joinLimit = joinTiny ? worker.joinLimit(functionId, maxTasksPerChild) : 1;
        worker.queue(joinFollowing(chunk, joinLimit, work), functionId);
        if (maxTasksPerChild > 0 && worker.tasksAssigned >= maxTasksPerChild) {
          worker.retiring = true;
        }
      }
    }
    for (PoolWorker worker : candidates) {
      List<Chunk> undelivered = worker.flush();
      // The worker is on its way out and its exit will be reported; these chunks never reached it.
      for (int i = undelivered.size() - 1; i >= 0; i--) {
        work.runFirst(undelivered.get(i));
      }
    }
    if (exhausted) {
      revokeForIdleWorkers();
    }
  }

  /**
   * {@code chunk} joined with the chunks that follow it in the queue (see {@link Chunk#canJoin}), up to
   * {@code limit} feed chunks and {@link #MAX_JOINED_BYTES}; the first chunk that does not join goes
   * back to the front of the queue.
   */
  private static Chunk joinFollowing(Chunk chunk, int limit, WorkQueue work) {
    int parts = chunk.parts;
    long bytes = chunk.payload.getSerializedSize();
    List<Chunk> run = null;
    Chunk last = chunk;
    while (parts < limit) {
      Chunk next = work.next();
      if (next == null) {
        break;
      }
      bytes += next.payload.getSerializedSize();
      if (!last.canJoin(next) || parts + next.parts > limit || bytes > MAX_JOINED_BYTES) {
        work.runFirst(next);
        break;
      }
      if (run == null) {
        run = new ArrayList<>();
        run.add(chunk);
      }
      run.add(next);
      parts += next.parts;
      last = next;
    }
    return run == null ? chunk : Chunk.joined(run);
  }

  private void revokeForIdleWorkers() {
    long idle = workers.values().stream()
        .filter(worker -> worker.ready && !worker.retiring && worker.outstanding.isEmpty())
        .count();
    for (PoolWorker worker : workers.values()) {
      if (idle == 0) {
        return;
      }
      if (worker.revokeLast()) {
        idle--;
      }
    }
  }

  /** A worker answered a chunk: if it is retiring and holds nothing more, it is told to go. */
  void answered(PoolWorker worker) {
    if (worker.retiring && worker.outstanding.isEmpty()) {
      retire(worker);
    }
  }

  /**
   * Retires a worker that holds no chunk: a ready worker is told to exit; one still starting is told
   * when it becomes ready (so its initializer runs to the end, as in Python); one whose channel broke
   * is terminated.
   */
  void retire(PoolWorker worker) {
    worker.retiring = true;
    if (worker.exitRequested || !worker.ready || worker.sendRetire()) {
      return;
    }
    stop(worker);
  }

  /** Retires every worker, each as soon as it holds no chunk (the pool is closing and idle). */
  void retireAll() {
    for (PoolWorker worker : workers.values()) {
      worker.retiring = true;
      if (worker.outstanding.isEmpty()) {
        retire(worker);
      }
    }
  }

  /** Terminates a worker through the supervisor (if it has not started yet, once it has). */
  void stop(PoolWorker worker) {
    worker.retiring = true;
    if (!worker.exitRequested && worker.processId >= 0) {
      worker.exitRequested = true;
      supervisor.tell(new ProcessSupervisor.Terminate(worker.processId));
    }
  }

  void stopAll() {
    workers.values().forEach(this::stop);
  }

  /** The actor is stopping with workers left (it was stopped from outside): they are killed. */
  void killAll(ChannelServer channelServer) {
    for (PoolWorker worker : workers.values()) {
      channelServer.closeEndpoint(worker.endpoint);
      worker.closeChannel();
      if (worker.processId >= 0) {
        supervisor.tell(new ProcessSupervisor.Kill(worker.processId));
      }
    }
    workers.clear();
  }

  void publishTo(PoolStatus status) {
    status.publishWorkers(workers.values().stream()
        .filter(worker -> worker.pid >= 0)
        .map(worker -> new ProcessInfo(worker.name, worker.pid, true))
        .toList());
  }
}
