package io.multiprocessing4j.internal;

import io.multiprocessing4j.PoolBrokenException;
import io.multiprocessing4j.PoolOptions;
import io.multiprocessing4j.ProcessOptions;
import io.multiprocessing4j.ProcessSpec;
import io.multiprocessing4j.ProcessSupervisor;
import io.multiprocessing4j.agent.TaskWorker;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.TaskFrames;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The supervisor of one pool: an OTP-style simple-one-for-one supervisor of permanent worker
 * processes, and the dispatcher of the pool's work. It sits between the blocking {@code Pool}
 * facade and the context's {@link ProcessSupervisor}, which launches and reaps the worker JVMs: a worker
 * is an ordinary daemon child whose target is the worker loop ({@link TaskWorker}), so terminate,
 * kill, exit codes and orphan rules are those of any process. Tasks travel on a second authenticated
 * connection per worker (the task channel, tasks.proto), which keeps bulk data off the lifecycle link.
 *
 * <h2>Supervision</h2>
 * <ul>
 *   <li>Permanent workers: the pool keeps {@code processes} workers that are not retiring. A worker
 *       that exits without being asked (SIGKILL, {@code System.exit}, crash, out of memory, an
 *       initializer that throws) is replaced at once.</li>
 *   <li>Tasks survive their worker: the chunks a dead worker held go back to the front of the queue.
 *       Only the one it was running is charged an attempt; a charged chunk of several items is split
 *       into single items, so a task that kills its worker fails alone, with a
 *       {@link io.multiprocessing4j.WorkerDiedException}, once it has used up
 *       {@link PoolOptions#taskRetries()}. Tasks therefore run at least once, and more than once only
 *       when their worker died.</li>
 *   <li>maxTasksPerChild: a worker that has been sent its share takes no more work and its
 *       replacement is started at once, while it finishes; then it is told to exit.</li>
 *   <li>Restart intensity: more than {@link PoolOptions#maxRestarts()} unexpected exits within
 *       {@link PoolOptions#restartPeriod()} break the pool: pending work fails with a
 *       {@link PoolBrokenException}, the workers are stopped and none is restarted. So does a run of more
 *       than processes + {@link #NEVER_READY_BEYOND} workers in a row that died before they were
 *       ready (an initializer that always throws), however slowly they died: on a loaded machine a worker
 *       JVM can take seconds to start, too slow for the period ever to hold enough restarts.</li>
 * </ul>
 *
 * <h2>Dispatch</h2>
 * Workers pull: a worker is sent chunks when it has run down to half its depth, the chunks it holds
 * (the one it runs and those queued behind it to hide the round trip), learned from its answers: two
 * for long chunks, up to {@link PoolWorker#MAX_DEPTH} for tiny ones, which are sent joined up to half
 * the depth to a frame ({@link PoolWorker#joinLimit}); the tasks of separate {@code apply} jobs of one
 * function join the same way, as a batch ({@link Chunk#batch}). Chunks come from the retry queue
 * first, then from the jobs' feeds in submission order. When a worker is idle and nothing is left to
 * send, the pool asks a busy worker for its prefetched chunk back, so a slow task never holds a fast
 * one hostage. A job's function is sent to a worker once and cached there under an id shared by
 * identical functions. The frequent commands (submissions, chunks ready, results) arrive through the
 * {@link PoolInbox} in bursts, and {@link PoolDispatch} dispatches once per burst, writing each worker's
 * share in one write.
 *
 * <h2>Lifecycle</h2>
 * RUN → CLOSE ({@link Shutdown}: submitted work finishes, then every worker is retired) or TERMINATE
 * ({@link Terminate}: pending work fails with a {@link CancellationException}, workers are terminated)
 * or BROKEN. The actor stops once its last worker has exited, completing {@link PoolStatus#terminated()}.
 */
public final class PoolActor extends AbstractBehavior<PoolActor.Command> {
  /**
   * Beyond {@code processes} + this many workers in a row that died before they were ready, with none
   * ready in between, the pool breaks: every worker of a round and two replacements failed to start.
   */
  static final int NEVER_READY_BEYOND = 2;

  /** What a pool actor needs: its options, the context's supervisor and channel, the encoded initializer. */
  public record Settings(PoolOptions options, ActorRef<ProcessSupervisor.Command> supervisor,
      ChannelServer channelServer, Payload initializer, ClassLoader loader, PoolStatus status, PoolInbox inbox) {}

  public sealed interface Command {}

  /** Handle what waits in the {@link PoolInbox}: the commands below marked "inbox" arrive only that way. */
  enum Drain implements Command { INSTANCE }

  /** Inbox: run this job; if the pool no longer runs, the job fails at once. */
  public record Submit(PoolJob job) implements Command {}

  /** Inbox: a job's feed has a chunk ready. */
  public enum ChunkReady implements Command { INSTANCE }

  /** Inbox: a job needs no more work (complete, failed or cancelled). */
  public record JobSettled(PoolJob job) implements Command {}

  /** Python's {@code close()}: accept nothing more, finish the submitted work, then retire every worker. */
  public enum Shutdown implements Command { INSTANCE }

  /** Python's {@code terminate()}: fail pending work and terminate every worker now. */
  public enum Terminate implements Command { INSTANCE }

  private record WorkerStarted(int number, ProcessSupervisor.StartResult result, Throwable error)
      implements Command {}

  private record SupervisorEvent(ProcessSupervisor.Event event) implements Command {}

  private enum SupervisorStopped implements Command { INSTANCE }

  /** The last message: sent once the actor has marked itself stopping (see {@link PoolStatus#submitIfRunning}). */
  private enum FinalStop implements Command { INSTANCE }

  private record Connected(int number, FrameChannel<Frame> channel) implements Command {}

  /** Inbox, from a worker's task channel (queued by {@link ResultReader} on the channel's reader thread). */
  record Ready(int number) implements Command {}

  record Revoked(int number, long chunkId) implements Command {}

  /**
   * Inbox: one chunk's answer, or one part of it (its items [{@code firstItem}, {@code endItem}), the
   * last part when {@code endItem} is 0: see tasks.proto), decoded on the reader thread: {@code values}
   * is null when they could not be read at all ({@code unreadable} says why); {@code unreadableItems},
   * null when every item's result was read, says why for each one that could not be.
   */
  record ResultsIn(int number, long chunkId, int firstItem, int endItem, Object[] values, Throwable unreadable,
      Throwable[] unreadableItems, List<ResultReader.RemoteError> errors, long runNanos, long heldNanos)
      implements Command {
    /** True for a whole answer, or the last part of one: the worker no longer holds the chunk. */
    boolean isLast() {
      return endItem == 0;
    }
  }

  /** Inbox: a worker's task channel has closed (after its last frame). */
  record ChannelClosed(int number) implements Command {}

  private enum State { RUN, CLOSE, TERMINATE, BROKEN }

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Settings settings;
  private final PoolOptions options;
  private final ProcessOptions workerOptions;
  private final ResultReader reader;
  private final WorkerRoster workers;
  private final WorkQueue work = new WorkQueue();
  private final RestartIntensity restarts;
  /** Workers that died before they were ready since one last was; see {@link #NEVER_READY_BEYOND}. */
  private int diedBeforeReadyInARow;
  /** Exits reported before the start reply that names their worker (the two travel separately). */
  private final Map<Long, ProcessSupervisor.Exited> earlyExits = new HashMap<>();
  private State state = State.RUN;
  private final PoolDispatch dispatch;
  private boolean stopping;
  private int lastWorkerNumber;

  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(context -> new PoolActor(context, settings));
  }

  private PoolActor(ActorContext<Command> context, Settings settings) {
    super(context);
    this.settings = settings;
    this.options = settings.options();
    ProcessOptions workerOptions = ProcessOptions.defaults().withDaemon(true)
        .withJvmOptions(options.jvmOptions()).withTerminateGrace(options.terminateGrace());
    this.workerOptions = options.classPath() == null ? workerOptions : workerOptions.withClassPath(options.classPath());
    this.reader = new ResultReader(settings.inbox(), settings.loader());
    this.restarts = new RestartIntensity(options.maxRestarts(), options.restartPeriod());
    this.workers = new WorkerRoster(settings.supervisor());
    this.dispatch = new PoolDispatch(work, workers, options.maxTasksPerChild(), options.taskRetries() > 0,
        () -> state == State.RUN || state == State.CLOSE, this::ensureWorkers);
    settings.supervisor().tell(new ProcessSupervisor.Subscribe(
        context.messageAdapter(ProcessSupervisor.Event.class, SupervisorEvent::new)));
    context.watchWith(settings.supervisor(), SupervisorStopped.INSTANCE);
    ensureWorkers();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Drain.INSTANCE, this::onDrain)
        .onMessageEquals(Shutdown.INSTANCE, this::onShutdown)
        .onMessageEquals(Terminate.INSTANCE, this::onTerminate)
        .onMessage(WorkerStarted.class, this::onWorkerStarted)
        .onMessage(SupervisorEvent.class, this::onSupervisorEvent)
        .onMessageEquals(SupervisorStopped.INSTANCE, this::onSupervisorStopped)
        .onMessageEquals(FinalStop.INSTANCE, Behaviors::stopped)
        .onMessage(Connected.class, this::onConnected)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onDrain() {
    dispatch.batched(() -> settings.inbox().drain(this::onQueued));
    return maybeStop();
  }

  private void onQueued(Command command) {
    if (command instanceof ResultsIn results) {
      dispatch.onResults(results);
    } else if (command instanceof Submit submit) {
      onSubmit(submit);
    } else if (command instanceof JobSettled settled) {
      onJobSettled(settled);
    } else if (command instanceof ChunkReady) {
      dispatch.dispatch();
    } else if (command instanceof Revoked revoked) {
      dispatch.onRevoked(revoked);
    } else if (command instanceof Ready ready) {
      onReady(ready);
    } else if (command instanceof ChannelClosed closed) {
      onChannelClosed(closed);
    }
  }

  private Behavior<Command> onSubmit(Submit submit) {
    PoolJob job = submit.job();
    if (state != State.RUN) {
      job.fail(state == State.BROKEN ? broken(settings.status().broken())
          : new IllegalStateException("the pool is no longer accepting work (" + state + ")"));
      return this;
    }
    work.add(job);
    dispatch.dispatch();
    return this;
  }

  private Behavior<Command> onJobSettled(JobSettled settled) {
    work.remove(settled.job());
    closeIfIdle();
    return maybeStop();
  }

  private Behavior<Command> onShutdown() {
    if (state == State.RUN) {
      state = State.CLOSE;
      // Submitted work must finish even where no one reads its results yet.
      work.liftWindows();
      closeIfIdle();
    }
    return maybeStop();
  }

  private Behavior<Command> onTerminate() {
    if (state == State.RUN || state == State.CLOSE) {
      state = State.TERMINATE;
      work.failAll(() -> new CancellationException("the pool was terminated"));
      workers.stopAll();
    }
    return maybeStop();
  }

  private Behavior<Command> onSupervisorStopped() {
    // The context is closing: its supervisor has killed our (daemon) workers.
    state = State.TERMINATE;
    work.failAll(() -> new CancellationException("the multiprocessing context was closed"));
    workers.killAll(settings.channelServer());
    return maybeStop();
  }

  // ---- workers ----------------------------------------------------------------------------------

  /** Keeps {@code processes} workers that are not retiring, while there is or may be work. */
  private void ensureWorkers() {
    if (state != State.RUN && !(state == State.CLOSE && work.hasActiveJobs())) {
      return;
    }
    for (long i = workers.serving(); i < options.processes(); i++) {
      startWorker();
    }
  }

  private void startWorker() {
    int number = ++lastWorkerNumber;
    String name = "SpawnPoolWorker-" + number;
    ActorRef<Command> self = getContext().getSelf();
    Endpoint endpoint = settings.channelServer().openEndpoint(channel -> self.tell(new Connected(number, channel)));
    workers.add(new PoolWorker(number, name, endpoint));
    ProcessSpec spec = ProcessSpec.of(TaskAdapters.workerTarget(new TaskWorker(endpoint, settings.initializer(),
        settings.channelServer().maxFrameBytes())),
        workerOptions.withName(name));
    getContext().ask(ProcessSupervisor.StartResult.class, settings.supervisor(), START_TIMEOUT,
        replyTo -> new ProcessSupervisor.Start(spec, replyTo),
        (result, error) -> new WorkerStarted(number, result, error));
  }

  private Behavior<Command> onWorkerStarted(WorkerStarted started) {
    PoolWorker worker = workers.get(started.number());
    if (worker == null) {
      return this;
    }
    if (started.result() instanceof ProcessSupervisor.Started process) {
      worker.processId = process.id();
      worker.pid = process.pid();
      workers.publishTo(settings.status());
      ProcessSupervisor.Exited early = earlyExits.remove(process.id());
      if (early != null) {
        return onExited(worker, early);
      }
      if (state == State.TERMINATE || state == State.BROKEN) {
        // Stopped before it had started; it could not be told then.
        workers.stop(worker);
      }
      return this;
    }
    String why = started.result() instanceof ProcessSupervisor.StartFailed failed ? failed.reason()
        : "the process supervisor did not answer: " + started.error();
    getContext().getLog().warn("pool worker {} could not be launched: {}", worker.name, why);
    return workerGone(worker, 1, Optional.of("java.lang.IllegalStateException: " + why));
  }

  private Behavior<Command> onSupervisorEvent(SupervisorEvent wrapped) {
    if (wrapped.event() instanceof ProcessSupervisor.Exited exited) {
      PoolWorker worker = workers.byProcessId(exited.id());
      if (worker != null) {
        return onExited(worker, exited);
      }
      if (workers.isStarting(exited.name())) {
        earlyExits.put(exited.id(), exited);
      }
    }
    return this;
  }

  private Behavior<Command> onConnected(Connected connected) {
    PoolWorker worker = workers.get(connected.number());
    if (worker == null || worker.channel != null) {
      connected.channel().close();
      return this;
    }
    settings.channelServer().closeEndpoint(worker.endpoint);
    worker.channel = connected.channel();
    TaskFrames.enlargeSendBuffer(worker.channel);
    int number = worker.number;
    worker.channel.startReader("multiprocessing4j-" + worker.name + "-tasks",
        frame -> reader.onFrame(number, frame),
        cause -> settings.inbox().add(new ChannelClosed(number)));
    return this;
  }

  private Behavior<Command> onReady(Ready ready) {
    PoolWorker worker = workers.get(ready.number());
    if (worker != null) {
      worker.ready = true;
      worker.wasReady = true;
      diedBeforeReadyInARow = 0;
      if (worker.retiring) {
        workers.retire(worker);
      }
      dispatch.dispatch();
    }
    return this;
  }

  /**
   * A worker's exit is handled once its channel has delivered what the worker sent before it: an
   * answer still being read when the exit is reported would otherwise be charged to the death (and,
   * with no retries, fail a task that had completed).
   */
  private Behavior<Command> onExited(PoolWorker worker, ProcessSupervisor.Exited exited) {
    if (worker.channel != null && !worker.channelClosed) {
      worker.exitBeforeChannelClosed = exited;
      return this;
    }
    return workerGone(worker, exited.exitCode(), exited.remoteTraceback());
  }

  private Behavior<Command> onChannelClosed(ChannelClosed closed) {
    PoolWorker worker = workers.get(closed.number());
    if (worker == null) {
      return this;
    }
    // Its process is exiting (the supervisor's Exited says how), or has exited: then it is handled now.
    worker.ready = false;
    worker.channelClosed = true;
    ProcessSupervisor.Exited exited = worker.exitBeforeChannelClosed;
    return exited == null ? this : workerGone(worker, exited.exitCode(), exited.remoteTraceback());
  }

  /** A worker has exited (or never launched): repair what its exit broke. */
  private Behavior<Command> workerGone(PoolWorker worker, int exitCode, Optional<String> trace) {
    workers.remove(worker);
    settings.channelServer().closeEndpoint(worker.endpoint);
    worker.closeChannel();
    workers.publishTo(settings.status());
    boolean died = !worker.exitRequested && (state == State.RUN || state == State.CLOSE);
    List<PoolWorker.Dispatched> held = worker.takeOutstanding();
    if (state == State.RUN || state == State.CLOSE) {
      work.takeBack(held, died ? worker : null, exitCode, trace, options.taskRetries());
    }
    if (died) {
      getContext().getLog().debug("pool worker {} {}", worker, PoolFailures.describeExit(exitCode));
      if (restarts.exceededBy(System.nanoTime())) {
        breakPool(PoolFailures.broken(restarts, worker, exitCode, trace));
        return maybeStop();
      }
      if (!worker.wasReady && ++diedBeforeReadyInARow > options.processes() + NEVER_READY_BEYOND) {
        breakPool(PoolFailures.neverReady(diedBeforeReadyInARow, worker, exitCode, trace));
        return maybeStop();
      }
    }
    ensureWorkers();
    dispatch.dispatch();
    closeIfIdle();
    return maybeStop();
  }

  private void breakPool(PoolBrokenException reason) {
    settings.status().broke(reason);
    state = State.BROKEN;
    getContext().getLog().warn(reason.getMessage());
    work.failAll(() -> broken(reason));
    workers.stopAll();
  }

  /** Each job gets its own exception object, so a caller may refill its stack trace. */
  private static PoolBrokenException broken(PoolBrokenException reason) {
    return new PoolBrokenException(reason.getMessage(), reason.getCause());
  }

  private void closeIfIdle() {
    if (state != State.CLOSE || work.hasActiveJobs()) {
      return;
    }
    workers.retireAll();
  }

  // ---- stopping ---------------------------------------------------------------------------------

  private Behavior<Command> maybeStop() {
    boolean finished = switch (state) {
      case RUN -> false;
      case CLOSE -> !work.hasActiveJobs() && workers.isEmpty();
      case TERMINATE, BROKEN -> workers.isEmpty();
    };
    if (finished && !stopping) {
      stopping = true;
      settings.status().markStopping();
      getContext().getSelf().tell(FinalStop.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onPostStop() {
    work.failAll(() -> new CancellationException("the pool has stopped"));
    workers.killAll(settings.channelServer());
    workers.publishTo(settings.status());
    settings.status().terminated().complete(null);
    return this;
  }
}
