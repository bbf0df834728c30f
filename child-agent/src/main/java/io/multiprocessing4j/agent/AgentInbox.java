package io.multiprocessing4j.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The agent actor's mailbox before its actor system exists. A spawned child runs its target as soon as
 * it has arrived, and boots its actor system only when something needs the actor: a frame from the
 * parent (a terminate), the link closing, the parent's death, a warm agent's or failed connection's
 * start, or the target having run for a while (see {@link ChildMain}). A short target therefore never
 * competes with the boot for the CPU. Messages that arrive before the actor are held here, in order,
 * and handed over when it attaches; an urgent one asks for the boot.
 */
final class AgentInbox {
  private final CompletableFuture<Void> needed = new CompletableFuture<>();
  private final AgentExit exit;
  private final List<AgentActor.Command> held = new ArrayList<>();
  private ActorRef<AgentActor.Command> actor;

  AgentInbox(AgentExit exit) {
    this.exit = exit;
  }

  /** Delivers {@code message} and, unless the JVM is already on its way out, asks for the actor now. */
  void urgent(AgentActor.Command message) {
    deliver(message);
    if (!exit.claimed()) {
      needed.complete(null);
    }
  }

  /** Delivers {@code message} without asking for the actor. */
  synchronized void deliver(AgentActor.Command message) {
    if (actor != null) {
      actor.tell(message);
    } else {
      held.add(message);
    }
  }

  synchronized void attach(ActorRef<AgentActor.Command> actor) {
    this.actor = actor;
    held.forEach(actor::tell);
    held.clear();
  }

  /** Waits until the actor is needed, or for {@code limit} at most. */
  void awaitNeed(Duration limit) {
    try {
      needed.get(limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Long enough: the actor is booted anyway.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
