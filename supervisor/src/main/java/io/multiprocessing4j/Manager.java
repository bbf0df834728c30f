package io.multiprocessing4j;

import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.internal.ManagerAddress;
import io.multiprocessing4j.internal.ManagerClient;
import io.multiprocessing4j.internal.ManagerServer;
import io.multiprocessing4j.internal.Timeouts;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.ManagerFrames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A manager process holding shared objects behind proxies: Python's {@code multiprocessing.Manager()}
 * (a started {@code SyncManager}). Created by {@link Multiprocessing#manager()}; it is a supervised
 * daemon child of the context, named {@code SyncManager-N}, and shut down when the context closes.
 *
 * <pre>{@code
 * try (Manager manager = mp.manager()) {
 *   DictProxy<String, Integer> scores = manager.dict();
 *   Process p = mp.process(() -> scores.put("child", 1));   // the proxy travels to the child
 *   p.start();
 *   p.join();
 *   scores.get("child");                                      // 1
 * }
 * }</pre>
 *
 * <p><b>Design.</b> The manager is a child JVM (so the objects and the user code in their
 * {@code equals}/{@code hashCode} live outside the parent, as in Python). It runs its own channel server
 * and tells the parent where over a registration endpoint; proxies in any process then connect to it
 * directly (one connection per calling thread, authenticated with the endpoint key), so a call costs
 * one round trip between the caller and the manager, never through the parent.
 *
 * <p><b>When the manager dies</b> (killed, crashed), every proxy call to it, including one waiting in
 * it, fails at once with {@link ManagerDiedException}: the kernel closes its sockets, so nothing hangs.
 * With {@link ManagerOptions.Restart#ON_FAILURE} the parent then starts a new manager process, up to
 * {@code maxRestarts} times; while it starts, calls fail as with a dead manager. <b>What survives a
 * restart:</b> this {@code Manager} object, its name and options; not the objects: the new manager starts empty, proxies to the old objects keep failing with
 * {@link ManagerDiedException}, and new objects are created through this {@code Manager} as before.
 * Objects live as long as their manager (there is no reference counting of proxies).
 *
 * <p>Thread-safe.
 */
public final class Manager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Manager.class);
  private static final int READY_FRAME_LIMIT = 64 * 1024;

  private final Multiprocessing context;
  private final ChannelServer channels;
  private final String name;
  private final ManagerOptions options;
  private final Object lock = new Object();
  private Incarnation current;
  /** The manager process a restart is starting, until it is ready or failed: shutdown() kills it. */
  private Process launching;
  private int restarts;
  private boolean shutDown;

  /** One manager process and how to reach it. */
  private record Incarnation(Process process, ManagerAddress address, FrameChannel<Frame> link) {}

  private Manager(Multiprocessing context, ChannelServer channels, String name, ManagerOptions options) {
    this.context = context;
    this.channels = channels;
    this.name = name;
    this.options = options;
  }

  static Manager start(Multiprocessing context, ChannelServer channels, String name, ManagerOptions options) {
    Manager manager = new Manager(context, channels, name, options);
    Incarnation first = manager.launch();
    synchronized (manager.lock) {
      manager.current = first;
    }
    manager.watch(first);
    return manager;
  }

  /**
   * Starts a manager process and waits until it is ready, without holding {@link #lock}, so that a
   * shutdown() meanwhile is not held up: it kills the process being started, which ends this wait.
   *
   * @throws IllegalStateException if it did not start, or this manager was shut down meanwhile
   */
  private Incarnation launch() {
    CompletableFuture<FrameChannel<Frame>> admitted = new CompletableFuture<>();
    Endpoint registration = channels.openEndpoint(channel -> {
      if (!admitted.complete(channel)) {
        channel.close();
      }
    });
    Process process = context.process(() -> ManagerServer.serve(registration),
        ProcessOptions.defaults().withName(name).withDaemon(true).withJvmOptions(managerJvmOptions()));
    try {
      process.start();
      synchronized (lock) {
        if (shutDown) {
          throw new IllegalStateException("it was shut down while starting");
        }
        launching = process;
      }
      FrameChannel<Frame> link = awaitRegistration(admitted, process);
      Frame ready = link.read(READY_FRAME_LIMIT);
      if (ready.getBodyCase() != Frame.BodyCase.MANAGER_READY) {
        throw new IOException("the manager announced " + ready.getBodyCase() + " instead of being ready");
      }
      ManagerAddress address = ManagerAddress.of(ManagerFrames.endpointOf(ready.getManagerReady()),
          process.pid().orElse(-1), name);
      return new Incarnation(process, address, link);
    } catch (IOException | TimeoutException | RuntimeException e) {
      process.kill();
      throw new IllegalStateException("the manager " + name + " did not start: " + e.getMessage()
          + process.remoteTraceback().map(trace -> "\n" + trace).orElse(""), e);
    } catch (InterruptedException e) {
      process.kill();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the manager " + name, e);
    } finally {
      channels.closeEndpoint(registration);
      synchronized (lock) {
        if (launching == process) {
          launching = null;
        }
      }
    }
  }

  /** Watches a manager process that has become {@link #current}: its link closes when it exits. */
  private void watch(Incarnation incarnation) {
    incarnation.link().startReader("multiprocessing4j-" + name + "-link", frame -> { },
        cause -> onLinkClosed(incarnation));
  }

  /**
   * The manager is long-lived and busy: unlike short-lived children it gets the optimizing compiler
   * (the default options minus the C1-only pair), then the user's options.
   */
  private List<String> managerJvmOptions() {
    return Stream.concat(ProcessOptions.DEFAULT_JVM_OPTIONS.stream()
            .filter(option -> !option.startsWith("-XX:TieredStopAtLevel") && !option.startsWith("-XX:CICompilerCount")),
        options.jvmOptions().stream())
        .toList();
  }

  private FrameChannel<Frame> awaitRegistration(CompletableFuture<FrameChannel<Frame>> admitted, Process process)
      throws InterruptedException, TimeoutException {
    long limit = Timeouts.nanos(options.startTimeout());
    long deadline = System.nanoTime() + limit;
    while (true) {
      try {
        return admitted.get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException notYet) {
        if (!process.isAlive()) {
          throw new IllegalStateException("its process exited with code " + process.exitCode().orElse(-1));
        }
        if (limit >= 0 && System.nanoTime() - deadline > 0) {
          throw new TimeoutException("not ready after " + options.startTimeout());
        }
      } catch (ExecutionException impossible) {
        throw new IllegalStateException(impossible.getCause());
      }
    }
  }

  /**
   * The manager process's link to this parent ended: it exited or died. A restart starts the new
   * process outside {@link #lock} (see {@link #launch}); it becomes {@link #current}, and counts in
   * {@link #restarts()}, once ready. Until then, calls fail as with a dead manager.
   */
  private void onLinkClosed(Incarnation incarnation) {
    String exit = exitDescription(incarnation.process());
    synchronized (lock) {
      if (shutDown || current != incarnation) {
        return;
      }
      deleteSocketDirectory(incarnation.address());
      if (options.restart() != ManagerOptions.Restart.ON_FAILURE || restarts >= options.maxRestarts()) {
        LOG.warn("manager {} died ({}); its proxies now fail with ManagerDiedException", incarnation.address(), exit);
        return;
      }
      LOG.warn("manager {} died ({}); starting a new, empty one (restart {} of {}); the objects it held are lost",
          incarnation.address(), exit, restarts + 1, options.maxRestarts());
    }
    Incarnation next;
    try {
      next = launch();
    } catch (IllegalStateException e) {
      synchronized (lock) {
        if (shutDown) {
          LOG.debug("restart of manager {} given up: shut down meanwhile", name, e);
          return;
        }
      }
      LOG.error("could not restart manager {}", name, e);
      return;
    }
    boolean installed;
    synchronized (lock) {
      installed = !shutDown;
      if (installed) {
        current = next;
        restarts++;
      }
    }
    if (installed) {
      watch(next);
    } else {
      stop(next);
    }
  }

  private static String exitDescription(Process process) {
    try {
      process.join(Duration.ofSeconds(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitCode().isPresent() ? "exit code " + process.exitCode().getAsInt() : "still exiting";
  }

  /** A new dict in the manager. Python's {@code manager.dict()}; throws {@link ManagerDiedException} if it is gone. */
  public <K, V> DictProxy<K, V> dict() {
    ManagerAddress address = address();
    return new DictProxy<>(address, create(address, "dict"));
  }

  /** A new list in the manager. Python's {@code manager.list()}. */
  public <E> ListProxy<E> list() {
    ManagerAddress address = address();
    return new ListProxy<>(address, create(address, "list"));
  }

  /** A new namespace in the manager. Python's {@code manager.Namespace()}. */
  public NamespaceProxy namespace() {
    ManagerAddress address = address();
    return new NamespaceProxy(address, create(address, "namespace"));
  }

  /** A new unbounded queue in the manager. Python's {@code manager.Queue()}. */
  public <E> QueueProxy<E> queue() {
    return queue(0);
  }

  /**
   * A new queue in the manager holding at most {@code maxsize} items; 0 or less means unbounded, the
   * same rule as {@link Multiprocessing#queue(int)}. Python's {@code manager.Queue(maxsize)}.
   */
  public <E> QueueProxy<E> queue(int maxsize) {
    ManagerAddress address = address();
    return new QueueProxy<>(address, create(address, "queue", QueueOptions.unboundedUnlessPositive(maxsize)));
  }

  /** A new robust lock in the manager. Python's {@code manager.Lock()}. */
  public LockProxy lock() {
    ManagerAddress address = address();
    return new LockProxy(address, create(address, "lock"));
  }

  /** A new event in the manager. Python's {@code manager.Event()}. */
  public EventProxy event() {
    ManagerAddress address = address();
    return new EventProxy(address, create(address, "event"));
  }

  private long create(ManagerAddress address, String kind, Object... args) {
    Object[] call = new Object[args.length + 1];
    call[0] = kind;
    System.arraycopy(args, 0, call, 1, args.length);
    return (Long) BaseProxy.answerRegardlessOfInterruptStatus(address, 0, "create", call);
  }

  private ManagerAddress address() {
    synchronized (lock) {
      if (shutDown) {
        throw new IllegalStateException("the manager " + name + " has been shut down");
      }
      return current.address();
    }
  }

  /** The pid of the current manager process. */
  public long pid() {
    synchronized (lock) {
      return current.address().pid();
    }
  }

  /** How many times the manager process has been restarted after dying. */
  public int restarts() {
    synchronized (lock) {
      return restarts;
    }
  }

  private static final Duration SHUTDOWN_ANSWER_LIMIT = Duration.ofSeconds(5);

  /**
   * Stops the manager process: asks it to exit (it has 5 seconds to answer), waits up to 10 seconds
   * for it to exit, then kills it. Its objects are gone afterwards. A restart in progress is given up
   * (the process being started is killed), so this does not wait for it. Idempotent. Python's
   * {@code shutdown()}.
   */
  public void shutdown() {
    Incarnation last;
    Process starting;
    synchronized (lock) {
      if (shutDown) {
        return;
      }
      shutDown = true;
      last = current;
      starting = launching;
    }
    if (starting != null) {
      // A restart in progress: its process is not ready to be asked to exit, so it is killed.
      starting.kill();
      try {
        starting.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stop(last);
  }

  /** Asks a manager process to exit, waits for it (killing it if need be) and releases what it held. */
  private void stop(Incarnation last) {
    try {
      // Asked on a thread of its own and waited for with a limit: a manager that does not answer
      // (stuck, or busy for ever) must not hang the caller; killing it ends that call too.
      CompletableFuture<Void> asked = new CompletableFuture<>();
      Thread ask = new Thread(() -> {
        try {
          ManagerClient.call(last.address(), 0, "shutdown");
          asked.complete(null);
        } catch (InterruptedException | RuntimeException e) {
          asked.completeExceptionally(e);
        }
      }, "multiprocessing4j-" + name + "-shutdown");
      ask.setDaemon(true);
      ask.start();
      try {
        asked.get(SHUTDOWN_ANSWER_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException noAnswer) {
        last.process().kill();
      }
      if (!last.process().join(Duration.ofSeconds(10))) {
        last.process().kill();
      }
    } catch (InterruptedException e) {
      last.process().kill();
      Thread.currentThread().interrupt();
    } finally {
      ManagerClient.disconnect(last.address());
      last.link().close();
      deleteSocketDirectory(last.address());
    }
  }

  /** A manager deletes its socket's private directory when it exits; one that was killed cannot. */
  private static void deleteSocketDirectory(ManagerAddress address) {
    Path socket = Path.of(address.endpoint().socketPath());
    Path directory = socket.getParent();
    if (directory == null || !ManagerServer.isSocketDirectory(directory)) {
      return;
    }
    try {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(directory);
    } catch (IOException e) {
      LOG.debug("could not delete {}", directory, e);
    }
  }

  /** Same as {@link #shutdown()}. */
  @Override
  public void close() {
    shutdown();
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "<Manager " + name + " pid=" + current.address().pid() + (shutDown ? " shut down" : "")
          + (restarts > 0 ? " restarts=" + restarts : "") + ">";
    }
  }
}
