package io.multiprocessing4j.internal;

import com.google.protobuf.MessageLite;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RelayMessage;
import io.multiprocessing4j.wire.FrameLink;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A handle's connection to its broker from a JVM on another machine: the frames a local socket would
 * carry ({@link RemoteCalls} uses either alike), relayed over Pekko remoting to the handle's
 * {@link RelaySession} in the parent. Frames arrive at an inbox actor of this JVM, which watches the
 * session: the parent exiting, or going silent past the failure detector's pause, ends the link as a
 * closed socket would.
 *
 * <p>Closing sends an end after everything sent before and waits for the session to confirm it (for as
 * long as the session keeps acknowledging, else a few seconds), so what a handle posted just before its
 * JVM exits still reaches the broker.
 */
final class RelayLink implements FrameLink<Frame> {
  /**
   * How long {@link #close()} waits for the session to confirm the end while the session acknowledges
   * nothing: as long as it does, it is still taking in what was sent (over a slow network that takes
   * longer than any fixed wait), and closing earlier would cut that off.
   */
  static final Duration CLOSE_PATIENCE = Duration.ofSeconds(5);

  /** Tells the inbox to watch its session, once the gateway opened it. */
  private record WatchSession(ActorRef<RelayMessage> session) {}


  private final ActorRef<Object> inbox;
  private final Relay.Budget budget;
  private final Consumer<RelayLink> whenEnded;
  private final Relay.Receiver fromSession;
  private volatile ActorRef<RelayMessage> session;
  /** Where this link acknowledges the session's chunks. */
  private volatile ActorRef<RelayMessage> sessionAcks;
  private volatile Relay.Sender toSession;
  /** Completed with the reason the session ended (or the inbox stopped). */
  private final CompletableFuture<String> ended = new CompletableFuture<>();
  private final ArrayDeque<Frame> early = new ArrayDeque<>();
  private Consumer<Frame> onFrame;
  private Consumer<Throwable> onClosed;
  private volatile boolean closed;
  /** When {@link #requestEnd} was called ({@link System#nanoTime}). */
  private volatile long endRequestedNanos;

  /**
   * @param budget shared by every link of this JVM's connection to one context
   * @param whenEnded told once this link ends, however it does, before {@link #close()} returns
   */
  RelayLink(ActorSystem<?> system, Relay.Budget budget, int maxFrameBytes, Consumer<RelayLink> whenEnded) {
    this.budget = budget;
    this.whenEnded = whenEnded;
    this.fromSession = new Relay.Receiver(maxFrameBytes);
    this.inbox = system.systemActorOf(Behaviors.withTimers(timers -> inboxBehavior(timers)),
        "relay-" + UUID.randomUUID(), Props.empty());
  }

  /** Where the session sends this link's frames. */
  ActorRef<RelayMessage> inbox() {
    return inbox.narrow();
  }

  /** The gateway opened the session: frames may be sent now. */
  void attach(ActorRef<RelayMessage> opened, ActorRef<RelayMessage> acks) {
    sessionAcks = acks;
    session = opened;
    toSession = new Relay.Sender(opened::tell, budget);
    inbox.tell(new WatchSession(opened));
  }

  /** The gateway refused or never answered: the link ends before it began. */
  void abandon(String reason) {
    end(reason);
    inbox.tell(Relay.end(reason));
  }

