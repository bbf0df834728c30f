package io.multiprocessing4j.agent;

import java.util.ArrayList;
import java.util.List;

/**
 * What the library must do when a child JVM exits normally, run by the agent on the exiting thread
 * instead of by a JVM shutdown hook of its own: the JDK starts a thread for every hook on the way out,
 * and a child's exit stands between its target's end and the parent's {@code join()}. The agent runs
 * this work before it calls {@code System.exit} (user shutdown hooks still run then), and from its
 * one shutdown hook when the target calls {@code System.exit} itself. Nothing runs on a halt (a
 * terminate, a daemon orphan) or a crash, as with a shutdown hook.
 *
 * <p>Only for this JVM when it is a child ({@link #inChild()}); a top-level program registers a
 * shutdown hook instead. Each piece of work runs at most once; one that throws does not stop the others
 * nor the exit.
 */
public final class ExitWork {
  private static final List<Runnable> WORK = new ArrayList<>();

  private ExitWork() {}

  /** Whether this JVM is a child whose agent runs the exit work ({@link ChildRuntime} is installed). */
  public static boolean inChild() {
    return ChildRuntime.current().isPresent();
  }

  /**
   * Adds {@code work} to what the agent runs on a normal exit of this child.
   *
   * @throws IllegalStateException if this JVM is not a child (see {@link #inChild()})
   */
  public static synchronized void add(Runnable work) {
    if (!inChild()) {
      throw new IllegalStateException("exit work is run by a child's agent; this JVM is not a child");
    }
    WORK.add(work);
  }

  /** Runs and forgets every piece of work added so far. */
  static void runAll() {
    List<Runnable> due;
    synchronized (ExitWork.class) {
      due = new ArrayList<>(WORK);
      WORK.clear();
    }
    for (Runnable work : due) {
      try {
        work.run();
      } catch (RuntimeException | Error e) {
        // The exit goes on: what is left undone is what a crash would have left.
      }
    }
  }
}
