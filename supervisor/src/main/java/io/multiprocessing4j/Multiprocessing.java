package io.multiprocessing4j;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.multiprocessing4j.agent.ChildRuntime;
import io.multiprocessing4j.internal.AgentWarmUp;
import io.multiprocessing4j.internal.ChannelBrokers;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.internal.PipeHandle;
import io.multiprocessing4j.internal.RemoteConfig;
import io.multiprocessing4j.internal.RemotePeer;
import io.multiprocessing4j.internal.RemoteServing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;

/**
 * A multiprocessing context: the equivalent of Python's {@code multiprocessing.get_context()}, and the
 * only factory of processes, pipes and queues (and, as they land, pools and shared state). It owns a
 * {@link ProcessSupervisor} actor and the private channel its children connect to.
 *
 * <pre>{@code
 * try (Multiprocessing mp = Multiprocessing.create()) {
 *   Process p = mp.process(() -> doSomeWork("text"));
 *   p.start();
 *   p.join();
 * }
 * }</pre>
 *
 * <p>Contexts are independent: several may live side by side in one JVM. Closing a context is what
 * Python does at interpreter exit: daemon children are terminated, non-daemon children are joined.
 * A context that is never closed still leaves no orphans: daemon children halt when this JVM exits,
 * and this JVM stays up (as Python's interpreter does) until its non-daemon children have exited.
 */
