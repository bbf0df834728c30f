package io.multiprocessing4j.internal;

import io.multiprocessing4j.ProcessSupervisor;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.TaskFrames;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * One worker process as its pool actor sees it: its identity, its task channel, the chunks it holds
 * (in the order it runs them) and the functions it has cached. Confined to the pool actor.
 *
 * <p>Life of a worker: starting (launched, no task channel yet) → connected → ready (its initializer
 * returned) → possibly retiring (it takes no new chunks; it is told to exit once it holds none) → gone.
 * An exit is expected only once the pool asked for it ({@link #exitRequested}); any other exit is a
 * death, which the pool repairs.
 */
final class PoolWorker {
  /** Chunks a worker may hold at least: the one it runs and one prefetched. */
  static final int MIN_DEPTH = 2;
  /**
   * Chunks a worker may hold at most, however tiny they are. Deep enough that a refill of half of it,
   * in one-task jobs ({@code applyAsync} in a loop), keeps a worker busy for longer than the round trip
   * that brings the next refill (a thread wake-up on each side: a millisecond or more on a loaded
   * machine).
   */
  static final int MAX_DEPTH = 256;
  /**
   * Functions a worker keeps cached. A worker holds the chunks of a few functions at most (besides the
   * one it is timed on, it takes a chunk only while it holds fewer than {@link #MIN_DEPTH}, see
   * {@link #canTake(long)}), so the function of a chunk it still holds is never among the least
   * recently sent, which are the ones released.
   */
  private static final int CACHED_FUNCTIONS = 128;
  /** Weight of the newest sample in the running averages of run time and round trip. */
  private static final double SMOOTHING = 0.2;
  /** Run times below this count as this, so a run of instant tasks does not ask for an endless queue. */
  private static final double MIN_RUN_NANOS = 1_000;
  /**
   * Chunks sent together are joined into one ({@link Chunk#joined}) while the joined one is expected
   * to run within this long: tiny tasks then cost one frame, one answer and one settlement per batch,
   * while a chunk that takes longer is never joined, so it can still be handed back on its own.
   */
  private static final double MAX_JOINED_RUN_NANOS = 200_000;

  /** A chunk sent to this worker and not yet answered. */
  static final class Dispatched {
    final long chunkId;
    final Chunk chunk;
    final long functionId;
    final long sentNanos = System.nanoTime();
    boolean revoking;
    /** How many of the chunk's first items the parts of its answer received so far have settled. */
    int answeredItems;

    Dispatched(long chunkId, Chunk chunk, long functionId) {
      this.chunkId = chunkId;
      this.chunk = chunk;
      this.functionId = functionId;
    }

    /** The items no part of the answer has covered yet: the whole chunk, or a {@link Chunk#slice} of it. */
    Chunk unanswered() {
      return chunk.slice(answeredItems, chunk.size());
    }
  }

  final int number;
  final String name;
  final Endpoint endpoint;
  /** The supervisor's id for this child; -1 until it has started. */
  long processId = -1;
  long pid = -1;
  FrameChannel<Frame> channel;
  boolean ready;
  /** It told the pool it was ready once (its initializer ran): a later exit is not a failure to start. */
  boolean wasReady;
  /** Its channel's reader has delivered everything the worker sent and stopped. */
  boolean channelClosed;
  /**
   * Its exit, when reported before its channel closed: handled once the channel has closed, so that
   * the answers the worker sent before it died are settled first, not charged to its death.
   */
  ProcessSupervisor.Exited exitBeforeChannelClosed;
  /** Takes no new chunks: it has done its share, or the pool is closing or stopping. */
  boolean retiring;
  /** The pool told it to exit (RetireWorker or a terminate): its exit is not a death. */
  boolean exitRequested;
  int tasksAssigned;
  final ArrayDeque<Dispatched> outstanding = new ArrayDeque<>();
  /** The feed chunks that {@link #outstanding} stands for ({@link Chunk#parts}): what the depth bounds. */
  private int heldParts;
  /** Frames queued by {@link #queue} and not yet written (see {@link #flush}). */
  private final List<Frame> unsent = new ArrayList<>();
  /** Of {@link #unsent}, the chunks, and the functions sent for the first time. */
  private final List<Dispatched> unsentChunks = new ArrayList<>();
  private final List<Long> unsentFunctions = new ArrayList<>();
  private final LinkedHashMap<Long, Boolean> cachedFunctions = new LinkedHashMap<>(32, 0.75f, true);
  private long lastChunkId;
  /** The function whose chunks {@link #runNanos} and {@link #depth} were learned from. */
  private long timedFunction = -1;
  private double runNanos = -1;
  private double roundTripNanos = -1;
  private int depth = MIN_DEPTH;

  PoolWorker(int number, String name, Endpoint endpoint) {
    this.number = number;
    this.name = name;
    this.endpoint = endpoint;
  }

  boolean canTake() {
    return ready && !retiring && heldParts < depth;
  }

  /** The feed chunks this worker holds (see {@link Chunk#parts}). */
  int heldParts() {
    return heldParts;
  }

  /**
   * How many feed chunks the next chunk of function {@code functionId} sent to this worker may stand
   * for: one unless its tasks are known to be tiny, else as many as it has room for, up to half its
   * depth (so a refill is two joined chunks at most, and the workers share a short queue), as run
   * within {@link #MAX_JOINED_RUN_NANOS}, and as {@code maxTasksPerChild} still allows.
   */
  int joinLimit(long functionId, int maxTasksPerChild) {
    if (functionId != timedFunction || runNanos < 0) {
      return 1;
    }
    long limit = Math.min(Math.min(depth - heldParts, depth / 2),
        (long) (MAX_JOINED_RUN_NANOS / Math.max(runNanos, MIN_RUN_NANOS)));
    if (maxTasksPerChild > 0) {
      limit = Math.min(limit, maxTasksPerChild - tasksAssigned);
    }
    return (int) Math.max(1, limit);
  }

  /**
   * True if this worker may hold one more chunk of function {@code functionId}. Its depth was learned
   * from the chunks of one function; a chunk of another may take far longer, so until one of its
   * chunks has been answered the worker holds at most {@link #MIN_DEPTH}: a queue of tiny tasks never
   * turns into a pre-assignment of long ones, which would hold them back behind each other.
   */
  boolean canTake(long functionId) {
    return canTake() && (functionId == timedFunction || heldParts < MIN_DEPTH);
  }

  /**
   * True when this worker should be sent chunks: it can take one and has run down to half its depth.
   * Refilling it only then sends tiny chunks in batches of half its depth (one write for the batch, one
   * wake-up of the worker), while what it still holds covers the round trip of the refill.
   */
  boolean wantsWork() {
    return canTake() && heldParts <= depth / 2;
  }

  /**
   * Learns from an answered chunk how deep this worker's queue must be. The round trip outside the
   * worker (send, wake-ups, answer) is the answer's latency minus the time the worker held the chunk;
   * it takes {@code q} of its chunks to cover it. The worker is refilled when it has run down to half
   * its depth ({@link #wantsWork}), so its depth is {@code 2q}: long chunks get two (one running, one
   * queued), tiny ones up to {@link #MAX_DEPTH}.
   */
  void timed(Dispatched answered, long runNanos, long heldNanos) {
    if (answered.functionId != timedFunction) {
      timedFunction = answered.functionId;
      this.runNanos = -1;
    }
    long roundTrip = Math.max(0, System.nanoTime() - answered.sentNanos - heldNanos);
    // Learned per feed chunk, so that joining chunks does not make them look longer.
    double run = (double) runNanos / answered.chunk.parts;
    this.runNanos = this.runNanos < 0 ? run : this.runNanos + SMOOTHING * (run - this.runNanos);
    roundTripNanos = roundTripNanos < 0 ? roundTrip : roundTripNanos + SMOOTHING * (roundTrip - roundTripNanos);
    long queued = (long) Math.ceil(roundTripNanos / Math.max(this.runNanos, MIN_RUN_NANOS));
    depth = (int) Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, 2 * queued));
  }

  /**
   * Queues a chunk for this worker, with its function if the worker does not hold it yet, releasing the
   * least recently used function when the cache is full. The chunk counts as held at once; it is
   * written by the next {@link #flush}.
   */
  void queue(Chunk chunk, long functionId) {
    Payload function = null;
    List<Long> released = List.of();
    if (cachedFunctions.get(functionId) == null) {
      function = chunk.job.function;
      cachedFunctions.put(functionId, Boolean.TRUE);
      unsentFunctions.add(functionId);
      if (cachedFunctions.size() > CACHED_FUNCTIONS) {
        Iterator<Long> eldest = cachedFunctions.keySet().iterator();
        released = List.of(eldest.next());
        eldest.remove();
      }
    }
    long chunkId = ++lastChunkId;
    unsent.add(TaskFrames.runTasks(chunkId, functionId, function, chunk.payload, released));
    Dispatched dispatched = new Dispatched(chunkId, chunk, functionId);
    unsentChunks.add(dispatched);
    outstanding.add(dispatched);
    heldParts += chunk.parts;
    tasksAssigned += chunk.parts;
  }

  /**
   * Writes the queued chunks in one gathering write. If the task channel is broken (the worker is
   * dying; its exit will follow), they were never delivered: they are no longer held, and are
   * returned, in order, for another worker.
   */
  List<Chunk> flush() {
    if (unsent.isEmpty()) {
      return List.of();
    }
    List<Chunk> undelivered = List.of();
    try {
      channel.sendAll(unsent);
    } catch (IOException e) {
      ready = false;
      unsentFunctions.forEach(cachedFunctions::remove);
      undelivered = new ArrayList<>(unsentChunks.size());
      for (Dispatched dispatched : unsentChunks) {
        outstanding.remove(dispatched);
        heldParts -= dispatched.chunk.parts;
        tasksAssigned -= dispatched.chunk.parts;
        undelivered.add(dispatched.chunk);
      }
    }
    unsent.clear();
    unsentChunks.clear();
    unsentFunctions.clear();
    return undelivered;
  }

  /** Removes and returns the answered chunk {@code chunkId}, or null if this worker does not hold it. */
  Dispatched answered(long chunkId) {
    for (Iterator<Dispatched> it = outstanding.iterator(); it.hasNext();) {
      Dispatched dispatched = it.next();
      if (dispatched.chunkId == chunkId) {
        it.remove();
        heldParts -= dispatched.chunk.parts;
        return dispatched;
      }
    }
    return null;
  }

  /** The chunk {@code chunkId} if this worker holds it (it stays held), else null. */
  Dispatched holding(long chunkId) {
    for (Dispatched dispatched : outstanding) {
      if (dispatched.chunkId == chunkId) {
        return dispatched;
      }
    }
    return null;
  }

  /** Asks for the last prefetched chunk back, if there is one not already asked for. */
  boolean revokeLast() {
    Dispatched last = outstanding.peekLast();
    if (outstanding.size() < 2 || last.revoking) {
      return false;
    }
    last.revoking = true;
    return sendQuietly(TaskFrames.revokeTasks(last.chunkId));
  }

  /** Tells a ready worker to exit once it holds no chunk. */
  boolean sendRetire() {
    exitRequested = true;
    return sendQuietly(TaskFrames.retireWorker());
  }

  /** Every chunk still held, in the order the worker runs them, and forgets them. */
  List<Dispatched> takeOutstanding() {
    List<Dispatched> held = new ArrayList<>(outstanding);
    outstanding.clear();
    heldParts = 0;
    return held;
  }

  void closeChannel() {
    if (channel != null) {
      channel.close();
    }
  }

  private boolean sendQuietly(Frame frame) {
    try {
      channel.send(frame);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return name + (pid < 0 ? "" : " (pid " + pid + ")");
  }
}
