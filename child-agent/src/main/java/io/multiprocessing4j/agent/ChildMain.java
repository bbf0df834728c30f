package io.multiprocessing4j.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.multiprocessing4j.proto.Bootstrap;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.wire.FrameChannel;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Main class of every child JVM. Reads the bootstrap from stdin, boots the agent, then waits for the
 * target and runs it on this (the main) thread, so the target sees an ordinary Java main thread.
 *
 * <p>Exit status follows Python's rules: 0 when the target returns, 1 when it throws (the stack trace
 * is printed on stderr first, as Python prints its traceback), whatever {@code System.exit(n)} says if
 * the target calls it, and 128 + 15 after a terminate request (seen by the parent as -15).
 */
public final class ChildMain {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_TERMINATED = 128 + 15;

  private ChildMain() {}

  public static void main(String[] args) throws Exception {
    // The bootstrap is read unbuffered so nothing after it is consumed from the pipe by accident.
    Bootstrap bootstrap = Bootstrap.parseDelimitedFrom(new FileInputStream(FileDescriptor.in));
    if (bootstrap == null) {
      System.err.println("multiprocessing4j child: no bootstrap on stdin; this class is started by a parent");
      System.exit(2);
      return;
    }
    runAgent(bootstrap, true);
  }

  /**
   * Boots the agent for {@code bootstrap} and serves the main thread until the agent exits the JVM.
   *
   * @param watchParent whether stdin's end-of-file means the parent died (false for a training run,
   *     which has no parent on its stdin)
   */
  static void runAgent(Bootstrap bootstrap, boolean watchParent) {
    long pid = ProcessHandle.current().pid();
    ChildRuntime.install(new ChildRuntime(bootstrap.getName(), pid, bootstrap.getDaemon(),
        bootstrap.getParentPid(), bootstrap.getParentName()));

    // Connecting and authenticating overlap with booting the actor system, the slowest step here.
    CompletableFuture<FrameChannel<Frame>> connection = new CompletableFuture<>();
    Thread connect = new Thread(() -> {
      try {
        connection.complete(AgentActor.connect(bootstrap));
      } catch (RuntimeException e) {
        connection.completeExceptionally(e);
      }
    }, "multiprocessing4j-agent-connect");
    connect.setDaemon(true);
    connect.start();

    ParentWatch parentWatch = new ParentWatch();
    BlockingQueue<Runnable> mainThreadWork = new LinkedBlockingQueue<>();
    ActorSystem<AgentActor.Command> system = ActorSystem.create(
        AgentActor.create(bootstrap, connection, Thread.currentThread(), mainThreadWork, parentWatch),
        "agent", agentConfig());
    if (watchParent) {
      parentWatch.start(() -> {
        if (ChildRuntime.current().map(ChildRuntime::daemon).orElse(true)) {
          // A daemon child never outlives its parent.
          halt(EXIT_TERMINATED);
        }
        system.tell(AgentActor.ParentGone.INSTANCE);
      });
    }

    while (true) {
      Runnable work;
      try {
        work = mainThreadWork.take();
      } catch (InterruptedException terminateBeforeTargetStarted) {
        continue;
      }
      work.run();
    }
  }

  /**
   * A local actor system for one agent: no remoting, two threads at most, quiet unless wrong. Pekko's
   * own warnings go to stderr through its plain logger, so booting an agent does not initialize the
   * SLF4J backend (tens of milliseconds); a target that logs through SLF4J initializes it when it does.
   */
  public static Config agentConfig() {
    return ConfigFactory.parseString(String.join("\n",
        "pekko.loggers = [\"org.apache.pekko.event.Logging$DefaultLogger\"]",
        "pekko.logging-filter = \"org.apache.pekko.event.DefaultLoggingFilter\"",
        "pekko.loglevel = WARNING",
        "pekko.stdout-loglevel = WARNING",
        "pekko.log-dead-letters = off",
        "pekko.log-dead-letters-during-shutdown = off",
        "pekko.jvm-shutdown-hooks = off",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 2",
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.internal-dispatcher.fork-join-executor.parallelism-max = 1"))
        .withFallback(ConfigFactory.load());
  }

  /** Flushes what the target printed, then exits with Python's exit status. */
  static void exit(int status) {
    System.out.flush();
    System.err.flush();
    System.exit(status);
  }

  static void halt(int status) {
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(status);
  }
}
