package io.multiprocessing4j;

import io.multiprocessing4j.agent.ChildRuntime;
import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.internal.PoolActor;
import io.multiprocessing4j.internal.PoolCalls;
import io.multiprocessing4j.internal.PoolInbox;
import io.multiprocessing4j.internal.PoolStatus;
import io.multiprocessing4j.internal.TaskAdapters;
import io.multiprocessing4j.internal.TargetEncoder;
import io.multiprocessing4j.proto.Payload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * A pool of worker processes that run functions over many items in parallel: the equivalent of
 * Python's {@code multiprocessing.Pool}. Created by {@link Multiprocessing#pool}; a thin blocking and
 * future-based layer over a supervisor actor ({@code internal.PoolActor}).
 *
 * <pre>{@code
 * try (Pool pool = mp.pool(PoolOptions.defaults().withInitializer(Example::startProcess))) {
 *   List<Integer> outputs = pool.map(Example::doWork, List.of(0, 1, 2, 3));
 * }
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * The pool is an OTP-style simple-one-for-one supervisor of permanent workers ({@link PoolOptions}
 * documents every key). A worker that dies (SIGKILL, {@code System.exit}, a JVM crash, out of memory)
 * is replaced at once and the tasks it held run again on another worker, so a {@code map} never hangs
 * and never loses a result (Python's hangs, cpython#96062); a task that kills its worker every time
 * fails alone with a {@link WorkerDiedException} after {@link PoolOptions#taskRetries()} re-runs. A task
 * that throws fails only its own result, with a {@link TaskFailedException} carrying the child's stack
 * trace. Workers that keep dying break the pool ({@link PoolBrokenException}) instead of looping. Tasks
 * run at least once; more than once only if their worker died under them.
 *
 * <h2>Work distribution</h2>
 * Workers pull chunks of {@code chunksize} items; a worker holds two to 256 (the one it runs, the rest
 * queued to hide the round trip, as many as learned per function; a queued chunk is handed back when
 * another worker is idle). Input is read lazily and encoded a few chunks ahead of the
 * workers, in the caller's thread for the blocking calls and on a feeder thread for the others; a
 * function is serialized once per call, in the caller's thread, and sent once to each worker. Tiny
 * tasks travel joined, a frame per batch: the chunks of one call, and the tasks of {@code applyAsync}
 * calls of one function made in a loop (each still has its own result, failure and retries). The
 * default chunksize of {@code map} and {@code starmap} is Python's: the input length divided by four
 * times the number of processes, rounded up, and a default chunk too large for one frame to a worker
 * is sent as several smaller ones; {@code imap} and {@code imapUnordered} default to 1. A chunksize
 * given explicitly must be 1 or more, else the call throws {@link IllegalArgumentException}; a chunk of
 * it too large for one frame fails the call with a {@link PicklingException}. A chunk's results come
 * back in as many frames as they need, so every result arrives that fits in a frame on its own; a
 * single result larger than a frame fails its task alone, with a {@link TaskFailedException} saying so.
 *
 * <h2>Lifecycle: RUN, CLOSE, TERMINATE</h2>
 * {@link #close()} is {@code ExecutorService.close()}: stop accepting work, let the submitted work
 * finish, wait for the workers to exit. Python's {@code pool.close(); pool.join()} is
 * {@link #shutdown()} then {@link #join()} (or just {@code close()}). Note that Python's
 * {@code with Pool() as pool:} calls {@code terminate()} on exit; try-with-resources on this class
 * calls {@code close()}, which finishes the work first. {@link #terminate()} is the abrupt stop.
 *
 * <p>A null function, task or input is refused with a {@link NullPointerException} in the caller's
 * thread, before anything is submitted (Python would fail the task later, in its worker).
 *
 * <p>Threads: every method may be called from any thread. Futures are completed on the pool's result
 * thread, in the order results complete, so a dependent stage that blocks holds up later completions
 * (as a slow callback does in Python); use the {@code ...Async} stage variants for slow stages. Such a
 * stage that waits ({@code get}, {@code join}) for another unfinished future of the same pool, or for a
 * stage made from one, would wait for itself, and Python's pool hangs there; here that wait throws an
 * {@link IllegalStateException} saying so (chain with {@code thenCompose} or {@code thenCombine}
 * instead). A future made elsewhere ({@code CompletableFuture.allOf} of them) is not checked.
 */
public final class Pool implements AutoCloseable {
  private enum State { RUN, CLOSE, TERMINATE }

  private final int processes;
  private final Duration terminateGrace;
  private final ActorRef<PoolActor.Command> actor;
  private final PoolStatus status;
  private final PoolCalls calls;
  private State state = State.RUN;

  /** What a worker's target holds besides its initializer: the worker loop and its task channel's address. */
  private static final int WORKER_TARGET_BYTES = 16 * 1024;

  /**
   * Starts a pool's supervisor actor as a system actor of the context's actor system.
   *
   * @param childFrameBytes the largest frame a child's channel carries, which a worker's target (its
   *     initializer included) must fit in
   */
  static Pool start(ActorSystem<?> system, ActorRef<ProcessSupervisor.Command> supervisor, ChannelServer channelServer,
      PoolOptions options, int childFrameBytes) {
    if (ChildRuntime.current().map(ChildRuntime::daemon).orElse(false)) {
      throw new IllegalStateException("daemonic processes are not allowed to have children (this JVM is daemon "
          + ChildRuntime.current().get().name() + ")");
    }
    Payload initializer = options.initializer() == null ? null
        : TargetEncoder.encode(options.initializer(), "the initializer of a pool", "initializer");
    if (initializer != null) {
      ProcessSpec.checkFitsOneFrame("the initializer of a pool (inside each worker's target)",
          initializer.getSerializedSize() + WORKER_TARGET_BYTES, childFrameBytes);
    }
    ClassLoader loader = Thread.currentThread().getContextClassLoader() != null
        ? Thread.currentThread().getContextClassLoader() : Pool.class.getClassLoader();
    PoolStatus status = new PoolStatus();
    PoolInbox inbox = new PoolInbox();
    ActorRef<PoolActor.Command> actor = system.systemActorOf(
        PoolActor.create(new PoolActor.Settings(options, supervisor, channelServer, initializer, loader, status, inbox)),
        "multiprocessing4j-pool-" + UUID.randomUUID(), DispatcherSelector.blocking());
    inbox.deliverTo(actor);
    return new Pool(options, actor, status, inbox, childFrameBytes);
  }

  private Pool(PoolOptions options, ActorRef<PoolActor.Command> actor, PoolStatus status, PoolInbox inbox,
      int childFrameBytes) {
    this.processes = options.processes();
    this.terminateGrace = options.terminateGrace();
    this.actor = actor;
    this.status = status;
    this.calls = new PoolCalls(inbox, status, processes, childFrameBytes);
  }

  // ---- map and starmap --------------------------------------------------------------------------

  /**
   * Applies {@code function} to every item in parallel and returns the results in input order;
   * blocks until all are done. Python's {@code Pool.map(func, iterable)}, with Python's default
   * chunksize. The input is read (not copied) up front to learn its length, as Python does; its items
   * are serialized a few chunks ahead of the workers, in this thread.
   *
   * @return the results, in input order (unmodifiable)
   * @throws TaskFailedException if a task failed: the one at the first failed position, after every
   *     other task has settled; later failures are attached as suppressed exceptions
   * @throws PicklingException if the function or an item cannot be serialized
   * @throws PoolBrokenException if the pool broke (its workers kept dying)
   * @throws java.util.concurrent.CancellationException if the pool was terminated meanwhile
   * @throws IllegalStateException if the pool is closed or terminated
   * @throws InterruptedException if this thread is interrupted while waiting (the call is cancelled)
   */
  public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> function, Iterable<? extends T> items)
      throws InterruptedException {
    checkRunning();
    return calls.map("Pool.map", TaskAdapters.unary(function), PoolCalls.listOf(items), PoolCalls.PYTHON_CHUNKSIZE);
  }

  /**
   * {@link #map(SerializableFunction, Iterable)} in chunks of {@code chunksize} items.
   *
   * @throws IllegalArgumentException if {@code chunksize} is less than 1
   */
  public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> function, Iterable<? extends T> items,
      int chunksize) throws InterruptedException {
    checkRunning();
    return calls.map("Pool.map", TaskAdapters.unary(function), PoolCalls.listOf(items),
        PoolCalls.requireChunksize(chunksize));
  }

  /**
   * Starts a {@code map} and returns at once. Python's {@code map_async}. The function and the first
   * chunks (one per worker) are serialized in this thread (so most serialization errors are thrown
   * here); the rest of the input on a feeder thread. A list is read as it is, not copied, as Python
   * reads it: one that changes size before it has been read fails the call with a
   * {@link java.util.ConcurrentModificationException}.
   *
   * @return a future of the results in input order; it fails as {@code map} throws. Cancelling it
   *     cancels the remaining tasks.
   * @throws PicklingException if the function or an item of the first chunks cannot be serialized
   * @throws IllegalStateException if the pool is closed, terminated or broken
   */
  public <T, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items) {
    checkRunning();
    return calls.mapAsync("Pool.mapAsync", TaskAdapters.unary(function), PoolCalls.listOf(items),
        PoolCalls.PYTHON_CHUNKSIZE);
  }

  /** {@link #mapAsync(SerializableFunction, Iterable)} in chunks of {@code chunksize} items. */
  public <T, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items, int chunksize) {
    checkRunning();
    return calls.mapAsync("Pool.mapAsync", TaskAdapters.unary(function), PoolCalls.listOf(items),
        PoolCalls.requireChunksize(chunksize));
  }

  /**
   * Applies {@code function} to every pair of arguments, as Python's {@code starmap} applies
   * {@code func(*args)} to every tuple: write a pair as {@code Map.entry(a, b)}. For more arguments,
   * {@link #map} over a record. Blocks; otherwise exactly {@link #map(SerializableFunction, Iterable)}.
   */
  public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> function,
      Iterable<? extends Map.Entry<? extends A, ? extends B>> arguments) throws InterruptedException {
    checkRunning();
    return calls.map("Pool.starmap", TaskAdapters.binary(function), PoolCalls.pairsOf(arguments),
        PoolCalls.PYTHON_CHUNKSIZE);
  }

  /** {@link #starmap(SerializableBiFunction, Iterable)} in chunks of {@code chunksize} pairs. */
  public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> function,
      Iterable<? extends Map.Entry<? extends A, ? extends B>> arguments, int chunksize) throws InterruptedException {
    checkRunning();
    return calls.map("Pool.starmap", TaskAdapters.binary(function), PoolCalls.pairsOf(arguments),
        PoolCalls.requireChunksize(chunksize));
  }

  /** Starts a {@code starmap} and returns at once. Python's {@code starmap_async}; see {@link #mapAsync}. */
  public <A, B, R> CompletableFuture<List<R>> starmapAsync(
      SerializableBiFunction<? super A, ? super B, ? extends R> function,
      Iterable<? extends Map.Entry<? extends A, ? extends B>> arguments) {
    checkRunning();
    return calls.mapAsync("Pool.starmapAsync", TaskAdapters.binary(function), PoolCalls.pairsOf(arguments),
        PoolCalls.PYTHON_CHUNKSIZE);
  }

  /** {@link #starmapAsync(SerializableBiFunction, Iterable)} in chunks of {@code chunksize} pairs. */
  public <A, B, R> CompletableFuture<List<R>> starmapAsync(
      SerializableBiFunction<? super A, ? super B, ? extends R> function,
      Iterable<? extends Map.Entry<? extends A, ? extends B>> arguments, int chunksize) {
    checkRunning();
    return calls.mapAsync("Pool.starmapAsync", TaskAdapters.binary(function), PoolCalls.pairsOf(arguments),
        PoolCalls.requireChunksize(chunksize));
  }

  // ---- imap -------------------------------------------------------------------------------------

  /**
   * Applies {@code function} to every item and returns the results in input order as they arrive,
   * one item per chunk. Python's {@code imap}. Returns at once; the input is read lazily on a feeder
   * thread, and only a bounded window ahead of the reader, so it may be endless. See
   * {@link ResultIterator} for how failures are reported.
   *
   * @throws PicklingException if the function cannot be serialized (an item that cannot is reported
   *     by the iterator, at its position)
   * @throws IllegalStateException if the pool is closed, terminated or broken
   */
  public <T, R> ResultIterator<R> imap(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items) {
    return imap(function, items, 1);
  }

  /**
   * {@link #imap(SerializableFunction, Iterable)} in chunks of {@code chunksize} items.
   *
   * @throws IllegalArgumentException if {@code chunksize} is less than 1
   */
  public <T, R> ResultIterator<R> imap(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items, int chunksize) {
    checkRunning();
    return calls.imap("Pool.imap", TaskAdapters.unary(function), items.iterator(), chunksize, true);
  }

  /**
   * Like {@link #imap(SerializableFunction, Iterable)}, but yields each result as soon as it is
   * ready, whatever its position. Python's {@code imap_unordered}.
   */
  public <T, R> ResultIterator<R> imapUnordered(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items) {
    return imapUnordered(function, items, 1);
  }

  /** {@link #imapUnordered(SerializableFunction, Iterable)} in chunks of {@code chunksize} items. */
  public <T, R> ResultIterator<R> imapUnordered(SerializableFunction<? super T, ? extends R> function,
      Iterable<? extends T> items, int chunksize) {
    checkRunning();
    return calls.imap("Pool.imapUnordered", TaskAdapters.unary(function), items.iterator(), chunksize, false);
  }

  // ---- apply ------------------------------------------------------------------------------------

  /**
   * Runs one task in a worker and returns its result; blocks until it is done. Python's
   * {@code apply(func, args)}, with the arguments captured by the lambda.
   *
   * @throws TaskFailedException if the task threw (its cause is the child's exception)
   * @throws WorkerDiedException if its worker died on every attempt
   * @throws PicklingException if the task cannot be serialized
   * @throws IllegalStateException if the pool is closed, terminated or broken
   * @throws InterruptedException if this thread is interrupted while waiting (the task is cancelled)
   */
  public <R> R apply(SerializableCallable<? extends R> task) throws InterruptedException {
    checkRunning();
    return PoolCalls.await(calls.apply("Pool.apply", TaskAdapters.nullary(task), null, true));
  }

  /** Runs {@code function.apply(argument)} in a worker; blocks. Python's {@code apply(func, (arg,))}; see {@link #apply(SerializableCallable)}. */
  public <T, R> R apply(SerializableFunction<? super T, ? extends R> function, T argument) throws InterruptedException {
    checkRunning();
    return PoolCalls.await(calls.apply("Pool.apply", TaskAdapters.unary(function), argument, true));
  }

  /**
   * Starts one task and returns at once. Python's {@code apply_async}: its {@code callback} and
   * {@code error_callback} are the future's {@code thenAccept} and {@code exceptionally} stages.
   *
   * @return a future of the task's result, failing as {@link #apply(SerializableCallable)} throws;
   *     cancelling it cancels the task if it has not run yet
   * @throws PicklingException if the task cannot be serialized
   * @throws IllegalStateException if the pool is closed, terminated or broken
   */
  public <R> CompletableFuture<R> applyAsync(SerializableCallable<? extends R> task) {
    checkRunning();
    return PoolCalls.cast(calls.apply("Pool.applyAsync", TaskAdapters.nullary(task), null, false).future());
  }

  /** Starts {@code function.apply(argument)} and returns at once; see {@link #applyAsync(SerializableCallable)}. */
  public <T, R> CompletableFuture<R> applyAsync(SerializableFunction<? super T, ? extends R> function, T argument) {
    checkRunning();
    return PoolCalls.cast(calls.apply("Pool.applyAsync", TaskAdapters.unary(function), argument, false).future());
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /**
   * Stops accepting work; returns at once. The submitted work finishes, then the workers exit.
   * Python's {@code Pool.close()} ({@code ExecutorService.shutdown()}). Submitted work includes the
   * rest of every {@code imap}'s input, now read without waiting for its reader (whose results are
   * kept for it, as Python keeps them): close an {@code imap} whose input is endless first.
   * Idempotent; does nothing after {@link #terminate()}.
   */
  public void shutdown() {
    synchronized (this) {
      if (state != State.RUN) {
        return;
      }
      state = State.CLOSE;
    }
    if (!status.terminated().isDone()) {
      actor.tell(PoolActor.Shutdown.INSTANCE);
    }
  }

  /**
   * {@link #shutdown()}, then waits until the submitted work is done and every worker has exited:
   * {@code ExecutorService.close()}, and Python's {@code close(); join()}. Not Python's {@code with}
   * block, which terminates. If this thread is interrupted while waiting, the pool is terminated and
   * the interrupt status kept. Idempotent. In a callback of the pool's own futures it shuts the pool
   * down, then throws as {@link #join()} does, since it cannot wait there.
   */
  @Override
  public void close() {
    shutdown();
    try {
      join();
    } catch (InterruptedException e) {
      terminate();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops now: pending and running tasks fail with a {@link java.util.concurrent.CancellationException},
   * and every worker is terminated (interrupted, then killed after
   * {@link PoolOptions#terminateGrace()}). Blocks until the workers have exited (at most the grace
   * period and 30 s to reap them), even if this thread is interrupted, whose interrupt status is kept.
   * Python's {@code terminate()}. Idempotent; safe in any state.
   */
  public void terminate() {
    synchronized (this) {
      state = State.TERMINATE;
    }
    if (!status.terminated().isDone()) {
      actor.tell(PoolActor.Terminate.INSTANCE);
      awaitTermination();
    }
  }

  /**
   * Waits until every worker has exited, which happens after {@link #shutdown()} once the submitted
   * work is done, or after {@link #terminate()}. Python's {@code join()}.
   *
   * @throws IllegalStateException if the pool is still running (neither shut down nor terminated),
   *     as Python raises {@code ValueError}; or if this is a dependent stage of one of the pool's
   *     futures and the pool has not stopped yet: the pool completes its futures on this thread, so it
   *     would wait for itself (Python raises {@code RuntimeError: cannot join current thread})
   * @throws InterruptedException if this thread is interrupted while waiting
   */
  public void join() throws InterruptedException {
    synchronized (this) {
      if (state == State.RUN && status.broken() == null) {
        throw new IllegalStateException("join() before close(), shutdown() or terminate(): the pool is still running");
      }
    }
    if (!status.terminated().isDone() && calls.isCompletionThread()) {
      throw new IllegalStateException("cannot join a pool from a callback (a dependent stage of one of its futures): "
          + "the pool completes its futures on this thread, so it would wait for itself; join from another thread");
    }
    try {
      status.terminated().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the pool's supervisor failed", e.getCause());
    }
  }

  /** Runs {@code action} once the pool has stopped and its workers have exited. */
  void whenTerminated(Runnable action) {
    status.terminated().whenComplete((done, error) -> action.run());
  }

  /** The number of worker processes the pool keeps. Never blocks. */
  public int processes() {
    return processes;
  }

  /** The worker processes running now (name and pid), as last reported by the pool; never blocks. */
  public List<ProcessInfo> workers() {
    return status.workers();
  }

  /** Like Python's repr: {@code <Pool state=RUN processes=4 workers=[SpawnPoolWorker-1 pid=123, ...]>}. */
  @Override
  public String toString() {
    String shown;
    synchronized (this) {
      shown = status.broken() != null ? "BROKEN" : status.terminated().isDone() ? state + "(stopped)" : state.name();
    }
    List<String> running = new ArrayList<>();
    for (ProcessInfo worker : status.workers()) {
      running.add(worker.name() + " pid=" + worker.pid());
    }
    return "<Pool state=" + shown + " processes=" + processes + " workers=" + running + ">";
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private synchronized void checkRunning() {
    PoolBrokenException broken = status.broken();
    if (broken != null) {
      throw new PoolBrokenException(broken.getMessage(), broken.getCause());
    }
    if (state != State.RUN || status.terminated().isDone()) {
      throw new IllegalStateException("Pool not running: it was "
          + (state == State.CLOSE ? "closed" : state == State.TERMINATE ? "terminated" : "stopped"));
    }
  }

  /**
   * Waits for the workers to exit, the grace period and then time for killed workers to be reaped;
   * never forever. An interrupt does not cut it short (a caller cleaning up after one would otherwise
   * leave the workers running); the interrupt status is kept.
   */
  private void awaitTermination() {
    long deadline = System.nanoTime() + terminateGrace.plusSeconds(30).toNanos();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          status.terminated().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException | TimeoutException e) {
          // The supervisor kills what is left when the context closes.
          return;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