public final class Multiprocessing implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<?> system;
  private final boolean ownsSystem;
  private final ChannelServer channelServer;
  private final ChannelBrokers channels;
  private final BlockStore blocks = new BlockStore();
  private final ActorRef<ProcessSupervisor.Command> supervisor;
  private final ChildExits exits = new ChildExits();
  private final Set<Process> children = new LinkedHashSet<>();
  private final Set<Pool> pools = new LinkedHashSet<>();
  private final AtomicLong processCounter = new AtomicLong();
  private final AtomicLong managerCounter = new AtomicLong();
  private final List<Manager> managers = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  /** See {@link ProcessSupervisor.Settings#childFrameBytes()}. */
  private final int childFrameBytes;
  /** How this context serves other machines; null when it does not. */
  private final RemoteServing serving;

  private Multiprocessing(ActorSystem<?> system, boolean ownsSystem, ProcessSupervisor.Settings settings,
      RemoteServing serving) {
    this.system = system;
    this.serving = serving;
    this.ownsSystem = ownsSystem;
    this.channelServer = ChannelServer.open(settings.handshakeTimeout(), settings.maxFrameBytes());
    this.childFrameBytes = settings.childFrameBytes();
    this.channels = new ChannelBrokers(channelServer, system);
    String suffix = UUID.randomUUID().toString();
    AgentWarmUp warmUp = settings.startMethod() == StartMethod.WARM ? new AgentWarmUp(channels) : null;
    this.supervisor = system.systemActorOf(ProcessSupervisor.create(settings, channelServer, warmUp, this::onExited),
        "multiprocessing4j-supervisor-" + suffix, Props.empty());
    if (serving != null) {
      serving.openGateway(channelServer, channels);
    }
  }

  /** A context with its own (embedded) actor system, which {@link #close()} terminates. */
  public static Multiprocessing create() {
    return create(ProcessSupervisor.Settings.defaults());
  }

  /** A context with its own actor system and the given supervisor settings. */
  public static Multiprocessing create(ProcessSupervisor.Settings settings) {
    return new Multiprocessing(embeddedSystem(), true, settings, null);
  }

  private static ActorSystem<Void> embeddedSystem() {
    // Initialize logging before the actor system logs, so SLF4J need not buffer and replay its first calls.
    LoggerFactory.getILoggerFactory();
    Config config = ConfigFactory.parseString(String.join("\n",
        // The embedded system must not keep the JVM alive by itself; running non-daemon children do.
        "pekko.daemonic = on",
        "pekko.log-dead-letters-during-shutdown = off"))
        .withFallback(ConfigFactory.load());
    return ActorSystem.create(Behaviors.empty(), RemoteConfig.SYSTEM_NAME, config);
  }

  /**
   * A context with its own actor system that also serves JVMs on other machines: a second actor
   * system of its own listens with Pekko Artery (TCP) at {@code remote}'s address, and a JVM there that
   * knows the authkey reaches the pipe ends and queues {@linkplain #publish published} here through
   * {@link #connect(String, byte[])}. The equivalent of Python's {@code BaseManager(address, authkey)}
   * serving queues.
   *
   * @throws IllegalStateException if the port cannot be bound
   */
  public static Multiprocessing create(RemoteOptions remote) {
    Objects.requireNonNull(remote, "remote");
    LoggerFactory.getILoggerFactory();
    RemoteServing serving = RemoteServing.listen(remote.host(), remote.port(), remote.authkey());
    try {
      return new Multiprocessing(embeddedSystem(), true, ProcessSupervisor.Settings.defaults(), serving);
    } catch (RuntimeException e) {
      serving.close();
      throw e;
    }
  }

  /**
   * Connects this JVM to a context serving at {@code address} ({@code host:port}, see
   * {@link #create(RemoteOptions)}), proving {@code authkey}. The equivalent of Python's
   * {@code BaseManager(address, authkey).connect()}.
   *
   * @throws IllegalArgumentException if the address is not {@code host:port} or the authkey is empty
   * @throws IllegalStateException if no context answers there within 15 s
   */
  public static RemoteContext connect(String address, byte[] authkey) {
    int colon = address == null ? -1 : address.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("address must be host:port, was " + address);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address must be host:port, was " + address, e);
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("the port of " + address + " is not a TCP port");
    }
    if (authkey == null || authkey.length == 0) {
      throw new IllegalArgumentException("authkey must not be empty");
    }
    return new RemoteContext(RemotePeer.connect(address.substring(0, colon), port, authkey), address);
  }

  /**
   * Makes {@code handle} (a {@link Queue}, {@link JoinableQueue}, {@link SimpleQueue} or
   * {@link Connection} of this context) reachable from other machines as {@code name}
   * ({@link RemoteContext#lookup}). Each lookup of a pipe end hands out a copy of it, as sending it to
   * a child does: the end stays open until that copy, too, is closed.
   *
   * @throws IllegalStateException if this context was not created with {@link RemoteOptions}, or is closed
   * @throws IllegalArgumentException if the name is blank or taken, or the handle is not a pipe end or queue
   */
  public void publish(String name, Object handle) {
    checkOpen();
    RemoteServing served = serving();
    if (!(handle instanceof Queue<?> || handle instanceof SimpleQueue<?> || handle instanceof Connection<?>)) {
      throw new IllegalArgumentException("only a Queue, JoinableQueue, SimpleQueue or Connection can be published, not "
          + (handle == null ? "null" : handle.getClass().getName()));
    }
    served.publish(name, handle);
  }

  /**
   * The {@code host:port} other machines reach this context at, for {@link #connect}.
   *
   * @throws IllegalStateException if this context was not created with {@link RemoteOptions}
   */
  public String remoteAddress() {
    return serving().address();
  }

  /**
   * The secret a JVM on another machine must prove to {@link #connect} (a copy).
   *
   * @throws IllegalStateException if this context was not created with {@link RemoteOptions}
   */
  public byte[] authkey() {
    return serving().authkey();
  }

  private RemoteServing serving() {
    if (serving == null) {
      throw new IllegalStateException("this context does not serve other machines: create it with"
          + " Multiprocessing.create(RemoteOptions)");
    }
    return serving;
  }

  /**
   * A context inside an application's existing typed actor system; its supervisor is spawned there as
   * a system actor. {@link #close()} stops the supervisor and leaves the system running.
   */
  public static Multiprocessing create(ActorSystem<?> system) {
    return create(system, ProcessSupervisor.Settings.defaults());
  }

  /** A context inside an existing actor system, with the given supervisor settings. */
  public static Multiprocessing create(ActorSystem<?> system, ProcessSupervisor.Settings settings) {
    return new Multiprocessing(system, false, settings, null);
  }

  /** A context with its own actor system that starts children with {@code method}. */
  public static Multiprocessing create(StartMethod method) {
    return create(ProcessSupervisor.Settings.defaults().withStartMethod(method));
  }

  /**
   * A new, not yet started process running {@code target} with default options. Equivalent of
   * Python's {@code Process(target=...)}; pass arguments by capturing them in the lambda.
   */
  public Process process(SerializableRunnable target) {
    return process(target, ProcessOptions.defaults());
  }

  /**
   * A new, not yet started process running {@code target} with {@code options}. Its name is the
   * options' name or the next {@code Process-N} of this context.
   *
   * @throws NullPointerException if {@code target} or {@code options} is null
   * @throws IllegalStateException if this context is closed
   */
  public Process process(SerializableRunnable target, ProcessOptions options) {
    if (target == null) {
      throw new NullPointerException("target");
    }
    if (options == null) {
      throw new NullPointerException("options");
    }
    checkOpen();
    // As in Python, every process takes a number, named or not.
    long number = processCounter.incrementAndGet();
    ProcessOptions named = options.name() != null ? options : options.withName(ProcessSupervisor.defaultName(number));
    return new Process(this, target, named);
  }

  /**
   * A new duplex pipe. Equivalent of Python's {@code Pipe()}; see {@link Connection}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Pipe<T> pipe() {
    return pipe(PipeOptions.defaults());
  }

  /**
   * A new pipe, duplex or one-way; a one-way pipe's {@code conn1} only receives and its {@code conn2}
   * only sends. Equivalent of Python's {@code Pipe(duplex)}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Pipe<T> pipe(boolean duplex) {
    return pipe(PipeOptions.defaults().withDuplex(duplex));
  }

  /**
   * A new pipe made with {@code options}. Its messages live in this process until received; it lives
   * until this context closes (then its ends see end of file).
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Pipe<T> pipe(PipeOptions options) {
    checkOpen();
    PipeHandle[] ends = channels.openPipe(options.duplex(), options.maxMessageBytes(),
        options.maxBufferedBytes());
    return new Pipe<>(new Connection<>(ends[0]), new Connection<>(ends[1]));
  }

  /**
   * A new unbounded queue. Equivalent of Python's {@code Queue()}; see {@link Queue}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Queue<T> queue() {
    return queue(QueueOptions.defaults());
  }

  /**
   * A new queue holding at most {@code maxsize} items; 0 or less means unbounded, as in Python (and
   * {@link Queue#maxsize()} then reads 0). Equivalent of Python's {@code Queue(maxsize)}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Queue<T> queue(int maxsize) {
    return queue(QueueOptions.defaults().withMaxsize(maxsize));
  }

  /**
   * A new queue made with {@code options}. Its items live in this process; it lives until this context
   * closes.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> Queue<T> queue(QueueOptions options) {
    checkOpen();
    return new Queue<>(channels.openQueue("Queue", options.maxsize(), options.maxMessageBytes(), false));
  }

  /**
   * A new unbounded queue with Python's smallest queue API. Equivalent of Python's {@code SimpleQueue()}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> SimpleQueue<T> simpleQueue() {
    return simpleQueue(QueueOptions.defaults());
  }

  /**
   * A new simple queue whose largest item is {@code options.maxMessageBytes()}.
   *
   * @throws IllegalArgumentException if {@code options.maxsize()} is positive (a SimpleQueue is unbounded)
   * @throws IllegalStateException if this context is closed
   */
  public <T> SimpleQueue<T> simpleQueue(QueueOptions options) {
    if (options.maxsize() != 0) {
      throw new IllegalArgumentException("a SimpleQueue is unbounded; maxsize was " + options.maxsize());
    }
    checkOpen();
    return new SimpleQueue<>(channels.openQueue("SimpleQueue", 0, options.maxMessageBytes(), false));
  }

  /**
   * A new unbounded queue that counts unfinished tasks. Equivalent of Python's {@code JoinableQueue()}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> JoinableQueue<T> joinableQueue() {
    return joinableQueue(QueueOptions.defaults());
  }

  /**
   * A new joinable queue holding at most {@code maxsize} items; 0 or less means unbounded, as in Python
   * (and {@link Queue#maxsize()} then reads 0). Equivalent of Python's {@code JoinableQueue(maxsize)}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> JoinableQueue<T> joinableQueue(int maxsize) {
    return joinableQueue(QueueOptions.defaults().withMaxsize(maxsize));
  }

  /**
   * A new joinable queue made with {@code options}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public <T> JoinableQueue<T> joinableQueue(QueueOptions options) {
    checkOpen();
    return new JoinableQueue<>(channels.openQueue("JoinableQueue", options.maxsize(), options.maxMessageBytes(), true));
  }

  /**
   * The children of this context that are running now. Equivalent of Python's
   * {@code active_children()}, which also forgets the ones that have exited.
   */
  public List<Process> activeChildren() {
    List<Process> running = new ArrayList<>();
    synchronized (children) {
      children.removeIf(child -> !child.isStartedAndRunning());
      for (Process child : children) {
        if (child.isRunning()) {
          running.add(child);
        }
      }
    }
    return running;
  }

  /**
   * Waits until this context's idle agents ({@link StartMethod#WARM}) are booted and connected, so
   * the next {@code start()} takes one at once. Returns immediately for {@link StartMethod#SPAWN}.
   *
   * @return true if they were ready within {@code timeout}
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitWarmAgents(Duration timeout) throws InterruptedException {
    try {
      AskPattern.<ProcessSupervisor.Command, Integer>ask(supervisor, ProcessSupervisor.AwaitWarmAgents::new,
              timeout, system.scheduler())
          .toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** The supervisor actor of this context: the typed face, to subscribe to events or send commands. */
  public ActorRef<ProcessSupervisor.Command> supervisor() {
    return supervisor;
  }

  /**
   * A shared {@code int} with a lock, initially {@code initial}. Python's {@code Value('i', initial)}.
   * See {@link Value} for what is atomic and what is locked.
   *
   * @throws IllegalStateException if this context is closed
   * @throws java.io.UncheckedIOException if the shared memory cannot be created
   */
  public Value.OfInt value(int initial) {
    return Value.of(openBlocks(), initial, true);
  }

  /** A shared {@code long} with a lock. Python's {@code Value('q', initial)}; throws as {@link #value(int)}. */
  public Value.OfLong value(long initial) {
    return Value.of(openBlocks(), initial, true);
  }

  /** A shared {@code double} with a lock. Python's {@code Value('d', initial)}; throws as {@link #value(int)}. */
  public Value.OfDouble value(double initial) {
    return Value.of(openBlocks(), initial, true);
  }

  /** A shared {@code boolean} with a lock. Python's {@code Value('b', initial)}; throws as {@link #value(int)}. */
  public Value.OfBoolean value(boolean initial) {
    return Value.of(openBlocks(), initial, true);
  }

  /** A shared {@code byte} with a lock. Python's {@code Value('b', initial)}; throws as {@link #value(int)}. */
  public Value.OfByte value(byte initial) {
    return Value.of(openBlocks(), initial, true);
  }

  /**
   * A shared {@code int} without a lock (its atomic operations still work). Python's
   * {@code RawValue('i', initial)} or {@code Value('i', initial, lock=False)}; throws as {@link #value(int)}.
   */
  public Value.OfInt rawValue(int initial) {
    return Value.of(openBlocks(), initial, false);
  }

  /** A shared {@code long} without a lock. Python's {@code RawValue('q', initial)}. */
  public Value.OfLong rawValue(long initial) {
    return Value.of(openBlocks(), initial, false);
  }

  /** A shared {@code double} without a lock. Python's {@code RawValue('d', initial)}. */
  public Value.OfDouble rawValue(double initial) {
    return Value.of(openBlocks(), initial, false);
  }

  /** A shared {@code boolean} without a lock. Python's {@code RawValue('b', initial)}. */
  public Value.OfBoolean rawValue(boolean initial) {
    return Value.of(openBlocks(), initial, false);
  }

  /** A shared {@code byte} without a lock. Python's {@code RawValue('b', initial)}. */
  public Value.OfByte rawValue(byte initial) {
    return Value.of(openBlocks(), initial, false);
  }

  /**
   * A shared array of {@code length} zeros with a lock, e.g. {@code mp.array(Array.DOUBLE, 1000)}.
   * Python's {@code Array('d', 1000)}.
   *
   * @throws IllegalArgumentException if {@code length} is negative or the elements take more than about
   *     2 GiB
   * @throws IllegalStateException if this context is closed
   * @throws java.io.UncheckedIOException if the shared memory cannot be created
   */
  public <A extends Array> A array(Array.Type<A> type, int length) {
    return Array.create(openBlocks(), type, length, true);
  }

  /** A shared array without a lock. Python's {@code RawArray('d', n)}; throws as {@link #array}. */
  public <A extends Array> A rawArray(Array.Type<A> type, int length) {
    return Array.create(openBlocks(), type, length, false);
  }

  /**
   * A new named block of {@code size} zero bytes with a fresh random name ({@code psm_...}), owned by
   * this context. Python's {@code SharedMemory(create=True, size=size)}.
   *
   * @throws IllegalArgumentException if {@code size} is not positive
   * @throws IllegalStateException if this context is closed
   * @throws java.io.UncheckedIOException if the block cannot be created
   */
  public SharedMemory sharedMemory(int size) {
    return SharedMemory.create(openBlocks(), null, size);
  }

  /**
   * A new block named {@code name}. Python's {@code SharedMemory(name, create=True, size=size)}.
   *
   * @throws java.io.UncheckedIOException with a {@link java.nio.file.FileAlreadyExistsException} cause if
   *     the name is taken; otherwise throws as {@link #sharedMemory(int)}
   */
  public SharedMemory sharedMemory(String name, int size) {
    return SharedMemory.create(openBlocks(), name, size);
  }

  /**
   * A new list of {@code values} in a new named block with a fresh random name, owned by this context;
   * each slot's type and capacity are fixed by its value (see {@link ShareableList}). Python's
   * {@code ShareableList(values)}.
   *
   * @throws IllegalArgumentException if a value is not an Integer, Long, Double, Boolean, String,
   *     byte[] or null
   * @throws IllegalStateException if this context is closed
   * @throws java.io.UncheckedIOException if the block cannot be created
   */
  public ShareableList shareableList(List<?> values) {
    return ShareableList.create(openBlocks(), null, values);
  }

  /**
   * A new list in the block named {@code name}. Python's {@code ShareableList(values, name=name)}.
   *
   * @throws java.io.UncheckedIOException with a {@link java.nio.file.FileAlreadyExistsException} cause if
   *     the name is taken; otherwise throws as {@link #shareableList(List)}
   */
  public ShareableList shareableList(String name, List<?> values) {
    return ShareableList.create(openBlocks(), name, values);
  }

  /**
   * A new process-shared, robust lock. Python's {@code Lock()}.
   *
   * @throws IllegalStateException if this context is closed
   */
  public Lock lock() {
    return Lock.create(openBlocks());
  }

  /** A new process-shared, robust re-entrant lock. Python's {@code RLock()}; throws as {@link #lock()}. */
  public RLock rLock() {
    return RLock.create(openBlocks());
  }

  /**
   * A new process-shared semaphore with {@code value} permits. Python's {@code Semaphore(value)}.
   *
   * @throws IllegalArgumentException if {@code value} is negative
   * @throws IllegalStateException if this context is closed
   */
  public Semaphore semaphore(int value) {
    return new Semaphore(Semaphore.allocate(openBlocks(), value, false));
  }

  /**
   * A new semaphore that may not be released above {@code value}. Python's {@code BoundedSemaphore(value)};
   * throws as {@link #semaphore(int)}.
   */
  public BoundedSemaphore boundedSemaphore(int value) {
    return new BoundedSemaphore(Semaphore.allocate(openBlocks(), value, true));
  }

  /** A new process-shared event, initially clear. Python's {@code Event()}; throws as {@link #lock()}. */
  public Event event() {
    return Event.create(openBlocks());
  }

  /** A new condition over a new {@link RLock}. Python's {@code Condition()}; throws as {@link #lock()}. */
  public Condition condition() {
    return Condition.create(openBlocks(), rLock());
  }

  /** A new condition over {@code lock}. Python's {@code Condition(lock)}; throws as {@link #lock()}. */
  public Condition condition(Lock lock) {
    return Condition.create(openBlocks(), Objects.requireNonNull(lock, "lock"));
  }

  /** A new condition over {@code lock}. Python's {@code Condition(rlock)}; throws as {@link #lock()}. */
  public Condition condition(RLock lock) {
    return Condition.create(openBlocks(), Objects.requireNonNull(lock, "lock"));
  }

  /**
   * A new barrier for {@code parties} parties, without action or default timeout. Python's
   * {@code Barrier(parties)}.
   *
   * @throws IllegalArgumentException if {@code parties} is less than 1
   * @throws IllegalStateException if this context is closed
   */
  public Barrier barrier(int parties) {
    return Barrier.create(openBlocks(), parties, null, null);
  }

  /**
   * A new barrier whose {@code action} (may be null) runs in the last party to arrive, and whose
   * {@code await()} waits at most {@code timeout} (null = no limit). Python's
   * {@code Barrier(parties, action, timeout)}. The action travels with
   * the barrier, so what it captures must be serializable (checked when the barrier is sent, as for a
   * target).
   *
   * @throws IllegalArgumentException as {@link #barrier(int)}
   */
  public Barrier barrier(int parties, SerializableRunnable action, Duration timeout) {
    return Barrier.create(openBlocks(), parties, action, timeout);
  }

  /**
   * Starts a manager process with the default options (no restart). Python's {@code Manager()}.
   * Blocks until the manager is ready (a JVM start, typically under a second).
   *
   * @throws IllegalStateException if this context is closed or the manager does not start
   */
  public Manager manager() {
    return manager(ManagerOptions.defaults());
  }

  /** Starts a manager process with {@code options} (e.g. a restart policy); throws as {@link #manager()}. */
  public Manager manager(ManagerOptions options) {
    checkOpen();
    Manager manager = Manager.start(this, channelServer, "SyncManager-" + managerCounter.incrementAndGet(), options);
    managers.add(manager);
    return manager;
  }

  /** This JVM in the process tree: {@code MainProcess} unless it is a child. Python's {@code current_process()}. */
  public static ProcessInfo currentProcess() {
    return ChildRuntime.current()
        .map(self -> new ProcessInfo(self.name(), self.pid(), self.daemon()))
        .orElseGet(() -> new ProcessInfo("MainProcess", ProcessHandle.current().pid(), false));
  }

  /** The process that started this one; empty in a top-level program. Python's {@code parent_process()}. */
  public static Optional<ProcessInfo> parentProcess() {
    return ChildRuntime.current().map(self -> new ProcessInfo(self.parentName(), self.parentPid(), false));
  }

  /** The number of processors available to this JVM. Python's {@code cpu_count()}. */
  public static int cpuCount() {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * Closes the context as Python's interpreter exit would: terminates open pools and running daemon
   * children, waits for every non-daemon child to exit (without a time limit, as Python does), then
   * releases its shared memory, values, arrays and synchronization primitives (handles to the last
   * three then throw {@link IllegalStateException}, and threads waiting on a lock, semaphore, event,
   * condition or barrier wake with it), stops the supervisor, closes its pipes and queues (their items
   * are dropped, waiting calls are refused, pipe ends see end of file), removes the private channel
   * directory, and terminates the actor system if this context created it. Idempotent. If the calling
   * thread is interrupted while waiting, the remaining children are killed and the interrupt status is
   * kept.
   */
  @Override
  public void close() {
    List<Process> toJoin;
    List<Pool> toTerminate;
    synchronized (children) {
      if (closed) {
        return;
      }
      closed = true;
      toJoin = new ArrayList<>(children);
      toTerminate = new ArrayList<>(pools);
    }
    // As at Python's interpreter exit, pools still open are terminated, not drained.
    toTerminate.forEach(Pool::terminate);
    // Before the daemon children are terminated: a manager told to shut down is not restarted.
    managers.forEach(Manager::shutdown);
    for (Process child : toJoin) {
      if (child.isDaemon()) {
        child.terminate();
      }
    }
    try {
      for (Process child : toJoin) {
        if (child.isStartedAndRunning()) {
          child.join();
        }
      }
    } catch (InterruptedException e) {
      toJoin.forEach(Process::kill);
      Thread.currentThread().interrupt();
    }
    // Shared memory goes once no child can still be using it.
    blocks.close();
    stopActors();
  }

  private void stopActors() {
    try {
      AskPattern.ask(supervisor, ProcessSupervisor.Stop::new, Duration.ofSeconds(10), system.scheduler())
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The supervisor is gone or stuck; the channel is closed below either way.
    }
    channels.close();
    channelServer.close();
    if (serving != null) {
      // After the brokers: the sessions have told the remote handles that their pipes and queues closed.
      serving.close();
    }
    if (ownsSystem) {
      terminate(system);
    }
  }

  private static void terminate(ActorSystem<?> actorSystem) {
    actorSystem.terminate();
    try {
      actorSystem.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Terminating; nothing of ours is left running in it.
    }
  }

  /** For tests: how many sessions JVMs on other machines opened with this context's pipes and queues. */
  long remoteSessionsOpened() {
    return serving().sessionsOpened();
  }

  /** For tests of the channel's security: the server this context's children connect to. */
  ChannelServer channelServer() {
    return channelServer;
  }

  private BlockStore openBlocks() {
    checkOpen();
    return blocks;
  }

  /** For tests: the shared-memory blocks of this context. */
  BlockStore blocks() {
    return blocks;
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this Multiprocessing context is closed");
    }
  }

  /** A child the supervisor has started: its answer, and the future of the child's exit. */
  record StartedChild(ProcessSupervisor.Started started, CompletableFuture<ProcessSupervisor.Exited> exit) {}

  /**
   * Starts a child through the supervisor and waits for its pid (or its launch failure).
   *
   * @throws PicklingException if the serialized target cannot reach the child in one frame (it would
   *     never run)
   */
  StartedChild startChild(ProcessSpec spec, Process process) {
    spec.checkTargetFitsOneFrame(spec.options().name(), childFrameBytes);
    synchronized (children) {
      checkOpen();
      children.add(process);
    }
    ProcessSupervisor.StartResult result;
    // Not interruptible (join, not get): once asked, the supervisor launches the child, so giving up
    // here would leave it running untracked. The ask's own timeout bounds the wait. The interrupt
    // status is set aside meanwhile: telling an actor that has not started yet (a new context's
    // supervisor) takes an interruptible lock, which threw an undeclared InterruptedException.
    boolean interrupted = Thread.interrupted();
    try {
      result = AskPattern.<ProcessSupervisor.Command, ProcessSupervisor.StartResult>ask(supervisor,
              replyTo -> new ProcessSupervisor.Start(spec, replyTo), START_TIMEOUT, system.scheduler())
          .toCompletableFuture().join();
    } catch (CompletionException e) {
      forget(process);
      throw new IllegalStateException("the supervisor did not start " + spec.options().name(), e.getCause());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (result instanceof ProcessSupervisor.StartFailed failed) {
      forget(process);
      throw new UncheckedIOException(new IOException(failed.reason()));
    }
    ProcessSupervisor.Started started = (ProcessSupervisor.Started) result;
    // Claimed once, here, for the process and the keeper alike: its exit may already be reported.
    CompletableFuture<ProcessSupervisor.Exited> exit = exits.claim(started.id());
    if (!started.daemon()) {
      keepJvmAliveUntilExit(started.name(), exit);
    }
    return new StartedChild(started, exit);
  }

  private void forget(Process process) {
    synchronized (children) {
      children.remove(process);
    }
  }

  /** Like Python's interpreter, this JVM does not exit while a non-daemon child runs. */
  private static void keepJvmAliveUntilExit(String name, CompletableFuture<ProcessSupervisor.Exited> exit) {
    Thread keeper = new Thread(() -> exit.join(), "multiprocessing4j-awaiting-" + name);
    keeper.setDaemon(false);
    keeper.start();
  }

  /** A child's exit, as the supervisor reports it on its own thread: completes its claim in {@link #exits}. */
  private void onExited(ProcessSupervisor.Exited exited) {
    // A child that crashed may have been the last user of a SharedMemory block: release it before
    // join() returns, so the caller sees the outcome.
    try {
      blocks.releaseUnused();
    } catch (RuntimeException e) {
      // A file that cannot be deleted (UncheckedIOException) must not stop the supervisor, whose
      // thread this is, nor keep join() waiting: the block stays this context's, and close() deletes it.
      LoggerFactory.getLogger(Multiprocessing.class).warn("releasing unused shared memory failed", e);
    }
    exits.report(exited);
  }

  /**
   * A pool of {@link #cpuCount()} worker processes with default options, started now. Python's
   * {@code Pool()}. The workers start in the background; work submitted meanwhile waits for them.
   *
   * @throws IllegalStateException if this context is closed, or this JVM is a daemon child (daemonic
   *     processes may not have children)
   */
  public Pool pool() {
    return pool(PoolOptions.defaults());
  }

  /**
   * A pool of {@code processes} workers. Python's {@code Pool(processes)}.
   *
   * @throws IllegalArgumentException if {@code processes} is less than 1
   * @throws IllegalStateException as {@link #pool()}
   */
  public Pool pool(int processes) {
    return pool(PoolOptions.defaults().withProcesses(processes));
  }

  /**
   * A pool configured by {@code options}. Python's
   * {@code Pool(processes, initializer, initargs, maxtasksperchild)}.
   *
   * @throws PicklingException if the initializer, or a value it captures, cannot be serialized, or it
   *     is too large to reach a worker in one frame
   * @throws IllegalStateException as {@link #pool()}
   */
  public Pool pool(PoolOptions options) {
    if (options == null) {
      throw new NullPointerException("options");
    }
    synchronized (children) {
      checkOpen();
      Pool pool = Pool.start(system, supervisor, channelServer, options, childFrameBytes);
      pools.add(pool);
      pool.whenTerminated(() -> {
        synchronized (children) {
          pools.remove(pool);
        }
      });
      return pool;
    }
  }

  @Override
  public String toString() {
    return "Multiprocessing[" + (closed ? "closed" : "open") + ", channel=" + channelServer.directory()
        + ", children=" + activeChildren().size() + "]";
  }
}
