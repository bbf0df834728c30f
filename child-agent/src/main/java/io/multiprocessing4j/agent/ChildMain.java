package io.multiprocessing4j.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.multiprocessing4j.proto.Bootstrap;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Main class of every child JVM. Reads the bootstrap from stdin, boots the agent, then waits for the
 * target and runs it on this (the main) thread, so the target sees an ordinary Java main thread. A
 * spawned child's target starts as soon as it has arrived and been decoded (see {@code AgentActor.Link});
 * the agent's actor system boots when something needs it (see {@link AgentInbox}).
 *
 * <p>Exit status follows Python's rules: 0 when the target returns, 1 when it throws (the stack trace
 * is printed on stderr first, as Python prints its traceback), whatever {@code System.exit(n)} says if
 * the target calls it, and 128 + 15 after a terminate request (seen by the parent as -15).
 */
public final class ChildMain {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_TERMINATED = 128 + 15;
  /**
   * How long a running target may go without the agent's actor system when nothing needs it: a short
   * target ends before that and never shares the CPU with the boot.
   */
  static final Duration BOOT_DEFERRAL = Duration.ofSeconds(1);

  private ChildMain() {}

  public static void main(String[] args) throws Exception {
    // The bootstrap is read unbuffered so nothing after it is consumed from the pipe by accident.
    Bootstrap bootstrap = Bootstrap.parseDelimitedFrom(new FileInputStream(FileDescriptor.in));
    if (bootstrap == null) {
      System.err.println("multiprocessing4j child: no bootstrap on stdin; this class is started by a parent");
      System.exit(2);
      return;
    }
    // The configuration is parsed when the actor system boots: a short target never pays for it.
    runAgent(bootstrap, true, ChildMain::agentConfig);
  }

  /**
   * Loads the actor system's configuration (every {@code reference.conf} on the class path, parsed) on
   * a thread of its own: one of the slowest steps of a boot, and independent of the bootstrap, whose
   * reading initializes Protobuf meanwhile.
   */
  static CompletableFuture<Config> loadConfigInBackground() {
    return CompletableFuture.supplyAsync(ChildMain::agentConfig,
        task -> startDaemon("multiprocessing4j-agent-config", task));
  }

  private static void startDaemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Boots the agent for {@code bootstrap} and serves the main thread until the agent exits the JVM.
   *
   * @param watchParent whether stdin's end-of-file means the parent died (false for a training run,
   *     which has no parent on its stdin)
   */
  static void runAgent(Bootstrap bootstrap, boolean watchParent, Supplier<Config> config) {
    long pid = ProcessHandle.current().pid();
    ChildRuntime.install(new ChildRuntime(bootstrap.getName(), pid, bootstrap.getDaemon(),
        bootstrap.getParentPid(), bootstrap.getParentName()));

    // Three things happen at once: this thread waits for work (a spawned child's target can start as
    // soon as it is decoded), one thread connects, authenticates and decodes the target, and one boots
    // the actor system once something needs it (see AgentInbox): at once for a warm agent, else when
    // the parent sends a frame, the link closes, the parent dies or the target has run for a while.
    BlockingQueue<Runnable> mainThreadWork = new LinkedBlockingQueue<>();
    Thread mainThread = Thread.currentThread();
    ParentWatch parentWatch = new ParentWatch();
    AgentExit exit = new AgentExit(bootstrap.getName(), parentWatch);
    AgentInbox inbox = new AgentInbox(exit);
    if (watchParent) {
      parentWatch.start(() -> {
        if (ChildRuntime.current().map(ChildRuntime::daemon).orElse(true)) {
          // A daemon child never outlives its parent.
          halt(EXIT_TERMINATED);
        }
        inbox.urgent(AgentActor.ParentGone.INSTANCE);
      });
    }
    startDaemon("multiprocessing4j-agent-connect", () -> {
      try {
        AgentActor.connect(bootstrap, mainThread, mainThreadWork, exit, inbox);
      } catch (RuntimeException e) {
        inbox.urgent(new AgentActor.ConnectFailed(e));
      }
    });
    startDaemon("multiprocessing4j-agent-boot", () -> {
      // A training run has no target worth waiting for: it is there to load the actor system's classes.
      inbox.awaitNeed(watchParent ? BOOT_DEFERRAL : Duration.ZERO);
      inbox.attach(ActorSystem.create(AgentActor.create(bootstrap, mainThread, mainThreadWork, exit),
          "agent", config.get()));
    });

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
   * A local actor system for one agent: no remoting, two threads (a dispatcher and the scheduler), quiet
   * unless wrong. Pekko's own warnings go to stderr through its plain logger, so booting an agent does
   * not initialize the SLF4J backend (tens of milliseconds); a target that logs through SLF4J
   * initializes it when it does.
   *
   * <p>Every class, object and thread the boot creates stays resident in every child (a class loaded
   * from the class-data archive still dirties its metadata pages), so the agent starts only what it uses:
   * <ul>
   *   <li>no library extensions at boot: Pekko would load its serialization extension (every serializer
   *       and binding), and the typed layer its receptionist (one more actor); the agent never serializes
   *       a message through Pekko nor registers a service, and an extension still loads on first use;
   *   <li>one dispatcher thread, which is also the internal dispatcher: the agent's few messages need no
   *       parallelism, and every Java thread keeps ~100 KiB of its stack resident;
   *   <li>no deployments for Pekko IO's DNS resolver (it is never started here), so the deployer does
   *       not instantiate its router configurations;
   *   <li>a scheduler wheel of 64 buckets instead of 512: the agent schedules one timer at most (a
   *       terminate's deadline).
   * </ul>
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
        "pekko.library-extensions = []",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 1",
        "pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 1",
        "pekko.actor.internal-dispatcher = pekko.actor.default-dispatcher",
        "pekko.actor.deployment {",
        "  \"/IO-DNS/inet-address\" = null",
        "  \"/IO-DNS/inet-address/*\" = null",
        "  \"/IO-DNS/async-dns\" = null",
        "}",
        "pekko.scheduler.ticks-per-wheel = 64"))
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
