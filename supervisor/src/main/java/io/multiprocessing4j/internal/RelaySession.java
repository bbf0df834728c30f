package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RelayMessage;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import java.io.IOException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One handle on another machine, as its broker sees it: the session actor connects to the broker's
 * endpoint on this host, exactly as a child's handle does, and relays the frames between that
 * connection and the remote handle ({@link RelayLink}) as {@link Relay} chunks. The broker needs to know
 * nothing of remoting: a remote JVM that closes its handle, exits or dies ends the connection, and the
 * broker does what it does for a child that did (a pipe end is closed, a JoinableQueue consumer's
 * unacknowledged items go back).
 *
 * <p>The remote handle is watched (Pekko DeathWatch: its JVM exiting, or silent past the failure
 * detector's pause); the connection's reader thread relays the broker's frames, waiting while the
 * remote side's window is full, so a slow remote reader holds the broker's writes back rather than
 * filling this heap. The session writes the remote handle's frames to the broker with blocking socket
 * writes, so it runs on Pekko's blocking-IO dispatcher, and the remote side's acknowledgements go to a
 * separate actor ({@link #acks}): a write that waits for the broker, whose own write to this connection
 * waits for the window, must not keep the acknowledgement that opens the window in this mailbox.
 */
final class RelaySession {
  /** The broker's connection ended (its context closed): the remote handle is told so. */
  private record BrokerGone(String reason) {}


  private final ActorContext<Object> context;
  private final TimerScheduler<Object> timers;
  private final ActorRef<RelayMessage> peer;
  private final FrameChannel<Frame> channel;
  private final Relay.Sender toPeer;
  private final Relay.Receiver fromPeer;

  private RelaySession(ActorContext<Object> context, TimerScheduler<Object> timers, ActorRef<RelayMessage> peer,
      FrameChannel<Frame> channel, Relay.Sender toPeer, int maxFrameBytes) {
    this.context = context;
    this.timers = timers;
    this.peer = peer;
    this.channel = channel;
    this.toPeer = toPeer;
    this.fromPeer = new Relay.Receiver(maxFrameBytes);
  }

  /**
   * @param peer the remote handle's inbox
   * @param toPeer sends to {@code peer}; its acknowledgements arrive at the {@link #acks} actor
   * @param maxFrameBytes the largest frame either side may relay (the handle's message limit and framing)
   */
  static Behavior<Object> create(Endpoint endpoint, ActorRef<RelayMessage> peer, Relay.Sender toPeer,
      int maxFrameBytes) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      FrameChannel<Frame> channel;
      try {
        channel = endpoint.connect();
      } catch (IOException e) {
        toPeer.end("cannot reach the broker: " + e.getMessage());
        peer.tell(Relay.end("cannot reach the broker: " + e.getMessage()));
        return Behaviors.stopped();
      }
      channel.setMaxFrameBytes(maxFrameBytes);
      RelaySession session = new RelaySession(context, timers, peer, channel, toPeer, maxFrameBytes);
      context.watch(peer);
      ActorRef<Object> self = context.getSelf();
      channel.startReader("multiprocessing4j-relay-" + endpoint.id(),
          session::relayToPeer,
          cause -> self.tell(new BrokerGone(cause == null ? "the broker closed the connection" : cause.toString())));
      return session.behavior();
    }));
  }

  /**
   * Where the remote handle acknowledges what {@code toPeer} sent it: applied at once, whatever the
   * session is doing. Stops with the session.
   */
  static Behavior<RelayMessage> acks(Relay.Sender toPeer, ActorRef<Object> session) {
    return Behaviors.setup(context -> {
      context.watch(session);
      return Behaviors.receive(RelayMessage.class)
          .onMessage(RelayMessage.class, message -> {
            if (message.hasAck()) {
              toPeer.acked(message.getAck());
            }
            return Behaviors.same();
          })
          .onSignal(Terminated.class, terminated -> Behaviors.stopped())
          .build();
    });
  }

  private void relayToPeer(Frame frame) {
    try {
      toPeer.send(frame.toByteArray());
    } catch (IOException e) {
      // The session ended while waiting for the peer; the reader stops with the channel.
      channel.close();
    }
  }

  private Behavior<Object> behavior() {
    return Behaviors.receive(Object.class)
        .onMessage(RelayMessage.class, this::onRelay)
        .onMessage(Relay.FlushAck.class, flush -> {
          fromPeer.flush(peer, timers);
          return Behaviors.same();
        })
        .onMessage(BrokerGone.class, gone -> {
          toPeer.end(gone.reason());
          peer.tell(Relay.end(gone.reason()));
          return Behaviors.stopped();
        })
        .onSignal(Terminated.class, terminated -> {
          toPeer.end("the remote handle is gone");
          channel.close();
          return Behaviors.stopped();
        })
        .onSignal(PostStop.class, stop -> {
          toPeer.end("the session stopped");
          channel.close();
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Object> onRelay(RelayMessage message) {
    switch (message.getOpCase()) {
      case CHUNK:
        try {
          Frame frame = fromPeer.takeFrame(message.getChunk());
          if (frame != null) {
            channel.send(frame);
          }
        } catch (IOException e) {
          return endBoth("from the remote handle: " + e.getMessage());
        }
        fromPeer.acknowledge(peer, timers);
        return Behaviors.same();
      case END:
        // Everything the remote handle sent before its end has been passed on: close as a child would.
        try {
          channel.flush();
        } catch (IOException e) {
          // The broker is gone; the end is answered all the same.
        }
        channel.close();
        toPeer.end("closed");
        peer.tell(Relay.end("closed"));
        return Behaviors.stopped();
      default:
        // Acknowledgements go to the acks actor; anything else is not the remote handle's to send here.
        return Behaviors.same();
    }
  }

  private Behavior<Object> endBoth(String reason) {
    context.getLog().warn("relay session with {} ended: {}", peer.path(), reason);
    toPeer.end(reason);
    peer.tell(Relay.end(reason));
    return Behaviors.stopped();
  }
}
