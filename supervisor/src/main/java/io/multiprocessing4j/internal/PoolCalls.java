package io.multiprocessing4j.internal;

import io.multiprocessing4j.ResultIterator;
import io.multiprocessing4j.agent.TaskFunction;
import io.multiprocessing4j.proto.Payload;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Turns the calls on a pool into jobs for its actor: encodes the function in the caller's thread,
 * wires each job to its feed, submits it, and starts feeding it (in the caller's thread or on a
 * feeder thread). Owns the pool's two small thread pools: feeder threads, which read the input of
 * the asynchronous calls, and the one completion thread, which completes futures so that callers'
 * dependent stages never run on the actor (Python's result-handler thread plays the same role).
 */
public final class PoolCalls {
  /**
   * Where the jobs of blocking calls are completed: on the thread that settles them (the pool actor).
   * Their future never reaches the caller, who only waits on it, so no dependent stage can run on the
   * actor, and the caller is woken directly instead of through the completion thread.
   */
  private static final Executor IN_PLACE = Runnable::run;
  /** An {@code imap} reader may fall this many chunks per worker behind before the input stops being read. */
  private static final int IMAP_WINDOW_CHUNKS = 20;
  /**
   * The chunksize of a {@code map} or {@code starmap} called without one: Python's default, worked
   * out from the input's length. Never a valid chunksize ({@link #requireChunksize}).
   */
  public static final int PYTHON_CHUNKSIZE = 0;
  private final PoolInbox inbox;
  private final PoolStatus status;
  private final int processes;
  /** The largest frame the workers' channels carry. */
  private final int frameBytes;
  private final ExecutorService feeders;
  private final CompletionThread completions;
  private final Map<Object, Payload> reusableEncodings = new ConcurrentHashMap<>();

  /** @param frameBytes the largest frame the workers' channels carry, which each chunk must fit in */
  public PoolCalls(PoolInbox inbox, PoolStatus status, int processes, int frameBytes) {
    this.inbox = inbox;
    this.status = status;
    this.processes = processes;
    this.frameBytes = frameBytes;
    this.feeders = Executors.newCachedThreadPool(ChannelServer.daemonThreads("multiprocessing4j-pool-feeder"));
    this.completions = new CompletionThread(ChannelServer.daemonThreads("multiprocessing4j-pool-results"));
    status.terminated().whenComplete((done, error) -> {
      feeders.shutdownNow();
      completions.shutdown();
    });
  }

  /**
   * Whether this thread completes the pool's futures: a dependent stage of one of them (Python's
   * callback) is running. Such a stage must not wait for the pool to stop, which needs this thread.
   */
  public boolean isCompletionThread() {
    return completions.isCurrent();
  }

  /**
   * Serializes a task function in the caller's thread; throws {@code PicklingException} if it cannot
   * travel. The encoding of a non-capturing lambda or method reference is made once and reused, which
   * also lets the pool actor recognise it as the same function (workers then cache it once).
   */
  Payload encode(TaskFunction function, String call, EndCopies copies) {
    Object key = TaskAdapters.reusableEncodingKey(function);
    if (key == null) {
      return EndCopies.record(copies, () -> TargetEncoder.encode(function, "the function of " + call, "function"));
    }
    // Reusable: it captures nothing, so it carries no pipe end.
    return reusableEncodings.computeIfAbsent(key, same -> TargetEncoder.encode(function, "the function of " + call, "function"));
  }

  /**
   * A blocking {@code map}: submits the job, feeds it in this thread, waits for its results.
   *
   * @see io.multiprocessing4j.Pool#map
   */
  public <R> List<R> map(String call, TaskFunction function, List<?> items, int chunksize) throws InterruptedException {
    EndCopies copies = new EndCopies();
    Payload encoded = encode(function, call, copies);
    if (items.isEmpty()) {
      copies.release(); // no worker will read the function
      return List.of();
    }
    MapJob job = submitMap(call, encoded, copies, items, chunksize, false, IN_PLACE);
    feed(job, Integer.MAX_VALUE);
    return await(job);
  }

  /**
   * An asynchronous {@code map}: the first chunks (one per worker) are fed in this thread, the rest on
   * a feeder thread.
   */
  public <R> CompletableFuture<List<R>> mapAsync(String call, TaskFunction function, List<?> items, int chunksize) {
    EndCopies copies = new EndCopies();
    Payload encoded = encode(function, call, copies);
    if (items.isEmpty()) {
      copies.release(); // no worker will read the function
      return CompletableFuture.completedFuture(List.of());
    }
    MapJob job = submitMap(call, encoded, copies, items, chunksize, false, completions);
    feedInBackground(job);
    return cast(job.future());
  }

  /**
   * One task: a job of one item, encoded and fed in this thread; its future completes with the one result.
   *
   * @param blocking the caller only waits for the future ({@link #await}) and hands it to no one
   */
  public MapJob apply(String call, TaskFunction function, Object argument, boolean blocking) {
    EndCopies copies = new EndCopies();
    Payload encoded = encode(function, call, copies);
    return submitMap(call, encoded, copies, Collections.singletonList(argument), 1, true,
        blocking ? IN_PLACE : completions);
  }

  /** {@code imap} and {@code imapUnordered}: the input is read on a feeder thread. */
  public <R> ResultIterator<R> imap(String call, TaskFunction function, Iterator<?> items, int chunksize,
      boolean ordered) {
    EndCopies copies = new EndCopies();
    return cast(submitIterator(call, encode(function, call, copies), copies, items, requireChunksize(chunksize),
        ordered));
  }

  /**
   * Waits for a blocking call's job and rethrows its failure in this thread, with this thread's stack
   * (the exception was made on a pool thread; its cause chain keeps the child's trace). If this thread
   * is interrupted, the job is cancelled.
   */
  public static <R> R await(MapJob job) throws InterruptedException {
    try {
      return cast(job.future().get());
    } catch (InterruptedException e) {
      job.future().cancel(false);
      throw e;
    } catch (ExecutionException e) {
      Throwable failure = e.getCause();
      if (failure instanceof RuntimeException runtime) {
        runtime.fillInStackTrace();
        throw runtime;
      }
      if (failure instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(failure);
    }
  }

  @SuppressWarnings("unchecked")
  public static <V> V cast(Object value) {
    return (V) value;
  }

  /**
   * The first chunks are encoded in the caller's thread, so most serialization errors are thrown there.
   * Never blocks: the buffer holds at least {@link #minBufferedChunks()} chunks.
   */
  private static void feedFirstChunks(MapJob job, int chunks) {
    try {
      feed(job, chunks);
    } catch (InterruptedException e) {
      // Cannot happen with an empty buffer; keep the status for the caller all the same.
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Submits a job over a list whose result is wanted whole, its first chunks (one per worker) already
   * encoded in this thread: the actor hands them out as it takes the job, so a call wakes it once
   * rather than once for the job and again for each worker's first chunk. The caller then feeds the
   * rest ({@link #feed}) or hands it to a feeder ({@link #feedInBackground}).
   *
   * @throws io.multiprocessing4j.PicklingException if an item of the first chunks cannot be serialized
   *     (the job is failed and never submitted)
   * @param chunksize as the caller gave it, or {@link #PYTHON_CHUNKSIZE}
   * @param single complete with the one result instead of a list
   * @param completeOn where the job's future is completed
   */
  MapJob submitMap(String call, Payload function, EndCopies copies, List<?> items, int chunksize, boolean single,
      Executor completeOn) {
    MapJob job = new MapJob(call, function, items.size(), single, completeOn);
    ChunkFeed feed = new ChunkFeed(job, items, chunksize(chunksize, items.size()), chunksize == PYTHON_CHUNKSIZE,
        minBufferedChunks(), maxBufferedChunks(), ChunkFeed.NO_WINDOW, this::chunkReady, frameBytes);
    attach(job, feed, copies);
    feedFirstChunks(job, processes);
    submit(job);
    return job;
  }

  /** Submits an {@code imap} job and starts reading its input on a feeder thread. */
  IteratorJob submitIterator(String call, Payload function, EndCopies copies, Iterator<?> items, int chunksize,
      boolean ordered) {
    IteratorJob job = new IteratorJob(call, function, ordered, completions);
    // The reader may fall this many chunks behind before the input stops being read. This bounds the
    // results held for a slow reader, so it stays below what the deepest worker queues could hold:
    // a worker then runs with up to IMAP_WINDOW_CHUNKS of the job's chunks in flight.
    long window = (long) chunksize * IMAP_WINDOW_CHUNKS * processes;
    ChunkFeed feed = new ChunkFeed(job, items, chunksize, minBufferedChunks(), maxBufferedChunks(),
        (int) Math.min(Integer.MAX_VALUE - 1, window),
        this::chunkReady, frameBytes);
    attach(job, feed, copies);
    submit(job);
    feedInBackground(job);
    return job;
  }

  /**
   * Feeds up to {@code chunks} chunks of a job in the calling thread.
   *
   * @throws io.multiprocessing4j.PicklingException if an item cannot be serialized (the job fails with it)
   * @throws InterruptedException if interrupted while waiting for room (the job is cancelled)
   */
  static void feed(PoolJob job, int chunks) throws InterruptedException {
    try {
      job.feed().feed(chunks);
    } catch (InterruptedException e) {
      job.fail(new CancellationException("the caller was interrupted while submitting " + job.call));
      throw e;
    }
  }

  /** Reads the rest of a job's input on a feeder thread. */
  void feedInBackground(PoolJob job) {
    try {
      feeders.execute(job.feed()::feedInBackground);
    } catch (RejectedExecutionException poolStopped) {
      job.fail(new CancellationException("the pool has stopped"));
    }
  }

  /**
   * A chunksize the caller gave, checked before anything else is done with the call (so an empty
   * input does not hide a bad one).
   *
   * @throws IllegalArgumentException if it is less than 1, as Python's {@code imap} raises
   *     {@code ValueError} (its {@code map} would divide by zero)
   */
  public static int requireChunksize(int chunksize) {
    if (chunksize < 1) {
      throw new IllegalArgumentException("chunksize must be 1 or more, not " + chunksize);
    }
    return chunksize;
  }

  /**
   * {@code requested}, or when it is {@link #PYTHON_CHUNKSIZE} Python's rule:
   * {@code chunksize, extra = divmod(len, 4 * processes); if extra: chunksize += 1}.
   */
  int chunksize(int requested, int length) {
    if (requested != PYTHON_CHUNKSIZE) {
      return requested;
    }
    int divisor = 4 * processes;
    return length / divisor + (length % divisor == 0 ? 0 : 1);
  }

  /** The items of a {@code map}: a list as it is, anything else copied (by reference) to learn its length. */
  public static List<?> listOf(Iterable<?> items) {
    if (items instanceof List<?> list) {
      return list;
    }
    if (items instanceof Collection<?> collection) {
      return new ArrayList<>(collection);
    }
    List<Object> copy = new ArrayList<>();
    items.forEach(copy::add);
    return copy;
  }

  /** The arguments of a {@code starmap}, as the pairs that travel. */
  public static List<Object[]> pairsOf(Iterable<? extends Map.Entry<?, ?>> arguments) {
    List<Object[]> pairs = new ArrayList<>();
    arguments.forEach(pair -> pairs.add(TaskAdapters.pair(pair)));
    return pairs;
  }

  private void attach(PoolJob job, ChunkFeed feed, EndCopies copies) {
    job.attach(feed, copies, settled -> inbox.add(new PoolActor.JobSettled(settled)));
  }

  private void submit(PoolJob job) {
    if (!status.submitIfRunning(() -> inbox.add(new PoolActor.Submit(job)))) {
      job.fail(new IllegalStateException("the pool has stopped"));
    }
  }

  private void chunkReady() {
    inbox.add(PoolActor.ChunkReady.INSTANCE);
  }

  /** Encoded chunks a job may keep ready however large: enough for every worker to take one and prefetch one. */
  private int minBufferedChunks() {
    return Math.max(2, 2 * processes);
  }

  /** Small encoded chunks a job may keep ready: enough to refill every worker's deepest queue. */
  private int maxBufferedChunks() {
    return PoolWorker.MAX_DEPTH * processes;
  }
}
