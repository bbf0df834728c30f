package io.multiprocessing4j.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.multiprocessing4j.proto.ChannelRequest;
import io.multiprocessing4j.proto.Payload;

/**
 * The broker's side of one client's {@link PostRing}: takes the messages the client posts through it
 * into the broker, as if each had come as a put frame on the client's connection, and handles the gets
 * it sends through it ({@link ChannelCodec#REQUEST_RECORD}) as if they had come as frames. A get in the
 * ring is what lets a parent thread that drains the ring while it waits for its own item (a ping-pong)
 * serve the child's next get too, with no other thread of the parent involved.
 *
 * <p>Who drains: a daemon thread per ring, which sleeps on the ring's doorbell while it is empty; the
 * parent's own getters, on their thread, while they wait briefly for an item ({@link Broker#getLocal}),
 * so a message is usually taken by the thread that wants it, with no wake-up; and the connection's
 * reader, before it handles each frame and before it handles the connection's end, which is what keeps
 * the ring's messages in order with the connection's other calls and loses nothing a process posted
 * before it exited. Drains take turns ({@link PostRing#drain}), so the order is the ring's.
 */
final class RingIntake implements PostRing.Sink {
  private final Broker broker;
  private final BrokerClient.Remote client;
  private final PostRing ring;
  private volatile boolean stopped;

  RingIntake(Broker broker, BrokerClient.Remote client, PostRing ring) {
    this.broker = broker;
    this.client = client;
    this.ring = ring;
  }

  /** Starts the ring's drainer thread. */
  void start(String threadName) {
    Thread drainer = new Thread(() -> {
      while (!stopped) {
        ring.awaitData(() -> stopped);
        drain();
      }
    }, threadName);
    drainer.setDaemon(true);
    drainer.start();
  }

  /** Takes every message posted so far into the broker; returns how many records that was. */
  int drain() {
    return ring.drain(this, broker.maxMessageBytes);
  }

  /** Whether the ring holds something not taken yet. */
  boolean hasData() {
    return ring.hasData();
  }

  /** Stops the drainer thread (after a last {@link #drain()} by the caller, if it wants one). */
  void stop() {
    stopped = true;
    ring.wake();
  }

  @Override
  public void message(Payload item, long tag) {
    if (item.getSerializerId() == ChannelCodec.REQUEST_RECORD) {
      try {
        broker.handle(client, ChannelRequest.parseFrom(item.getData()));
      } catch (InvalidProtocolBufferException e) {
        client.answer(0, new Outcome.Refused("malformed request in the ring: " + e.getMessage()));
      }
      return;
    }
    Outcome outcome = broker.put(client, 0, item, -1, false);
    if (outcome != null && outcome != Outcome.Status.DONE) {
      client.answer(0, outcome);
    }
  }

  @Override
  public void tooLarge(long bytes) {
    client.answer(0, new Outcome.Refused("an item of " + bytes + " bytes exceeds the maximum of "
        + broker.maxMessageBytes + " bytes"));
  }
}