  private Behavior<Object> inboxBehavior(TimerScheduler<Object> timers) {
    return Behaviors.receive(Object.class)
        .onMessage(WatchSession.class, watch -> watched(watch.session(), timers))
        .onMessage(RelayMessage.class, message -> onRelay(message, timers))
        .onMessage(Relay.FlushAck.class, flush -> flushAck(timers))
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
          end("this JVM's remote link was shut down");
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Object> watched(ActorRef<RelayMessage> watchedSession, TimerScheduler<Object> timers) {
    return Behaviors.setup(context -> {
      context.watch(watchedSession);
      return Behaviors.receive(Object.class)
          .onMessage(RelayMessage.class, message -> onRelay(message, timers))
          .onMessage(Relay.FlushAck.class, flush -> flushAck(timers))
          .onSignal(Terminated.class, terminated -> {
            end("the parent process that holds this pipe or queue is gone (or unreachable)");
            return Behaviors.stopped();
          })
          .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
            end("this JVM's remote link was shut down");
            return Behaviors.same();
          })
          .build();
    });
  }

  private Behavior<Object> flushAck(TimerScheduler<Object> timers) {
    // Before the gateway's answer named the acks actor, acknowledgements are held until it does.
    fromSession.flush(sessionAcks, timers);
    return Behaviors.same();
  }

  private Behavior<Object> onRelay(RelayMessage message, TimerScheduler<Object> timers) {
    switch (message.getOpCase()) {
      case CHUNK:
        try {
          Frame frame = fromSession.takeFrame(message.getChunk());
          if (frame != null) {
            deliver(frame);
          }
        } catch (IOException e) {
          end("from the parent: " + e.getMessage());
          return Behaviors.stopped();
        }
        fromSession.acknowledge(sessionAcks, timers);
        return Behaviors.same();
      case ACK:
        Relay.Sender sender = toSession;
        if (sender != null) {
          sender.acked(message.getAck());
        }
        return Behaviors.same();
      case END:
        end(message.getEnd().getReason());
        return Behaviors.stopped();
      default:
        return Behaviors.same();
    }
  }

  private void deliver(Frame frame) {
    Consumer<Frame> consumer;
    synchronized (this) {
      consumer = onFrame;
      if (consumer == null) {
        early.add(frame);
        return;
      }
    }
    consumer.accept(frame);
  }

  /** Ends this link; idempotent, and each call has told {@code whenEnded} when it returns. */
  private void end(String reason) {
    Relay.Sender sender = toSession;
    if (sender != null) {
      sender.end(reason);
    }
    whenEnded.accept(this);
    if (!ended.complete(reason)) {
      return;
    }
    Consumer<Throwable> closedHandler;
    synchronized (this) {
      closedHandler = onClosed;
      onClosed = null;
    }
    if (closedHandler != null) {
      closedHandler.accept(null);
    }
  }

  @Override
  public void send(MessageLite message) throws IOException {
    Relay.Sender sender = toSession;
    if (closed || sender == null || ended.isDone()) {
      throw new IOException("the remote link is closed");
    }
    sender.send(message.toByteArray());
  }

  @Override
  public void post(MessageLite message) throws IOException {
    send(message);
  }

  @Override
  public void flush() {
    // Pekko sends in order what was told: a later end, or any later frame, follows every earlier one.
  }

  @Override
  public void receive(String threadName, Consumer<Frame> frames, Consumer<Throwable> closedHandler) {
    // Frames are handed on by the inbox actor, one at a time; a frame that came before this call first.
    while (true) {
      Frame frame;
      synchronized (this) {
        frame = early.poll();
        if (frame == null) {
          onFrame = frames;
          onClosed = ended.isDone() ? null : closedHandler;
          break;
        }
      }
      frames.accept(frame);
    }
    if (ended.isDone()) {
      closedHandler.accept(null);
    }
  }

  @Override
  public boolean isClosed() {
    return closed || ended.isDone();
  }

  /** Ends the session after everything sent before, waiting a few seconds at most for it to confirm. */
  @Override
  public void close() {
    requestEnd();
    awaitEnd();
  }

  /** Asks the session to end after everything sent before (the first half of {@link #close()}). */
  void requestEnd() {
    endRequestedNanos = System.nanoTime();
    closed = true;
    ActorRef<RelayMessage> opened = session;
    Relay.Sender sender = toSession;
    if (opened != null && sender != null && !ended.isDone()) {
      sender.sendLast(Relay.end("closed"), CLOSE_PATIENCE);
    }
  }

  /**
   * Waits until the session confirmed the end, or acknowledged nothing for {@link #CLOSE_PATIENCE};
   * then ends this link in any case (the second half of {@link #close()}).
   */
  void awaitEnd() {
    try {
      while (true) {
        Relay.Sender sender = toSession;
        long progress = Math.max(endRequestedNanos, sender == null ? 0 : sender.lastAckNanos());
        long patience = progress + CLOSE_PATIENCE.toNanos() - System.nanoTime();
        if (patience <= 0) {
          break;
        }
        try {
          ended.get(patience, TimeUnit.NANOSECONDS);
          break;
        } catch (TimeoutException e) {
          // Acknowledged meanwhile? Then the session is still at it: wait on.
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // Never: the future is only completed normally.
    }
    // Unconfirmed: the session ends when it notices this JVM has gone.
    end("closed");
    inbox.tell(Relay.end("closed"));
  }
}
