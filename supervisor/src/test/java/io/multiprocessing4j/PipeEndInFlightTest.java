package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.net.Socket;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A copy of a pipe end that is serialized but will never be deserialized holds the end open no longer
 * than the OS would hold a descriptor: not when the child it was sent to dies before reading its target,
 * nor when the serialization, the put or the send that carried it failed. The other end then sees end
 * of file instead of waiting for ever.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeEndInFlightTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Halts the JVM that deserializes it: a child that dies before it has read the rest of its target. */
  static final class HaltOnArrival implements Serializable {
    private static final long serialVersionUID = 1L;

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      Runtime.getRuntime().halt(7);
    }
  }

  /** Serialized fields go in name order: the child dies on {@code a} before it reads the end in {@code b}. */
  record DiesFirst(HaltOnArrival a, Connection<String> b) implements Serializable {}

  /** The end the child would have held, seen from the other end: end of file once the parent closed its copy. */
  private static void assertEndOfFile(Connection<String> receiver) throws InterruptedException {
    assertTrue(receiver.poll(PATIENCE), "the other end stayed open");
    assertThrows(PipeClosedException.class, receiver::recv);
  }

  @Test
  void aChildThatDiesBeforeReadingItsEndLeavesItClosed() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    DiesFirst cargo = new DiesFirst(new HaltOnArrival(), pipe.conn2());
    Process child = mp.process(() -> System.out.println(cargo));
    child.start();
    pipe.conn2().close();
    assertTrue(child.join(PATIENCE));
    assertEquals(OptionalInt.of(7), child.exitCode());
    assertEndOfFile(pipe.conn1());
  }

  record WithSocket(Connection<String> a, Socket b) implements Serializable {}

  @Test
  void aTargetThatCannotTravelHoldsNoEndOpen() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    WithSocket cargo = new WithSocket(pipe.conn2(), new Socket());
    Process child = mp.process(() -> System.out.println(cargo));
    assertThrows(PicklingException.class, child::start);
    pipe.conn2().close();
    assertEndOfFile(pipe.conn1());
  }

  @Test
  void anEndInAnItemAFullQueueRefusedHoldsNoEndOpen() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Queue<Object> queue = mp.queue(1);
    queue.put("filler");
    assertThrows(QueueFullException.class, () -> queue.putNowait(pipe.conn2()));
    assertThrows(QueueFullException.class, () -> queue.put(pipe.conn2(), Duration.ofMillis(10)));
    pipe.conn2().close();
    assertEndOfFile(pipe.conn1());
  }

  @Test
  void anEndSentOnABrokenPipeHoldsNoEndOpen() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Pipe<Object> broken = mp.pipe();
    broken.conn2().close();
    assertThrows(PipeClosedException.class, () -> broken.conn1().send(pipe.conn2()));
    pipe.conn2().close();
    assertEndOfFile(pipe.conn1());
  }

  @Test
  void anEndInAMessageTooLargeToSendHoldsNoEndOpen() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Pipe<Object> carrier = mp.pipe(PipeOptions.defaults().withMaxMessageBytes(64 * 1024));
    assertThrows(MessageTooLargeException.class,
        () -> carrier.conn1().send(new Object[] {pipe.conn2(), new byte[128 * 1024]}));
    pipe.conn2().close();
    assertEndOfFile(pipe.conn1());
  }

  /** Child side: sends its end back to the parent inside an item the full queue refuses, then closes it. */
  static void offerEndToAFullQueue(Queue<Object> queue, Connection<String> end, Queue<String> told)
      throws InterruptedException {
    try {
      queue.putNowait(end);
      told.put("put");
    } catch (QueueFullException expected) {
      told.put("full");
    }
  }

  @Test
  void anEndInAnItemAFullQueueRefusedInAChildHoldsNoEndOpen() throws Exception {
    Pipe<String> pipe = mp.pipe(false);
    Queue<Object> queue = mp.queue(1);
    Queue<String> told = mp.queue();
    queue.put("filler");
    Connection<String> end = pipe.conn2();
    Process child = mp.process(ChildBody.target(() -> offerEndToAFullQueue(queue, end, told)));
    child.start();
    end.close();
    assertEquals("full", told.get(PATIENCE));
    assertTrue(child.join(PATIENCE));
    assertEquals(OptionalInt.of(0), child.exitCode());
    assertEndOfFile(pipe.conn1());
  }
}
