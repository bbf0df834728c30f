package io.multiprocessing4j.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The pool actor's inbox for its frequent commands (submissions, chunks ready, results, settled jobs),
 * which arrive by the thousand per second. They are queued here and the actor is sent one
 * {@link PoolActor.Drain} for a whole burst, instead of one message each: the actor then handles the
 * burst in one go and dispatches (and writes to each worker) once for all of it, and the dispatcher it
 * runs on is entered once per burst instead of once per command.
 *
 * <p>Order: commands are drained in the order they were queued, and a command queued before a
 * message told to the actor directly is drained before that message is handled (a {@code Drain} is
 * either told when the command is queued or already waiting in the mailbox).
 */
public final class PoolInbox {
  private static final int MAX_PER_DRAIN = 4096;
  private final ConcurrentLinkedQueue<PoolActor.Command> commands = new ConcurrentLinkedQueue<>();
  /** A {@code Drain} is in the actor's mailbox and has not started yet. */
  private final AtomicBoolean drainPending = new AtomicBoolean();
  private volatile ActorRef<PoolActor.Command> actor;

  /** Names the actor that drains this inbox; called once, right after it is spawned, before any {@link #add}. */
  public void deliverTo(ActorRef<PoolActor.Command> actor) {
    this.actor = actor;
  }

  /** Queues a command for the actor, from any thread. */
  void add(PoolActor.Command command) {
    commands.add(command);
    if (!drainPending.get() && drainPending.compareAndSet(false, true)) {
      actor.tell(PoolActor.Drain.INSTANCE);
    }
  }

  /**
   * Hands the queued commands to {@code handler}, on the actor, at most {@link #MAX_PER_DRAIN} of them
   * (the rest are announced by a new {@code Drain}, so a flood of results never holds up a
   * {@code Terminate}). The flag is cleared before the queue is read, so a command queued meanwhile is
   * either seen here or announced by a new {@code Drain}.
   */
  void drain(Consumer<PoolActor.Command> handler) {
    drainPending.set(false);
    PoolActor.Command command;
    for (int handled = 0; handled < MAX_PER_DRAIN && (command = commands.poll()) != null; handled++) {
      handler.accept(command);
    }
    if (!commands.isEmpty() && drainPending.compareAndSet(false, true)) {
      actor.tell(PoolActor.Drain.INSTANCE);
    }
  }
}
