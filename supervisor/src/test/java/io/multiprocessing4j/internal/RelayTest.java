package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.RelayAck;
import io.multiprocessing4j.proto.RelayMessage;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay's chunking and windows ({@link Relay}), without actors: what a sender tells, and when it waits. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RelayTest {
  private final LinkedBlockingQueue<RelayMessage> told = new LinkedBlockingQueue<>();

  @Test
  void aFrameWaitingForRoomKeepsAnotherThreadsFrameOutOfItsChunks() throws Exception {
    Relay.Budget budget = new Relay.Budget(2);
    Relay.Sender sender = new Relay.Sender(told::add, budget);
    byte[] large = new byte[3 * Relay.CHUNK_BYTES];
    large[0] = 'L';
    Thread first = start(() -> sender.send(large));
    RelayMessage one = next();
    next();
    awaitWaiting(first);
    Thread second = start(() -> sender.send(new byte[] {'S'}));
    awaitWaiting(second);
    assertTrue(told.isEmpty(), "nothing more fits in a budget of 2 chunks");

    sender.acked(ack(1, Relay.CHUNK_BYTES));
    RelayMessage third = next();
    assertTrue(third.getChunk().getLast(), "the large frame's last chunk comes before the other frame");
    assertEquals(Relay.CHUNK_BYTES, third.getChunk().getData().size());
    sender.acked(ack(2, 2 * Relay.CHUNK_BYTES));
    assertEquals(ByteString.copyFrom(new byte[] {'S'}), next().getChunk().getData());
    first.join();
    second.join();
    assertEquals('L', one.getChunk().getData().byteAt(0));
  }

  @Test
  void sendersOfOneSystemShareTheBudgetAndAnEndedSenderGivesItsShareBack() throws Exception {
    Relay.Budget budget = new Relay.Budget(2);
    Relay.Sender ending = new Relay.Sender(told::add, budget);
    Relay.Sender waiting = new Relay.Sender(told::add, budget);
    ending.send(new byte[1]);
    ending.send(new byte[1]);
    assertEquals(2, budget.inFlight());
    Thread blocked = start(() -> waiting.send(new byte[1]));
    awaitWaiting(blocked);

    ending.end("the session ended");
    blocked.join();
    assertEquals(1, budget.inFlight(), "only the waiting sender's chunk is outstanding");
    ending.acked(ack(2, 2));
    assertEquals(1, budget.inFlight(), "a late acknowledgement of an ended sender counts for nothing");
    IOException after = assertThrows(IOException.class, () -> ending.send(new byte[1]));
    assertEquals("the session ended", after.getMessage());
  }

  @Test
  void anAcknowledgementBeyondWhatIsOutstandingIsIgnored() throws Exception {
    Relay.Budget budget = new Relay.Budget(4);
    Relay.Sender sender = new Relay.Sender(told::add, budget);
    sender.send(new byte[10]);
    sender.acked(ack(1_000, 1_000_000));
    assertEquals(0, budget.inFlight());
    for (int i = 0; i < 4; i++) {
      sender.send(new byte[10]);
    }
    assertEquals(4, budget.inFlight(), "a peer's inflated acknowledgement did not widen the window");
  }

  @Test
  void theReceiverReassemblesAndAcknowledgesEveryFewChunksAndWhatItHoldsOnRequest() throws Exception {
    Relay.Sender sender = new Relay.Sender(told::add, new Relay.Budget());
    byte[] frame = new byte[2 * Relay.CHUNK_BYTES + 1];
    frame[frame.length - 1] = 7;
    sender.send(frame);
    Relay.Receiver receiver = new Relay.Receiver(frame.length);
    assertNull(receiver.take(next().getChunk()));
    assertNull(receiver.take(next().getChunk()));
    ByteString whole = receiver.take(next().getChunk());
    assertEquals(ByteString.copyFrom(frame), whole);
    assertNull(receiver.ackDue(), "3 chunks of 128 KiB are below every threshold");
    assertTrue(receiver.holdsAck());
    RelayAck held = receiver.ackHeld().getAck();
    assertEquals(List.of(3L, (long) frame.length), List.of(held.getChunks(), held.getBytes()));
    assertNull(receiver.ackHeld());

    for (int i = 0; i < Relay.ACK_CHUNKS - 1; i++) {
      sender.send(new byte[1]);
      receiver.take(next().getChunk());
    }
    assertNull(receiver.ackDue());
    sender.send(new byte[1]);
    receiver.take(next().getChunk());
    assertEquals(Relay.ACK_CHUNKS, receiver.ackDue().getAck().getChunks());

    Relay.Receiver small = new Relay.Receiver(Relay.CHUNK_BYTES);
    sender.send(frame);
    small.take(next().getChunk());
    assertThrows(IOException.class, () -> small.take(next().getChunk()), "a frame past the limit is refused");
  }

  private RelayMessage next() throws InterruptedException {
    RelayMessage message = told.poll(10, TimeUnit.SECONDS);
    if (message == null) {
      throw new AssertionError("the sender told nothing");
    }
    return message;
  }

  private static RelayAck ack(long chunks, long bytes) {
    return RelayAck.newBuilder().setChunks(chunks).setBytes(bytes).build();
  }

  private interface Sending {
    void run() throws Exception;
  }

  private static Thread start(Sending sending) {
    CompletableFuture<Void> started = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      started.complete(null);
      try {
        sending.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    thread.setDaemon(true);
    thread.start();
    started.join();
    return thread;
  }

  /** Until {@code thread} waits (for room, or for the frame lock); bounded by the test's timeout. */
  private static void awaitWaiting(Thread thread) {
    while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.BLOCKED) {
      Thread.onSpinWait();
    }
  }
}
