package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Pipe semantics: order, directions, end of file, poll, bytes and objects, across processes. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: sends 0..count-1 then returns (its exit closes its end). */
  static void sendNumbers(Connection<Integer> conn, int count) {
    for (int i = 0; i < count; i++) {
      conn.send(i);
    }
  }

  /** Child side: answers every message with itself doubled until end of file. */
  static void echoDoubled(Connection<Object> conn) throws InterruptedException {
    while (true) {
      Object message;
      try {
        message = conn.recv();
      } catch (PipeClosedException endOfFile) {
        return;
      }
      conn.send(message instanceof Integer number ? number * 2 : message);
    }
  }

  @Test
  void messagesFromAChildArriveInOrderThenEndOfFile() throws Exception {
    Pipe<Integer> pipe = mp.pipe(false);
    Connection<Integer> receiver = pipe.conn1();
    Connection<Integer> sender = pipe.conn2();
    Process child = mp.process(() -> sendNumbers(sender, 1000));
    child.start();
    sender.close();
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, receiver.recv());
    }
    assertThrows(PipeClosedException.class, receiver::recv);
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void duplexEndsTalkBothWaysWithAChild() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    Connection<Object> mine = pipe.conn1();
    Connection<Object> theirs = pipe.conn2();
    Process child = mp.process(ChildBody.target(() -> echoDoubled(theirs)));
    child.start();
    theirs.close();
    for (int i = 0; i < 100; i++) {
      mine.send(i);
      assertEquals(i * 2, mine.recv());
    }
    mine.send("text");
    assertEquals("text", mine.recv());
    mine.close();
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void oneWayEndsRefuseTheWrongDirection() {
    Pipe<String> pipe = mp.pipe(false);
    assertTrue(pipe.conn1().readable());
    assertFalse(pipe.conn1().writable());
    assertFalse(pipe.conn2().readable());
    assertTrue(pipe.conn2().writable());
    assertThrows(IllegalStateException.class, () -> pipe.conn1().send("x"));
    assertThrows(IllegalStateException.class, () -> pipe.conn2().recv());
  }

  @Test
  void closedEndRefusesAndOtherEndDrainsThenSeesEndOfFile() throws Exception {
    Pipe<String> pipe = mp.pipe();
    pipe.conn1().send("a");
    pipe.conn1().send("b");
    pipe.conn1().close();
    assertTrue(pipe.conn1().isClosed());
    assertThrows(IllegalStateException.class, () -> pipe.conn1().send("c"));
    assertEquals("a", pipe.conn2().recv());
    assertEquals("b", pipe.conn2().recv());
    assertThrows(PipeClosedException.class, pipe.conn2()::recv);
    assertThrows(PipeClosedException.class, () -> pipe.conn2().send("nobody listens"));
  }

  @Test
  void pollWaitsAtMostItsTimeout() throws Exception {
    Pipe<String> pipe = mp.pipe();
    assertFalse(pipe.conn2().poll());
    long start = System.nanoTime();
    assertFalse(pipe.conn2().poll(Duration.ofMillis(200)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200));
    pipe.conn1().send("x");
    assertTrue(pipe.conn2().poll(Duration.ofSeconds(5)));
    assertTrue(pipe.conn2().poll());
    assertEquals("x", pipe.conn2().recv());
  }

  /** A timeout beyond the scheduler's longest delay (about 248 days) waits, instead of failing in the scheduler. */
  @Test
  void pollWithATimeoutOfAYearWaitsForAMessage() throws Exception {
    Pipe<String> pipe = mp.pipe();
    CompletableFuture<Boolean> polled = CompletableFuture.supplyAsync(() -> {
      try {
        return pipe.conn2().poll(Duration.ofDays(365));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertFalse(SharedFiles.awaitState(polled::isDone, Duration.ofMillis(200)), "the poll waits for a message");
    pipe.conn1().send("x");
    assertTrue(polled.get(10, TimeUnit.SECONDS));
    assertEquals("x", pipe.conn2().recv());
  }

  @Test
  void pollWithANullOrEndlessTimeoutAnswersAsPythonsPollNone() throws Exception {
    Pipe<String> pipe = mp.pipe();
    pipe.conn1().send("x");
    assertTrue(pipe.conn2().poll(null), "Python's poll(None)");
    assertTrue(pipe.conn2().poll(Duration.ofSeconds(Long.MAX_VALUE)), "too long to count: no limit");
    assertEquals("x", pipe.conn2().recv());
  }

  @Test
  void bytesAndObjectsKeepTheirForm() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    byte[] bytes = {1, 2, 3, 4, 5};
    pipe.conn1().sendBytes(bytes, 1, 3);
    pipe.conn1().send(List.of("Hi", 3));
    pipe.conn1().send(null);
    pipe.conn1().sendBytes(bytes);
    assertArrayEquals(new byte[] {2, 3, 4}, pipe.conn2().recvBytes());
    assertEquals(List.of("Hi", 3), pipe.conn2().recv());
    assertEquals(null, pipe.conn2().recv());
    byte[] small = new byte[3];
    BufferTooShortException tooShort = assertThrows(BufferTooShortException.class,
        () -> pipe.conn2().recvBytesInto(small));
    assertArrayEquals(bytes, tooShort.message());
    pipe.conn1().sendBytes(bytes, 0, 2);
    byte[] buffer = new byte[4];
    assertEquals(2, pipe.conn2().recvBytesInto(buffer, 2));
    assertArrayEquals(new byte[] {0, 0, 1, 2}, buffer);
  }

  /** Child side: sends back every message it receives until end of file. */
  static void echo(Connection<Object> conn) throws InterruptedException {
    try {
      while (true) {
        conn.send(conn.recv());
      }
    } catch (PipeClosedException endOfFile) {
      return;
    }
  }

  @Test
  void smallValuesKeepTheirTypeAndValueThroughAChild() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    Connection<Object> theirs = pipe.conn2();
    Process child = mp.process(ChildBody.target(() -> echo(theirs)));
    child.start();
    theirs.close();
    List<Object> values = List.of(1, -2L, (short) 3, (byte) -4, 5.5, 6.5f, true, 'c', Double.NaN, Long.MIN_VALUE,
        "text", "", "\u00e9t\u00e9 \ud83d\ude00", "unpaired \ud800 surrogate", List.of("Hi", 3));
    for (Object value : values) {
      pipe.conn1().send(value);
      Object back = pipe.conn1().recv();
      assertEquals(value, back);
      assertEquals(value.getClass(), back.getClass());
    }
    pipe.conn1().close();
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: receives from several senders at once, checks every message is whole. */
  static void sendBlocks(Connection<byte[]> conn, byte fill, int count, int size) {
    byte[] block = new byte[size];
    java.util.Arrays.fill(block, fill);
    for (int i = 0; i < count; i++) {
      conn.send(block);
    }
  }

  @Test
  void concurrentWritersOnOneEndNeverInterleave() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(false);
    Connection<byte[]> sender = pipe.conn2();
    int perWriter = 20;
    int size = 1 << 20;
    List<Process> writers = new ArrayList<>();
    for (byte fill = 1; fill <= 2; fill++) {
      byte value = fill;
      writers.add(mp.process(() -> sendBlocks(sender, value, perWriter, size)));
    }
    writers.forEach(Process::start);
    // 60 MiB in all, more than an end holds unread: the writers wait for this reader, as on an OS pipe.
    Thread localWriter = new Thread(() -> sendBlocks(sender, (byte) 3, perWriter, size));
    localWriter.start();
    int[] seen = new int[4];
    for (int i = 0; i < 3 * perWriter; i++) {
      byte[] block = pipe.conn1().recv();
      assertEquals(size, block.length);
      for (byte b : block) {
        if (b != block[0]) {
          throw new AssertionError("message mixes bytes of two writers: " + b + " in a block of " + block[0]);
        }
      }
      seen[block[0]]++;
    }
    localWriter.join();
    sender.close();
    assertArrayEquals(new int[] {0, perWriter, perWriter, perWriter}, seen);
    assertThrows(PipeClosedException.class, pipe.conn1()::recv);
    for (Process writer : writers) {
      writer.join();
      assertEquals(OptionalInt.of(0), writer.exitCode());
    }
  }

  @Test
  void anEndOfAClosedContextSaysSoWhenSending() throws Exception {
    Multiprocessing other = Multiprocessing.create();
    Pipe<String> pipe = other.pipe();
    other.close();
    IllegalStateException send = assertThrows(IllegalStateException.class, () -> pipe.conn1().send("x"));
    assertTrue(send.getMessage().contains("context was closed"), send.getMessage());
    assertThrows(PipeClosedException.class, pipe.conn2()::recv, "end of file, not a wait for ever");
  }

  /** Child side: offers an end of a pipe of its own context, talks once on it, then closes that context. */
  static void offerAnEndOfItsOwnPipe(Queue<Object> channel) throws Exception {
    try (Multiprocessing inner = Multiprocessing.create()) {
      Pipe<String> pipe = inner.pipe();
      channel.put(pipe.conn2());
      channel.put("answered " + pipe.conn1().recv());
      channel.get();
    }
  }

  @Test
  void anEndWhoseBrokersContextClosedSaysSoInsteadOfClaimingItWasClosed() throws Exception {
    Queue<Object> channel = mp.queue();
    Process child = mp.process(ChildBody.target(() -> offerAnEndOfItsOwnPipe(channel)));
    child.start();
    @SuppressWarnings("unchecked")
    Connection<String> end = (Connection<String>) channel.get(Duration.ofSeconds(20));
    end.send("hi");
    assertEquals("answered hi", channel.get(Duration.ofSeconds(20)));
    channel.put("close your context");
    child.join(Duration.ofSeconds(20));
    assertEquals(OptionalInt.of(0), child.exitCode());
    IllegalStateException gone = assertThrows(IllegalStateException.class, () -> {
      end.poll(Duration.ofSeconds(20));
      end.send("x");
    }, "once the child's context closed, its pipe's end cannot be used");
    assertTrue(gone.getMessage().contains("is gone: the Multiprocessing context that made its pipe was closed"),
        gone.getMessage());
  }

  /** Child side: for each word on {@code go}, sends a message, then says on {@code sent} that it did. */
  static void sendWhenTold(Connection<Integer> conn, Queue<String> go, Queue<String> sent, int count)
      throws InterruptedException {
    for (int i = 0; i < count; i++) {
      go.get();
      conn.send(i);
      sent.put("sent");
    }
  }

  /** Child side: asks for a message, waits until it was sent, then counts the polls that did not see it. */
  static void pollAfterEachSend(Connection<Integer> conn, Queue<String> go, Queue<String> sent, int count,
      Queue<Integer> missed) throws InterruptedException {
    int misses = 0;
    for (int i = 0; i < count; i++) {
      go.put("go");
      sent.get();
      if (!conn.poll()) {
        misses++;
      }
      conn.recv();
    }
    missed.put(misses);
  }

  /**
   * A message sent in one child is seen by poll() in another told so afterwards, as one written to an OS
   * pipe is (here the parent keeps its copy of the reading end, so the reader goes through the broker).
   * Before, it was still in the sender's ring now and then, and poll() said false.
   */
  @Test
  void pollSeesAMessageThatAnotherChildSentBefore() throws Exception {
    Pipe<Integer> pipe = mp.pipe();
    Queue<String> go = mp.queue();
    Queue<String> sent = mp.queue();
    Queue<Integer> missed = mp.queue();
    Connection<Integer> reading = pipe.conn1();
    Connection<Integer> sending = pipe.conn2();
    int count = 300;
    Process sender = mp.process(ChildBody.target(() -> sendWhenTold(sending, go, sent, count)));
    Process poller = mp.process(ChildBody.target(() -> pollAfterEachSend(reading, go, sent, count, missed)));
    sender.start();
    poller.start();
    assertEquals(0, missed.get(Duration.ofSeconds(40)), "polls that missed a message sent before");
    assertTrue(sender.join(Duration.ofSeconds(20)));
    assertTrue(poller.join(Duration.ofSeconds(20)));
    assertEquals(OptionalInt.of(0), poller.exitCode());
  }

  /** Child side: once it sees end of file, reports what its next send did. */
  static void sendAfterEndOfFile(Connection<String> conn, Queue<String> report) throws InterruptedException {
    if (!conn.poll(Duration.ofSeconds(20)) || !isEndOfFile(conn)) {
      report.put("no end of file");
      return;
    }
    try {
      conn.send("nobody reads this");
      report.put("sent");
    } catch (PipeClosedException expected) {
      report.put("broken pipe");
    }
  }

  private static boolean isEndOfFile(Connection<String> conn) throws InterruptedException {
    try {
      conn.recv();
      return false;
    } catch (PipeClosedException endOfFile) {
      return true;
    }
  }

  /**
   * A child's first send after the other end closed fails, as Python's send raises BrokenPipeError once
   * the peer closed; before, the first one returned normally and its message was dropped, and only the
   * next one failed.
   */
  @Test
  void aChildsFirstSendAfterTheOtherEndClosedFails() throws Exception {
    Pipe<String> pipe = mp.pipe();
    Connection<String> theirs = pipe.conn2();
    Queue<String> report = mp.queue();
    Process child = mp.process(ChildBody.target(() -> sendAfterEndOfFile(theirs, report)));
    child.start();
    theirs.close();
    pipe.conn1().close();
    assertEquals("broken pipe", report.get(Duration.ofSeconds(30)));
    assertTrue(child.join(Duration.ofSeconds(20)));
  }
}
