package io.multiprocessing4j.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RelayMessage;
import io.multiprocessing4j.wire.FrameLink;
import java.io.IOException;
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

/**
 * A handle's connection to its broker from a JVM on another machine: the frames a local socket would
 * carry ({@link RemoteCalls} uses either alike), relayed over Pekko remoting to the handle's
 * {@link RelaySession} in the parent. Frames arrive at an inbox actor of this JVM, which watches the
 * session: the parent exiting, or going silent past the failure detector's pause, ends the link as a
 * closed socket would.
 *
 * <p>Closing sends an end after everything sent before and waits (a few seconds at most) for the
 * session to confirm it, so what a handle posted just before its JVM exits still reaches the broker.
 */
final class RelayLink implements FrameLink<Frame> {
  /** How long {@link #close()} waits for the session to confirm the end. */
  private static final long CLOSE_MILLIS = 5_000;

  /** Tells the inbox to watch its session, once the gateway opened it. */
  private record WatchSession(ActorRef<RelayMessage> session) {}

  private final ActorRef<Object> inbox;
  private final Relay.Receiver fromSession;
  private volatile ActorRef<RelayMessage> session;
  private volatile Relay.Sender toSession;
  /** Completed with the reason the session ended (or the inbox stopped). */
  private final CompletableFuture<String> ended = new CompletableFuture<>();
  private final ArrayDeque<Frame> early = new ArrayDeque<>();
  private Consumer<Frame> onFrame;
  private Consumer<Throwable> onClosed;
  private volatile boolean closed;

  RelayLink(ActorSystem<?> system, int maxFrameBytes) {
    this.fromSession = new Relay.Receiver(maxFrameBytes);
    this.inbox = system.systemActorOf(inboxBehavior(), "relay-" + UUID.randomUUID(), Props.empty());
  }

  /** Where the session sends this link's frames. */
  ActorRef<RelayMessage> inbox() {
    return inbox.narrow();
  }

  /** The gateway opened the session: frames may be sent now. */
  void attach(ActorRef<RelayMessage> opened) {
    session = opened;
    toSession = new Relay.Sender(opened::tell);
    inbox.tell(new WatchSession(opened));
  }

  /** The gateway refused or never answered: the link ends before it began. */
  void abandon(String reason) {
    ended.complete(reason);
    inbox.tell(Relay.end(reason));
  }

  private Behavior<Object> inboxBehavior() {
    return Behaviors.receive(Object.class)
        .onMessage(WatchSession.class, watch -> watched(watch.session()))
        .onMessage(RelayMessage.class, this::onRelay)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> {
          end("this JVM's remote link was shut down");
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Object> watched(ActorRef<RelayMessage> watchedSession) {
    return Behaviors.setup(context -> {
      context.watch(watchedSession);
      return Behaviors.receive(Object.class)
          .onMessage(RelayMessage.class, this::onRelay)
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

  private Behavior<Object> onRelay(RelayMessage message) {
    switch (message.getOpCase()) {
      case CHUNK:
        try {
          ByteString frame = fromSession.take(message.getChunk());
          if (frame != null) {
            deliver(Frame.parseFrom(frame));
          }
        } catch (InvalidProtocolBufferException e) {
          end("the parent sent a malformed frame: " + e.getMessage());
          return Behaviors.stopped();
        } catch (IOException e) {
          end(e.getMessage());
          return Behaviors.stopped();
        }
        RelayMessage ack = fromSession.ackDue();
        ActorRef<RelayMessage> to = session;
        if (ack != null && to != null) {
          to.tell(ack);
        }
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

  private void end(String reason) {
    Relay.Sender sender = toSession;
    if (sender != null) {
      sender.end(reason);
    }
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
    closed = true;
    ActorRef<RelayMessage> opened = session;
    if (opened != null && !ended.isDone()) {
      opened.tell(Relay.end("closed"));
    }
    try {
      ended.get(CLOSE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Unconfirmed: the session ends when it notices this JVM has gone.
    }
    end("closed");
    inbox.tell(Relay.end("closed"));
  }
}
