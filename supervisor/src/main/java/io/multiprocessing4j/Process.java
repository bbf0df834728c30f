package io.multiprocessing4j;

import io.multiprocessing4j.agent.ChildRuntime;
import io.multiprocessing4j.internal.EndCopies;
import io.multiprocessing4j.internal.Timeouts;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child JVM running one target: the equivalent of Python's {@code multiprocessing.Process}. Created
 * by {@link Multiprocessing#process}; a thin blocking layer over {@link ProcessSupervisor}.
 *
 * <p>States, as in Python: INITIAL (created), STARTED ({@link #start()} was called; the child may since
 * have exited) and CLOSED ({@link #close()}). Every method may be called from any thread.
 */
public final class Process {
  private enum State { INITIAL, STARTED, CLOSED }

  private final Multiprocessing context;
  private final SerializableRunnable target;
  private final ProcessOptions options;
  private State state = State.INITIAL;
  private long id = -1;
  private long pid = -1;
  private CompletableFuture<ProcessSupervisor.Exited> exit;
  private ProcessHandle handle;

  Process(Multiprocessing context, SerializableRunnable target, ProcessOptions options) {
    this.context = context;
    this.target = target;
    this.options = options;
  }

  /**
   * Starts the child: serializes the target, launches a JVM for it and returns once the OS process
   * exists (its pid is known); the target then runs in the child. Python's {@code Process.start()}.
   * Not interruptible: an interrupt while it waits for the pid is kept for the caller, and the start
   * completes, so that no child is launched that this object does not know.
   *
   * @throws PicklingException if the target or a value it captures cannot be serialized, or it
   *     serializes to more than the child's channel carries in one frame; nothing is started then
   * @throws IllegalStateException if this process was already started or closed, the context is
   *     closed, or this JVM is a daemon child (daemonic processes may not have children)
   * @throws java.io.UncheckedIOException if the child JVM could not be launched
   */
  public synchronized void start() {
    if (state == State.STARTED) {
      throw new IllegalStateException("cannot start a process twice: " + this);
    }
    checkNotClosed();
    if (ChildRuntime.current().map(ChildRuntime::daemon).orElse(false)) {
      throw new IllegalStateException("daemonic processes are not allowed to have children (this JVM is daemon "
          + ChildRuntime.current().get().name() + ")");
    }
    EndCopies copies = new EndCopies();
    ProcessSpec spec = EndCopies.record(copies, () -> ProcessSpec.of(target, options));
    Multiprocessing.StartedChild child;
    try {
      child = context.startChild(spec, this);
    } catch (RuntimeException | Error e) {
      copies.release();
      throw e;
    }
    id = child.started().id();
    pid = child.started().pid();
    handle = ProcessHandle.of(pid).orElse(null);
    exit = child.exit();
    state = State.STARTED;
    // A pipe end in the target that the child never read (it died first) is held open by it no longer.
    exit.whenCompleteAsync((exited, error) -> copies.release());
  }

  /**
   * Waits until the child exits. Python's {@code join()}.
   *
   * @throws IllegalStateException if the process was not started or is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public void join() throws InterruptedException {
    CompletableFuture<ProcessSupervisor.Exited> exited = startedExit("join");
    try {
      exited.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("supervision of " + name() + " failed", e.getCause());
    }
  }

  /**
   * Waits at most {@code timeout} for the child to exit. Python's {@code join(timeout)}: a null
   * timeout (Python's {@code None}) or one longer than 100 years waits without a limit, a negative one
   * does not wait.
   *
   * @return true if the child has exited, false if the timeout passed first
   * @throws IllegalStateException if the process was not started or is closed
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean join(Duration timeout) throws InterruptedException {
    CompletableFuture<ProcessSupervisor.Exited> exited = startedExit("join");
    try {
      long nanos = Timeouts.nanos(timeout);
      if (nanos < 0) {
        exited.get();
      } else {
        exited.get(nanos, TimeUnit.NANOSECONDS);
      }
      return true;
    } catch (TimeoutException e) {
      // Not if the OS has reaped the child (isAlive() is false) and its exit is being reported.
      return reportedExit(exited) != null;
    } catch (ExecutionException e) {
      throw new IllegalStateException("supervision of " + name() + " failed", e.getCause());
    }
  }

  /**
   * Whether the child is running: started and not yet exited. Backed by the OS process handle, so it
   * turns false as soon as the OS has reaped the child, however it died. Never blocks. Python's
   * {@code is_alive()}.
   *
   * @throws IllegalStateException if this process object is closed
   */
  public synchronized boolean isAlive() {
    checkNotClosed();
    return isRunning();
  }

  /** {@link #isAlive()} in any state: false once closed. */
  synchronized boolean isRunning() {
    if (state != State.STARTED || exit.isDone()) {
      return false;
    }
    return handle != null && handle.isAlive();
  }

  /**
   * Ask the child to stop: its target is interrupted, and if it has not exited within the terminate
   * grace period ({@link ProcessOptions#terminateGrace()}) it is killed. Returns at once; exit code
   * -15 (or -9 when it had to be killed). Safe in any state; does nothing if not running.
   * Python's {@code terminate()}.
   */
  public synchronized void terminate() {
    if (state == State.STARTED && !exit.isDone()) {
      context.supervisor().tell(new ProcessSupervisor.Terminate(id));
    }
  }

  /** Kills the child with SIGKILL (exit code -9). Returns at once; safe in any state. Python's {@code kill()}. */
  public synchronized void kill() {
    if (state == State.STARTED && !exit.isDone()) {
      context.supervisor().tell(new ProcessSupervisor.Kill(id));
    }
  }

  /**
   * Python's {@code exitcode}: empty while the child has not been started or is running; 0 after a
   * normal return, 1 if the target threw, n after {@code System.exit(n)}, -N if it died of signal N.
   * Never blocks for long (at most a moment when the OS has reaped the child but its exit is still
   * being reported).
   *
   * @throws IllegalStateException if this process object is closed (Python raises {@code ValueError})
   */
  public OptionalInt exitCode() {
    CompletableFuture<ProcessSupervisor.Exited> exited;
    synchronized (this) {
      checkNotClosed();
      if (state != State.STARTED) {
        return OptionalInt.empty();
      }
      exited = exit;
    }
    ProcessSupervisor.Exited result = reportedExit(exited);
    return result == null ? OptionalInt.empty() : OptionalInt.of(result.exitCode());
  }

  /**
   * The started child's exit, or null while it runs. When the OS has already reaped the child (so
   * {@link #isAlive()} is false) but its exit is still being reported, waits a moment for the report,
   * so that what {@code isAlive()} said is not contradicted. Call without holding this object's lock.
   */
  private ProcessSupervisor.Exited reportedExit(CompletableFuture<ProcessSupervisor.Exited> exited) {
    if (!exited.isDone() && (handle == null || !handle.isAlive())) {
      try {
        exited.get(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        return null;
      }
    }
    return exited.getNow(null);
  }

  /**
   * The child's OS pid; empty before {@link #start()}. Python's {@code pid}.
   *
   * @throws IllegalStateException if this process object is closed
   */
  public synchronized OptionalLong pid() {
    checkNotClosed();
    return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
  }

  /** The process name, e.g. {@code Process-1}. Python's {@code name}. */
  public String name() {
    return options.name();
  }

  /** Python's {@code daemon}. */
  public boolean isDaemon() {
    return options.daemon();
  }

  /**
   * Releases this object; the equivalent of Python's {@code Process.close()}. As in Python, a closed
   * process can no longer be started, joined or asked its pid, exit code or liveness (those throw
   * {@link IllegalStateException}); its name, daemon flag and {@link #toString()} remain, and
   * {@link #terminate()} and {@link #kill()} do nothing. Idempotent. A child that {@link #isAlive()}
   * no longer reports as alive can always be closed (this waits a moment if its exit is still being
   * reported).
   *
   * @throws IllegalStateException if the child is still running
   */
  public void close() {
    CompletableFuture<ProcessSupervisor.Exited> exited;
    synchronized (this) {
      exited = state == State.STARTED ? exit : null;
    }
    if (exited != null && reportedExit(exited) == null) {
      throw new IllegalStateException("cannot close a process while it is still running; join() or terminate() first: "
          + this);
    }
    synchronized (this) {
      state = State.CLOSED;
    }
  }

  /**
   * The child's stack trace if its target threw; empty otherwise or while it runs.
   *
   * @throws IllegalStateException if this process object is closed
   */
  public java.util.Optional<String> remoteTraceback() {
    CompletableFuture<ProcessSupervisor.Exited> exited;
    synchronized (this) {
      checkNotClosed();
      if (state != State.STARTED) {
        return java.util.Optional.empty();
      }
      exited = exit;
    }
    ProcessSupervisor.Exited result = reportedExit(exited);
    return result == null ? java.util.Optional.empty() : result.remoteTraceback();
  }

  synchronized boolean isStartedAndRunning() {
    return state == State.STARTED && !exit.isDone();
  }

  private synchronized CompletableFuture<ProcessSupervisor.Exited> startedExit(String operation) {
    checkNotClosed();
    if (state == State.INITIAL) {
      throw new IllegalStateException("can only " + operation + " a started process: " + this);
    }
    return exit;
  }

  /** Python's {@code _check_closed()}. */
  private synchronized void checkNotClosed() {
    if (state == State.CLOSED) {
      throw new IllegalStateException("process object is closed: " + this);
    }
  }

  /** Like Python's repr: {@code <Process name='Process-1' pid=123 parent=100 started daemon>}. */
  @Override
  public synchronized String toString() {
    StringBuilder text = new StringBuilder("<Process name='").append(name()).append('\'');
    if (pid >= 0) {
      text.append(" pid=").append(pid).append(" parent=").append(ProcessHandle.current().pid());
    }
    switch (state) {
      case INITIAL -> text.append(" initial");
      case CLOSED -> text.append(" closed");
      case STARTED -> {
        ProcessSupervisor.Exited result = exit.getNow(null);
        text.append(result == null ? " started" : " stopped exitcode=" + result.exitCode());
      }
    }
    if (isDaemon()) {
      text.append(" daemon");
    }
    return text.append('>').toString();
  }
}
