package io.multiprocessing4j;

import io.multiprocessing4j.agent.ChildRuntime;
import io.multiprocessing4j.internal.AgentWarmUp;
import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.internal.ChildProcess;
import io.multiprocessing4j.internal.ClassDataArchive;
import io.multiprocessing4j.internal.JvmLauncher;
import io.multiprocessing4j.wire.FrameChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A typed actor that starts and supervises child JVMs: the actor face of multiprocessing4j, and the
 * core that the blocking {@link Process} API is a thin layer over. Spawn it in any typed
 * {@code ActorSystem} with {@link #create()}; each instance owns a private channel for its children.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>{@link Start}: launch a child; {@code replyTo} gets {@link Started} (with the pid) or
 *       {@link StartFailed} (also when the target is too large for one frame to the child, which
 *       would never receive it: see {@link Settings#maxFrameBytes()}). With {@link StartMethod#WARM}, a
 *       start handed to an idle agent that turns out to have died before it took the target is launched
 *       in a fresh JVM under a new id: the reply and the events name that child, never the agent.</li>
 *   <li>{@link Terminate}: graceful stop that escalates (see below). {@link Kill}: SIGKILL now. Both
 *       are idempotent and ignored for unknown or exited children (an idle agent of
 *       {@link StartMethod#WARM} is not a child until a start is handed to it).</li>
 *   <li>{@link GetStatus}: the {@link Status} of one child; {@link ListChildren}: of all running ones.</li>
 *   <li>{@link Subscribe} / {@link Unsubscribe}: subscribers receive every {@link Event} ({@link Started},
 *       {@link StartFailed}, {@link Exited}) of every child, in order per child; a stopped subscriber
 *       is dropped.</li>
 *   <li>{@link Stop}: stop the supervisor (daemon children are killed, non-daemon children are
 *       released: they finish their target and exit), then {@code replyTo} is told.</li>
 * </ul>
 *
 * <h2>Supervision policies</h2>
 * <ul>
 *   <li><b>isAlive</b>: a child is running from {@link Started} until {@link Exited}. Exit is observed
 *       through the OS process handle (the JDK reaps the child within milliseconds of its death, by any
 *       cause), and the agent's channel closing is watched alongside; {@link Exited} follows as soon as
 *       the child's output has been copied. Should the actor supervising a started child fail, the
 *       child stays listed, its {@link Exited} still comes, from the JDK's handle on its process, and
 *       {@link Terminate} and {@link Kill} signal it through that handle (SIGTERM, SIGKILL).</li>
 *   <li><b>terminate</b>: the agent is asked to stop (its target sees {@link Thread#interrupt()}; it
 *       has half the grace period to return) and exits with status 128+15, reported as -15, Python's
 *       exit code for SIGTERM. If the child has not exited after {@code terminateGrace} it is killed
 *       (-9). Before the agent has connected, terminate sends SIGTERM instead.</li>
 *   <li><b>daemon</b>: daemon children are killed when the supervisor stops and halt by themselves when
 *       their parent JVM dies, however it died (they watch their stdin pipe for end-of-file).
 *       Non-daemon children finish their current target and then exit.</li>
 * </ul>
 *
 * <h2>Exit codes (Python's rules)</h2>
 * 0 when the target returns; 1 when it throws ({@link Exited#remoteTraceback()} has the child's stack
 * trace, which is also printed on the child's stderr); {@code n} when it calls {@code System.exit(n)};
 * {@code -N} when the child died of signal N (e.g. -9 after {@link Kill} or {@code kill -9} from
 * outside; -15 after {@link Terminate}).
 */
public final class ProcessSupervisor extends AbstractBehavior<ProcessSupervisor.Command> {

  /**
   * Supervisor-wide settings, an immutable value.
   *
   * @param handshakeTimeout a connecting peer that has not proven its key by then is dropped (default 5 s)
   * @param maxFrameBytes the largest frame accepted on a child channel (default
   *     {@link FrameChannel#DEFAULT_MAX_FRAME_BYTES})
   * @param startMethod how children start (default {@link StartMethod#SPAWN})
   * @param warmAgents how many idle agents {@link StartMethod#WARM} keeps ready (default 2)
   * @param classDataSharing whether children use (and the supervisor makes, in the background) a
   *     class-data-sharing archive (default true)
   */
  public record Settings(Duration handshakeTimeout, int maxFrameBytes, StartMethod startMethod, int warmAgents,
      boolean classDataSharing) {
    public Settings {
      if (handshakeTimeout == null || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
        throw new IllegalArgumentException("handshakeTimeout must be positive, was " + handshakeTimeout);
      }
      if (maxFrameBytes < 1024) {
        throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
      }
      if (startMethod == null) {
        throw new IllegalArgumentException("startMethod must not be null");
      }
      if (warmAgents < 0) {
        throw new IllegalArgumentException("warmAgents must not be negative, was " + warmAgents);
      }
    }

    /** The defaults listed above. */
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(5), FrameChannel.DEFAULT_MAX_FRAME_BYTES, StartMethod.SPAWN, 2, true);
    }

    public Settings withHandshakeTimeout(Duration timeout) {
      return new Settings(timeout, maxFrameBytes, startMethod, warmAgents, classDataSharing);
    }

    public Settings withStartMethod(StartMethod method) {
      return new Settings(handshakeTimeout, maxFrameBytes, method, warmAgents, classDataSharing);
    }

    public Settings withWarmAgents(int count) {
      return new Settings(handshakeTimeout, maxFrameBytes, startMethod, count, classDataSharing);
    }

    public Settings withClassDataSharing(boolean enabled) {
      return new Settings(handshakeTimeout, maxFrameBytes, startMethod, warmAgents, enabled);
    }

    /**
     * The largest frame a child's channel carries: {@code maxFrameBytes}, and at most what an agent
     * reads (its reader's limit is the default).
     */
    int childFrameBytes() {
      return Math.min(maxFrameBytes, FrameChannel.DEFAULT_MAX_FRAME_BYTES);
    }
  }

  /**
   * Messages this actor understands. Each refuses a null field with {@link NullPointerException} where
   * it is built: inside the actor it would throw, and Pekko stops an actor that throws, taking every
   * child's channel with it.
   */
  public sealed interface Command {}

  /** Launch a child for {@code spec}; the reply is {@link Started} or {@link StartFailed}. */
  public record Start(ProcessSpec spec, ActorRef<StartResult> replyTo) implements Command {
    public Start {
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Ask child {@code id} to stop; kill it if it has not stopped within its terminate grace period. */
  public record Terminate(long id) implements Command {}

  /** Kill child {@code id} with SIGKILL. */
  public record Kill(long id) implements Command {}

  /** Ask for the status of child {@code id}. */
  public record GetStatus(long id, ActorRef<Status> replyTo) implements Command {
    public GetStatus {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Ask for the status of every child that has started and not yet exited. */
  public record ListChildren(ActorRef<List<Status>> replyTo) implements Command {
    public ListChildren {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  public record Subscribe(ActorRef<Event> subscriber) implements Command {
    public Subscribe {
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  public record Unsubscribe(ActorRef<Event> subscriber) implements Command {
    public Unsubscribe {
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  /**
   * Reply once every idle agent of the {@link StartMethod#WARM} start method is booted and connected
   * (at once for {@link StartMethod#SPAWN}); {@code replyTo} gets how many are ready.
   */
  public record AwaitWarmAgents(ActorRef<Integer> replyTo) implements Command {
    public AwaitWarmAgents {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Stop the supervisor; {@code replyTo} is told once it is stopping. */
  public record Stop(ActorRef<Stopped> replyTo) implements Command {
    public Stop {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  private record ChildEvent(Event event) implements Command {}

  private record SubscriberStopped(ActorRef<Event> subscriber) implements Command {}

  private record ChildActorStopped(long id) implements Command {}

  /** What subscribers receive. */
  public sealed interface Event {
    long id();

    String name();
  }

  /** The reply to {@link Start}. */
  public sealed interface StartResult {}

  /** An idle agent has connected and can take a target at once (internal: not sent to subscribers). */
  public record AgentReady(long id, String name) implements Event {}

  /** A child's OS process exists and has been handed its bootstrap. */
  public record Started(long id, String name, long pid, boolean daemon) implements Event, StartResult {}

  /**
   * A child could not be launched (e.g. no {@code java} executable, bad JVM options, a target larger
   * than one frame to the child carries); {@code reason} says why.
   */
  public record StartFailed(long id, String name, String reason) implements Event, StartResult {}

  /**
   * A child exited and its output has been copied.
   *
   * @param exitCode Python's exit code (see the class documentation)
   * @param remoteTraceback the child's stack trace when its target threw
   */
  public record Exited(long id, String name, long pid, int exitCode, Optional<String> remoteTraceback)
      implements Event {}

  /** The reply to {@link Stop}. */
  public record Stopped() {}

  /**
   * Python's process states: not started yet, started (running), or stopped (exited); UNKNOWN for an
   * id this supervisor never gave a child, or one that exited more than 1024 exits ago.
   */
  public enum State { STARTING, RUNNING, STOPPED, UNKNOWN }

  /**
   * One child's status.
   *
   * @param pid -1 until the process exists
   * @param exitCode empty until the child has exited
   */
  public record Status(long id, String name, State state, long pid, boolean daemon, OptionalInt exitCode) {}

  private static final int REMEMBERED_EXITS = 1024;

  private final Settings settings;
  private final ChannelServer channelServer;
  private final ClassDataArchive classDataArchive;
  private final AgentWarmUp warmUp;
  private final ActorRef<Event> childEvents;
  private final Deque<Long> warmAgents = new ArrayDeque<>();
  private final Set<Long> readyWarmAgents = new HashSet<>();
  private final List<ActorRef<Integer>> awaitingWarmAgents = new ArrayList<>();
  private final Map<Long, SupervisedChild> children = new HashMap<>();
  private final Map<Long, Status> exited = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Status> eldest) {
      return size() > REMEMBERED_EXITS;
    }
  };
  private final Set<ActorRef<Event>> subscribers = new HashSet<>();
  /** Its context's view of exits (see {@link #create(Settings, ChannelServer, AgentWarmUp, Consumer)}). */
  private final Consumer<Exited> exitObserver;
  private long lastId;

  /** A supervisor with {@link Settings#defaults()}. */
  public static Behavior<Command> create() {
    return create(Settings.defaults());
  }

  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(context -> new ProcessSupervisor(context, settings,
        ChannelServer.open(settings.handshakeTimeout(), settings.maxFrameBytes())));
  }

  /**
   * A supervisor over a channel opened by its context; the supervisor closes it when it stops.
   *
   * @param warmUp what each warm agent rehearses while idle (see {@link AgentWarmUp}); null for the
   *     agent's own minimal warm-up
   * @param exitObserver told of every child's {@link Exited} on the supervisor's own thread, before any
   *     subscriber: the context's {@code join()} waits on it, and a subscriber actor would add a thread
   *     hand-off (a wait for a CPU on a busy machine) between the child's exit and {@code join()}. It
   *     must be quick and must not throw.
   */
  static Behavior<Command> create(Settings settings, ChannelServer channelServer, AgentWarmUp warmUp,
      Consumer<Exited> exitObserver) {
    return Behaviors.setup(context -> new ProcessSupervisor(context, settings, channelServer, warmUp, exitObserver));
  }

  private ProcessSupervisor(ActorContext<Command> context, Settings settings, ChannelServer channelServer) {
    this(context, settings, channelServer, null, exited -> { });
  }

  private ProcessSupervisor(ActorContext<Command> context, Settings settings, ChannelServer channelServer,
      AgentWarmUp warmUp, Consumer<Exited> exitObserver) {
    super(context);
    this.settings = settings;
    this.channelServer = channelServer;
    this.warmUp = warmUp;
    this.exitObserver = exitObserver;
    this.classDataArchive = settings.classDataSharing() ? ClassDataArchive.inDefaultCache() : null;
    this.childEvents = context.messageAdapter(Event.class, ChildEvent::new);
    if (settings.startMethod() == StartMethod.WARM) {
      for (int i = 0; i < settings.warmAgents(); i++) {
        launchWarmAgent();
      }
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, this::onStart)
        .onMessage(Terminate.class, this::onTerminate)
        .onMessage(Kill.class, this::onKill)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(ListChildren.class, this::onListChildren)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, message -> {
          subscribers.remove(message.subscriber());
          return this;
        })
        .onMessage(SubscriberStopped.class, message -> {
          subscribers.remove(message.subscriber());
          return this;
        })
        .onMessage(ChildEvent.class, this::onChildEvent)
        .onMessage(ChildActorStopped.class, this::onChildActorStopped)
        .onMessage(AwaitWarmAgents.class, this::onAwaitWarmAgents)
        .onMessage(Stop.class, this::onStop)
        .onSignal(PostStop.class, signal -> {
          channelServer.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onStart(Start start) {
    if (refusedTooLarge(start)) {
      return this;
    }
    ProcessOptions options = start.spec().options();
    boolean defaultLaunch = options.classPath() == null
        && options.jvmOptions().equals(ProcessOptions.DEFAULT_JVM_OPTIONS);
    if (settings.startMethod() == StartMethod.WARM && defaultLaunch && !warmAgents.isEmpty()) {
      long id = warmAgents.poll();
      readyWarmAgents.remove(id);
      SupervisedChild agent = children.get(id);
      agent.name = options.name() != null ? options.name() : defaultName(id);
      agent.daemon = options.daemon();
      agent.replyTo = start.replyTo();
      agent.assigned = start;
      agent.internal = false;
      agent.actor.tell(new ChildProcess.Assign(agent.name, agent.daemon, options.terminateGrace(),
          start.spec().target()));
      launchWarmAgent();
      return this;
    }
    spawnFresh(start);
    return this;
  }

  /** Launches a new JVM for {@code start}, under a new id. */
  private void spawnFresh(Start start) {
    ProcessOptions options = start.spec().options();
    long id = ++lastId;
    String name = options.name() != null ? options.name() : defaultName(id);
    launch(new ChildProcess.Launch(id, name, options.daemon(), options.jvmOptions(),
        options.classPath() != null ? options.classPath() : System.getProperty("java.class.path"),
        options.terminateGrace(), start.spec().target(), null), start.replyTo(), false);
  }

  /**
   * Refuses, with {@link StartFailed}, a target too large for one frame to its child: launched, the
   * child would wait forever for a target its channel cannot carry.
   */
  private boolean refusedTooLarge(Start start) {
    ProcessOptions options = start.spec().options();
    String name = options.name() != null ? options.name() : defaultName(lastId + 1);
    try {
      start.spec().checkTargetFitsOneFrame(name, settings.childFrameBytes());
      return false;
    } catch (PicklingException tooLarge) {
      long id = ++lastId;
      StartFailed refused = new StartFailed(id, name, tooLarge.getMessage());
      start.replyTo().tell(refused);
      exited.put(id, new Status(id, name, State.STOPPED, -1, options.daemon(), OptionalInt.empty()));
      subscribers.forEach(subscriber -> subscriber.tell(refused));
      return true;
    }
  }

  /** Boots an idle agent that a later {@link Start} can take over. */
  private void launchWarmAgent() {
    long id = ++lastId;
    launch(new ChildProcess.Launch(id, "WarmAgent-" + id, true, ProcessOptions.DEFAULT_JVM_OPTIONS,
        System.getProperty("java.class.path"), ProcessOptions.defaults().terminateGrace(), null,
        warmUp == null ? null : warmUp.payload()), null, true);
    warmAgents.add(id);
  }

  private void launch(ChildProcess.Launch launch, ActorRef<StartResult> replyTo, boolean internal) {
    ChildProcess.Launch planned = launch;
    if (classDataArchive != null) {
      ClassDataArchive.Plan plan =
          classDataArchive.plan(JvmLauncher.currentJava(), launch.jvmOptions(), launch.classPath());
      planned = new ChildProcess.Launch(launch.id(), launch.name(), launch.daemon(), plan.jvmOptions(),
          plan.classPath(), launch.terminateGrace(), launch.target(), launch.warmUp());
    }
    ActorRef<ChildProcess.Command> actor = getContext().spawn(
        ChildProcess.create(planned, channelServer, childEvents), "child-" + launch.id(), DispatcherSelector.blocking());
    getContext().watchWith(actor, new ChildActorStopped(launch.id()));
    children.put(launch.id(), new SupervisedChild(actor, launch.name(), launch.daemon(), replyTo, internal));
  }

  /** {@code Process-N}, or {@code Process-1:N} when this JVM is itself child {@code Process-1}. */
  static String defaultName(long n) {
    return ChildRuntime.current().map(self -> self.name() + ":" + n).orElse("Process-" + n);
  }

  // An idle agent is the supervisor's own, unknown to the protocol (GetStatus says UNKNOWN); stopping
  // it would kill the next child handed to it.
  private Behavior<Command> onTerminate(Terminate terminate) {
    SupervisedChild child = children.get(terminate.id());
    if (child != null && !child.internal) {
      child.terminate();
    }
    return this;
  }

  private Behavior<Command> onKill(Kill kill) {
    SupervisedChild child = children.get(kill.id());
    if (child != null && !child.internal) {
      child.kill();
    }
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    get.replyTo().tell(status(get.id()));
    return this;
  }

  private Behavior<Command> onListChildren(ListChildren list) {
    List<Status> running = new ArrayList<>();
    for (Map.Entry<Long, SupervisedChild> child : children.entrySet()) {
      if (!child.getValue().internal) {
        running.add(status(child.getKey()));
      }
    }
    list.replyTo().tell(List.copyOf(running));
    return this;
  }

  private Status status(long id) {
    SupervisedChild child = children.get(id);
    if (child != null && !child.internal) {
      return new Status(id, child.name, child.pid < 0 ? State.STARTING : State.RUNNING, child.pid, child.daemon,
          OptionalInt.empty());
    }
    Status gone = exited.get(id);
    return gone != null ? gone : new Status(id, "", State.UNKNOWN, -1, false, OptionalInt.empty());
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (subscribers.add(subscribe.subscriber())) {
      getContext().watchWith(subscribe.subscriber(), new SubscriberStopped(subscribe.subscriber()));
    }
    return this;
  }

  private Behavior<Command> onChildEvent(ChildEvent wrapped) {
    Event event = wrapped.event();
    SupervisedChild child = children.get(event.id());
    if (child == null) {
      return this;
    }
    if (child.internal) {
      onInternalChildEvent(event, child);
      return this;
    }
    if (child.assigned != null && (event instanceof Exited || event instanceof StartFailed)) {
      // The idle agent handed this start died before it took the target (its exit was on its way):
      // nobody was told of the agent's id, so its end is not reported; the start is launched afresh.
      children.remove(event.id());
      getContext().getLog().warn("idle agent given to {} was gone; spawning it afresh", child.name);
      spawnFresh(child.assigned);
      return this;
    }
    if (event instanceof Started started) {
      child.assigned = null;
      child.pid = started.pid();
      child.replyOnce(started);
    } else if (event instanceof StartFailed failed) {
      child.replyOnce(failed);
      children.remove(event.id());
      exited.put(event.id(), new Status(event.id(), child.name, State.STOPPED, -1, child.daemon, OptionalInt.empty()));
    } else if (event instanceof Exited exit) {
      children.remove(event.id());
      exited.put(event.id(),
          new Status(event.id(), child.name, State.STOPPED, exit.pid(), child.daemon, OptionalInt.of(exit.exitCode())));
      exitObserver.accept(exit);
    }
    for (ActorRef<Event> subscriber : subscribers) {
      subscriber.tell(event);
    }
    return this;
  }

  private void onInternalChildEvent(Event event, SupervisedChild child) {
    if (event instanceof AgentReady ready) {
      if (warmAgents.contains(ready.id())) {
        readyWarmAgents.add(ready.id());
        answerWarmAgentWaiters();
      }
      return;
    }
    if (!(event instanceof Exited || event instanceof StartFailed)) {
      return;
    }
    children.remove(event.id());
    readyWarmAgents.remove(event.id());
    if (warmAgents.remove(event.id())) {
      // An idle agent died before anyone used it: replace it, unless it never even launched.
      if (event instanceof Exited) {
        getContext().getLog().warn("idle agent {} exited unexpectedly; booting another", child.name);
        launchWarmAgent();
      } else {
        getContext().getLog().error("cannot boot idle agents ({}); starting children cold", ((StartFailed) event).reason());
      }
    }
  }

  private Behavior<Command> onAwaitWarmAgents(AwaitWarmAgents await) {
    awaitingWarmAgents.add(await.replyTo());
    answerWarmAgentWaiters();
    return this;
  }

  private void answerWarmAgentWaiters() {
    int wanted = settings.startMethod() == StartMethod.WARM ? settings.warmAgents() : 0;
    if (readyWarmAgents.size() >= wanted) {
      awaitingWarmAgents.forEach(waiter -> waiter.tell(readyWarmAgents.size()));
      awaitingWarmAgents.clear();
    }
  }

  private Behavior<Command> onChildActorStopped(ChildActorStopped stopped) {
    // A child actor stops on its own after reporting Exited or StartFailed; anything else is a failure
    // of the actor itself. A child that had started stays listed: the actor's PostStop handed its exit
    // to the JDK's process handle, whose Exited arrives as soon as the OS has reaped it.
    SupervisedChild child = children.get(stopped.id());
    if (child == null) {
      return this;
    }
    if (child.pid >= 0 && !child.internal) {
      child.onActorStopped();
      getContext().getLog().error("supervising actor of {} (pid {}) stopped before it exited; its exit will come"
          + " from the OS process handle", child.name, child.pid);
      return this;
    }
    children.remove(stopped.id());
    warmAgents.remove(stopped.id());
    readyWarmAgents.remove(stopped.id());
    if (!child.internal) {
      StartFailed failed = new StartFailed(stopped.id(), child.name, "the supervising actor of " + child.name + " failed");
      child.replyOnce(failed);
      getContext().getLog().error("supervising actor of {} stopped unexpectedly", child.name);
    }
    return this;
  }

  private Behavior<Command> onStop(Stop stop) {
    stop.replyTo().tell(new Stopped());
    return Behaviors.stopped();
  }
}
