package io.multiprocessing4j;

import io.multiprocessing4j.internal.ChildProcess;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One child as {@link ProcessSupervisor} keeps track of it, from launch until its exit is reported:
 * the actor that supervises it, what the supervisor answers about it, and how to reach it when that
 * actor has stopped before the child exited (through the OS process handle). Confined to the
 * supervisor's actor.
 */
final class SupervisedChild {
  final ActorRef<ChildProcess.Command> actor;
  String name;
  boolean daemon;
  /** Who waits for the answer to its {@link ProcessSupervisor.Start}; null once answered. */
  ActorRef<ProcessSupervisor.StartResult> replyTo;
  long pid = -1;
  /**
   * The start handed to this idle agent, until the agent reports {@link ProcessSupervisor.Started}
   * (it took the target); should its exit come first, the supervisor launches this start afresh.
   */
  ProcessSupervisor.Start assigned;
  /** Warm agents are the supervisor's own: no events, not listed. */
  boolean internal;
  /** Its actor stopped before it exited: commands go to the OS process handle instead. */
  private boolean actorStopped;
  /**
   * A terminate or kill was asked for. A command told to an actor that has just stopped, before the
   * supervisor learned of it, is lost; {@link #onActorStopped()} applies it again through the OS.
   */
  private boolean terminateRequested;
  private boolean killRequested;

  SupervisedChild(ActorRef<ChildProcess.Command> actor, String name, boolean daemon,
      ActorRef<ProcessSupervisor.StartResult> replyTo, boolean internal) {
    this.actor = actor;
    this.name = name;
    this.daemon = daemon;
    this.replyTo = replyTo;
    this.internal = internal;
  }

  void replyOnce(ProcessSupervisor.StartResult result) {
    if (replyTo != null) {
      replyTo.tell(result);
      replyTo = null;
    }
  }

  /** Its actor stopped before the child exited: from now on, and for what was asked already, the OS handle. */
  void onActorStopped() {
    actorStopped = true;
    if (killRequested) {
      kill();
    } else if (terminateRequested) {
      terminate();
    }
  }

  /** Graceful stop through its actor; SIGTERM through the OS once that actor is gone. */
  void terminate() {
    terminateRequested = true;
    if (actorStopped) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    } else {
      actor.tell(ChildProcess.Terminate.INSTANCE);
    }
  }

  /** SIGKILL, through its actor or, once that actor is gone, through the OS. */
  void kill() {
    killRequested = true;
    if (actorStopped) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    } else {
      actor.tell(ChildProcess.Kill.INSTANCE);
    }
  }
}
