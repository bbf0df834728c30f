package io.multiprocessing4j.internal;

import io.multiprocessing4j.agent.ExitWork;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/**
 * What this process must give back when it exits normally: its counts in the user tables of named
 * blocks and barriers, and its doorbell's socket file. A normal exit (the target returned,
 * {@code System.exit}) runs these together, not in one JVM shutdown hook each (every hook is a thread
 * started on the way out): in a child, on the agent's exiting thread ({@link ExitWork}), so no hook
 * thread at all stands between its target's end and the parent's {@code join()}; in a top-level
 * program, in one shutdown hook. A crash or a kill runs nothing, and that is exactly how the others
 * tell a dead user from one that finished.
 *
 * <p>Process-wide on purpose, as shutdown hooks are: a handle deserialized in a child has no context.
 */
public final class ProcessAttachments {
  private static final Map<Object, Runnable> ON_EXIT = new ConcurrentHashMap<>();
  private static volatile boolean hookInstalled;

  private ProcessAttachments() {}

  /** Runs {@code release} when this JVM exits normally, unless {@link #cancel}led first. */
  public static void onExit(Object key, Runnable release) {
    installHook();
    ON_EXIT.put(key, release);
  }

  /** Forgets what {@link #onExit} registered under {@code key}; returns whether it was registered. */
  public static boolean cancel(Object key) {
    return ON_EXIT.remove(key) != null;
  }

  private static synchronized void installHook() {
    if (hookInstalled) {
      return;
    }
    hookInstalled = true;
    if (ExitWork.inChild()) {
      ExitWork.add(ProcessAttachments::releaseAll);
    } else {
      Runtime.getRuntime().addShutdownHook(new Thread(ProcessAttachments::releaseAll,
          "multiprocessing4j-release-shared-state"));
    }
  }

  private static void releaseAll() {
    for (Object key : ON_EXIT.keySet()) {
      Runnable release = ON_EXIT.remove(key);
      if (release == null) {
        continue;
      }
      try {
        release.run();
      } catch (RuntimeException | Error e) {
        LoggerFactory.getLogger(ProcessAttachments.class).debug("releasing {} at exit failed", key, e);
      }
    }
  }
}
