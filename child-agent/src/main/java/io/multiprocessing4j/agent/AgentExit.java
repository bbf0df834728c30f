package io.multiprocessing4j.agent;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.TargetFailed;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How an agent's JVM ends, from whichever thread decides it: the main thread when the target returns
 * (it reports and exits itself: waiting for the agent actor to be scheduled, or for its actor system to
 * finish booting, would keep the parent's {@code join()} waiting for nothing), or the agent actor for a
 * terminate, an orphaned idle agent or a failed connection. Exactly one exit wins.
 *
 * <p>A target that returns is not reported: the exit status 0 says all the parent needs, and a report
 * would only wake the parent's reader while the JVM exits. A failure is reported with its stack trace.
 */
final class AgentExit {
  private final String name;
  private final ParentWatch parentWatch;
  private final AtomicBoolean claimed = new AtomicBoolean();
  private volatile FrameChannel<Frame> channel;
  /**
   * The shutdown hook that releases the readers and runs the {@link ExitWork} when the target calls
   * System.exit itself, once registered.
   */
  private Thread targetsExitHook;
  /** Set by the agent actor, read by the main thread when the target ends. */
  volatile boolean parentGone;
  /** Set by the agent actor or the link's reader (see {@link #terminateTarget}). */
  volatile boolean terminating;

  AgentExit(String name, ParentWatch parentWatch) {
    this.name = name;
    this.parentWatch = parentWatch;
  }

  /**
   * A terminate has come while the target runs: from now on its end means the terminated status, the
   * main thread, which runs it, is interrupted, and a target still running after {@code reaction} is
   * halted with the terminated status (as the agent actor would, without waiting for its boot).
   */
  void terminateTarget(Thread mainThread, Duration reaction) {
    terminating = true;
    mainThread.interrupt();
    CompletableFuture.delayedExecutor(reaction.toNanos(), TimeUnit.NANOSECONDS, Runnable::run).execute(this::terminated);
  }

  /** Whether an exit has begun. */
  boolean claimed() {
    return claimed.get();
  }

  /** The link to the parent, once connected: where the target's end is reported. */
  void attach(FrameChannel<Frame> channel) {
    this.channel = channel;
  }

  /**
   * From now on, an exit that the target starts itself ({@code System.exit}) releases the blocked
   * readers and runs the {@link ExitWork} too. Must be called before the target can start: once the
   * JVM is shutting down, no hook can be added.
   */
  synchronized void hookTargetsOwnExit() {
    targetsExitHook = new Thread(() -> {
      releaseBlockedReaders();
      ExitWork.runAll();
    }, "multiprocessing4j-target-exit");
    Runtime.getRuntime().addShutdownHook(targetsExitHook);
  }

  /**
   * Reports a failure, then exits with Python's status (or, if a terminate came first, with the
   * terminated status).
   *
   * @param failure what the target threw, or null if it returned
   */
  void targetEnded(Throwable failure) {
    if (terminating) {
      terminated();
      return;
    }
    if (!claimed.compareAndSet(false, true)) {
      return;
    }
    if (failure == null) {
      releaseBlockedReaders();
      exitWithHooks(ChildMain.EXIT_OK);
      return;
    }
    // Python prints "Process <name>:" and the traceback on the child's stderr.
    System.err.println("Process " + ChildRuntime.current().map(ChildRuntime::name).orElse(name) + ":");
    failure.printStackTrace(System.err);
    FrameChannel<Frame> link = channel;
    if (!parentGone && link != null) {
      try {
        link.send(Frame.newBuilder().setTargetFailed(TargetFailed.newBuilder()
            .setExitCode(ChildMain.EXIT_FAILED).setFailure(Payloads.failure(failure))).build());
      } catch (IOException e) {
        // The parent is gone; the exit status still tells the story to whoever waits for us.
      }
    }
    releaseBlockedReaders();
    exitWithHooks(ChildMain.EXIT_FAILED);
  }

  /** Exits with {@code status} unless another exit already won. */
  void exit(int status) {
    if (claimed.compareAndSet(false, true)) {
      releaseBlockedReaders();
      exitWithHooks(status);
    }
  }

  /**
   * Runs the {@link ExitWork} on this thread, then the JVM's shutdown hooks, and exits, without the
   * hook that would release the readers and run the exit work again: each hook is a thread started on
   * the way out.
   */
  private void exitWithHooks(int status) {
    synchronized (this) {
      if (targetsExitHook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(targetsExitHook);
        } catch (IllegalStateException shuttingDown) {
          // The target's own System.exit won the race; the hook runs, harmlessly.
        }
        targetsExitHook = null;
      }
    }
    ExitWork.runAll();
    ChildMain.exit(status);
  }

  /** Halts with the terminated status unless another exit already won. */
  void terminated() {
    if (claimed.compareAndSet(false, true)) {
      releaseBlockedReaders();
      ChildMain.halt(ChildMain.EXIT_TERMINATED);
    }
  }

  /**
   * Threads blocked in native reads would hold the JVM's exit up: it polls, every 10 ms and for up to
   * 300 ms, until no thread is in native code. Closing their channels wakes them, and returns once they
   * are out of their reads (the JDK's close waits for that). Both are woken before either is waited
   * for: the link's reader gets its end-of-file while stdin's close waits for the parent watch, so the
   * exit waits for one wake-up, not two in a row (each is a wait for a CPU on a busy machine).
   */
  void releaseBlockedReaders() {
    FrameChannel<Frame> link = channel;
    if (link != null) {
      link.shutdownInput();
    }
    parentWatch.stop();
    if (link != null) {
      link.close();
    }
  }
}
