package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A pipe end nobody reads holds a bounded backlog ({@link PipeOptions#maxBufferedBytes()}): its writers
 * wait, as Python's do on a full OS pipe, resume when the reader reads, lose nothing and keep the order;
 * a reader that goes away releases a waiting writer with {@link PipeClosedException}. One test per path
 * a message takes: the parent's own sends, a child's ring to the parent's broker, a child's connection
 * (rings off), and a child's ring read directly by another child.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PipeBackPressureTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int SIZE = 64 * 1024;
  private static final long LIMIT = 1 << 20;
  /** 20 MiB: more than the limit plus what a writer's ring (4 MiB) or socket holds in flight. */
  private static final int COUNT = 320;
  /** The most a writer can get ahead of a reader that does not read: the limit, one message, its ring. */
  private static final int MOST_AHEAD = (int) ((LIMIT + SIZE + (4 << 20)) / SIZE) + 1;
  private static final PipeOptions OPTIONS = PipeOptions.defaults().withDuplex(false).withMaxBufferedBytes(LIMIT);

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Message {@code i}: its number, then bytes that depend on it. */
  static byte[] message(int i) {
    byte[] bytes = new byte[SIZE];
    for (int k = 4; k < SIZE; k++) {
      bytes[k] = (byte) (i + k);
    }
    ByteBuffer.wrap(bytes).putInt(i);
    return bytes;
  }

  /** Null if {@code bytes} is message {@code i} whole, else what is wrong. */
  static String wrong(byte[] bytes, int i) {
    if (bytes.length != SIZE) {
      return "message " + i + " has " + bytes.length + " bytes";
    }
    int number = ByteBuffer.wrap(bytes).getInt();
    if (number != i) {
      return "message " + i + " is message " + number;
    }
    for (int k = 4; k < SIZE; k++) {
      if (bytes[k] != (byte) (i + k)) {
        return "message " + i + " differs at byte " + k;
      }
    }
    return null;
  }

  /** Sends {@link #COUNT} messages, counting them in {@code sent}. */
  static void sendCounting(Connection<byte[]> conn, Value.OfInt sent) {
    for (int i = 0; i < COUNT; i++) {
      conn.sendBytes(message(i));
      sent.set(i + 1);
    }
  }

  /** Child side: once told, {@link #sendCounting}, then sets {@code allSent}. */
  static void sendAllWhenTold(Connection<byte[]> conn, Event go, Value.OfInt sent, Event allSent) throws Exception {
    assertTrue(go.await(WAIT));
    sendAll(conn, sent, allSent);
  }

  /** Child side: {@link #sendCounting}, then sets {@code allSent}. */
  static void sendAll(Connection<byte[]> conn, Value.OfInt sent, Event allSent) {
    sendCounting(conn, sent);
    allSent.set();
  }

  /** Child side: {@link #sendCounting}, reporting whether a send was refused because the reader went away. */
  static void sendUntilClosed(Connection<byte[]> conn, Event go, Value.OfInt sent, Queue<String> result)
      throws Exception {
    assertTrue(go.await(WAIT));
    try {
      sendCounting(conn, sent);
      result.put("never closed");
    } catch (PipeClosedException closed) {
      result.put("closed after " + sent.get());
    }
  }

  /** Child side: once told, receives {@link #COUNT} messages and says whether each was whole and in order. */
  static void receiveAll(Connection<byte[]> conn, Event go, Queue<String> result) throws Exception {
    assertTrue(go.await(WAIT));
    result.put(receiveRange(conn, 0, COUNT));
  }

  /** Receives messages {@code from} up to {@code to} (exclusive): "ok", or what is wrong. */
  static String receiveRange(Connection<byte[]> conn, int from, int to) throws InterruptedException {
    for (int i = from; i < to; i++) {
      String wrong = wrong(conn.recv(), i);
      if (wrong != null) {
        return wrong;
      }
    }
    return "ok";
  }

  /**
   * Child side: reads the end directly, receives {@code firstPart} messages, then, once told (its
   * writer waits for it by then), hands the end on through {@code handOver}.
   */
  static void readThenHandOn(Connection<byte[]> conn, Event reading, int firstPart, Event handNow,
      Queue<Connection<byte[]>> handOver, Queue<String> result) throws Exception {
    conn.poll();
    reading.set();
    String first = "first reader: " + receiveRange(conn, 0, firstPart);
    assertTrue(handNow.await(WAIT));
    handOver.put(conn);
    conn.close();
    result.put(first);
  }

  /**
   * A thread sending {@link #COUNT} messages on one end: how many went, what stopped it, and whether
   * its interrupt status survived the sends.
   */
  static final class Writer {
    final AtomicInteger sent = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicBoolean interruptKept = new AtomicBoolean();
    final Thread thread;

    Writer(Connection<byte[]> conn) {
      thread = new Thread(() -> {
        try {
          for (int i = 0; i < COUNT; i++) {
            conn.sendBytes(message(i));
            sent.incrementAndGet();
          }
          interruptKept.set(Thread.currentThread().isInterrupted());
        } catch (RuntimeException e) {
          failure.set(e);
        }
      });
      thread.start();
    }
  }

  /** A parent {@link Writer} waiting at the limit to send to a child that reads only once {@code go} is set. */
  private record WaitingWriter(Writer writer, Connection<byte[]> sender, Process child, Event go, Queue<String> result) {}

  private WaitingWriter parentWaitingToSend() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Event go = mp.event();
    Queue<String> result = mp.queue();
    Process child = mp.process(ChildBody.target(() -> receiveAll(receiver, go, result)));
    child.start();
    receiver.close();
    Writer writer = new Writer(pipe.conn2());
    assertTrue(eventually(
        () -> writer.thread.getState() == Thread.State.TIMED_WAITING && receiver.heldByBroker() >= LIMIT));
    return new WaitingWriter(writer, pipe.conn2(), child, go, result);
  }

  /**
   * Child side, on a duplex end: one thread sends {@link #COUNT} messages while the main thread receives
   * as many; reports "ok" or what went wrong.
   */
  static void sendWhileReceiving(Connection<byte[]> conn, Queue<String> result) throws Exception {
    Writer writer = new Writer(conn);
    String received = receiveRange(conn, 0, COUNT);
    writer.thread.join();
    Throwable failure = writer.failure.get();
    result.put(failure == null ? received : failure.toString());
  }

  /** Child side: becomes the end's direct reader (a poll asks), says so, then receives as {@link #receiveAll}. */
  static void readDirectly(Connection<byte[]> conn, Event reading, Event go, Queue<String> result) throws Exception {
    conn.poll();
    reading.set();
    receiveAll(conn, go, result);
  }

  /** Waits until {@code condition} holds, looking every few milliseconds; false if it did not within {@link #WAIT}. */
  private boolean eventually(BooleanSupplier condition) throws InterruptedException {
    Event never = mp.event();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      never.await(Duration.ofMillis(5));
    }
    return true;
  }

  @Test
  void anEndNobodyReadsHoldsAtMostTheDefaultLimit() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(false);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Value.OfInt sent = mp.value(0);
    Event allSent = mp.event();
    int count = 64;
    Process child = mp.process(() -> {
      byte[] block = new byte[1 << 20];
      for (int i = 0; i < count; i++) {
        sender.send(block);
        sent.set(i + 1);
      }
      allSent.set();
    });
    child.start();
    sender.close();
    long limit = PipeOptions.DEFAULT_MAX_BUFFERED_BYTES;
    assertTrue(eventually(() -> receiver.heldByBroker() >= limit), "the end never filled up");
    assertFalse(allSent.await(Duration.ofMillis(500)), "64 MiB went into an end nobody reads");
    assertTrue(receiver.heldByBroker() <= limit + (1 << 20), "held " + receiver.heldByBroker());
    assertTrue(sent.get() < count);
    for (int i = 0; i < count; i++) {
      assertEquals(1 << 20, receiver.recv().length);
    }
    assertThrows(PipeClosedException.class, receiver::recv);
    assertTrue(allSent.isSet());
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void aChildWritingThroughItsRingWaitsForTheParentToRead() throws Exception {
    childWritesToParent(ProcessOptions.defaults());
  }

  @Test
  void aChildWritingOnItsConnectionWaitsForTheParentToRead() throws Exception {
    List<String> options = new ArrayList<>(ProcessOptions.DEFAULT_JVM_OPTIONS);
    options.add("-Dmultiprocessing4j.channelRings=false");
    childWritesToParent(ProcessOptions.defaults().withJvmOptions(options));
  }

  private void childWritesToParent(ProcessOptions childOptions) throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Value.OfInt sent = mp.value(0);
    Event allSent = mp.event();
    Process child = mp.process(() -> sendAll(sender, sent, allSent), childOptions);
    child.start();
    sender.close();
    assertTrue(eventually(() -> receiver.heldByBroker() >= LIMIT), "the end never filled up");
    assertFalse(allSent.await(Duration.ofMillis(500)), "the writer did not wait for the reader");
    assertTrue(sent.get() <= MOST_AHEAD, sent.get() + " messages sent, none received");
    for (int i = 0; i < COUNT; i++) {
      // Once the writer is done, its connection's end takes what is left in its ring at once.
      long held = receiver.heldByBroker();
      assertTrue(held < LIMIT + SIZE || allSent.isSet() && held < LIMIT + SIZE + (4 << 20), "held " + held);
      assertNull(wrong(receiver.recv(), i));
    }
    assertThrows(PipeClosedException.class, receiver::recv);
    assertTrue(allSent.isSet());
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void theParentWaitsForAChildToReadEvenWhenInterrupted() throws Exception {
    WaitingWriter waiting = parentWaitingToSend();
    Writer writer = waiting.writer();
    // Sends are taken while the end holds less than the limit: exactly the limit's worth, then the wait.
    assertEquals(LIMIT / SIZE, writer.sent.get());
    writer.thread.interrupt();
    waiting.go().set();
    writer.thread.join(WAIT.toMillis());
    assertFalse(writer.thread.isAlive());
    assertNull(writer.failure.get());
    assertEquals(COUNT, writer.sent.get());
    assertTrue(writer.interruptKept.get(), "the interrupt was lost");
    assertEquals("ok", waiting.result().get(WAIT));
    waiting.sender().close();
    waiting.child().join();
    assertEquals(OptionalInt.of(0), waiting.child().exitCode());
  }

  /**
   * As on a duplex OS pipe, a process's receives do not wait for its own sends on the same end to be
   * received: here each side sends more than the limit before the parent reads, which Python runs
   * through and which would deadlock if the child's receives waited behind its held-back sends.
   */
  @Test
  void aChildReceivesWhileItsOwnSendsOnTheSameEndWait() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS.withDuplex(true));
    Connection<byte[]> parent = pipe.conn1();
    Connection<byte[]> theirs = pipe.conn2();
    Queue<String> result = mp.queue();
    Process child = mp.process(ChildBody.target(() -> sendWhileReceiving(theirs, result)));
    child.start();
    theirs.close();
    Writer writer = new Writer(parent);
    try {
      writer.thread.join(WAIT.toMillis());
      assertFalse(writer.thread.isAlive(), "the child received nothing while its own sends waited");
      assertNull(writer.failure.get());
      assertEquals("ok", receiveRange(parent, 0, COUNT));
      assertEquals("ok", result.get(WAIT));
      assertTrue(child.join(WAIT));
      assertEquals(OptionalInt.of(0), child.exitCode());
    } finally {
      // On failure, both sides wait for each other: the context's close would wait for the child.
      child.kill();
    }
  }

  @Test
  void aChildWritingToAChildReadingDirectlyWaitsForItToRead() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Event reading = mp.event();
    Event go = mp.event();
    Event allSent = mp.event();
    Value.OfInt sent = mp.value(0);
    Queue<String> result = mp.queue();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> readDirectly(receiver, reading, go, result)));
    Process writer = mp.process(ChildBody.target(() -> sendAllWhenTold(sender, goWriter, sent, allSent)));
    reader.start();
    writer.start();
    receiver.close();
    sender.close();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertTrue(eventually(() -> sent.get() > LIMIT / SIZE), "the writer did not start");
    assertFalse(allSent.await(Duration.ofMillis(500)), "the writer did not wait for the reader");
    assertTrue(sent.get() <= MOST_AHEAD, sent.get() + " messages sent, none received");
    go.set();
    assertEquals("ok", result.get(WAIT));
    assertTrue(allSent.await(WAIT));
    assertEquals(0, sender.relayedByBroker(), "the messages went through the broker, not directly");
    writer.join();
    reader.join();
    assertEquals(OptionalInt.of(0), writer.exitCode());
    assertEquals(OptionalInt.of(0), reader.exitCode());
  }

  @Test
  void anEndHandedOnWhileItsWriterWaitsGivesTheNextReaderEverythingInOrder() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Event handNow = mp.event();
    Event allSent = mp.event();
    Value.OfInt sent = mp.value(0);
    Queue<String> results = mp.queue();
    Queue<Connection<byte[]>> handOver = mp.queue();
    int firstPart = 10;
    Process first = mp.process(ChildBody.target(
        () -> readThenHandOn(receiver, reading, firstPart, handNow, handOver, results)));
    Process writer = mp.process(ChildBody.target(() -> sendAllWhenTold(sender, goWriter, sent, allSent)));
    Process next = mp.process(ChildBody.target(() -> results.put(receiveRange(handOver.get(WAIT), firstPart, COUNT))));
    first.start();
    writer.start();
    next.start();
    receiver.close();
    sender.close();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertTrue(eventually(() -> sent.get() > firstPart + LIMIT / SIZE), "the writer did not start");
    assertFalse(allSent.await(Duration.ofMillis(500)), "the writer did not wait for the reader");
    handNow.set();
    List<String> reports = List.of(results.get(WAIT), results.get(WAIT));
    assertTrue(reports.contains("first reader: ok"), reports::toString);
    assertTrue(reports.contains("ok"), reports::toString);
    assertTrue(allSent.isSet());
    for (Process process : List.of(first, writer, next)) {
      process.join();
      assertEquals(OptionalInt.of(0), process.exitCode());
    }
  }

  @Test
  void aParentWaitingToSendIsReleasedWhenItsReaderDies() throws Exception {
    WaitingWriter waiting = parentWaitingToSend(); // its go is never set
    waiting.child().kill();
    waiting.writer().thread.join(WAIT.toMillis());
    assertFalse(waiting.writer().thread.isAlive());
    assertInstanceOf(PipeClosedException.class, waiting.writer().failure.get());
    waiting.child().join();
  }

  @Test
  void aChildWaitingToSendIsReleasedWhenTheParentClosesItsReadingEnd() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Value.OfInt sent = mp.value(0);
    Queue<String> result = mp.queue();
    Event go = mp.event();
    go.set();
    Process child = mp.process(ChildBody.target(() -> sendUntilClosed(sender, go, sent, result)));
    child.start();
    sender.close();
    assertTrue(eventually(() -> receiver.heldByBroker() >= LIMIT), "the end never filled up");
    receiver.close();
    String outcome = result.get(WAIT);
    assertTrue(outcome.startsWith("closed after "), outcome);
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  @Test
  void aChildWaitingToSendDirectlyIsReleasedWhenItsReaderDies() throws Exception {
    Pipe<byte[]> pipe = mp.pipe(OPTIONS);
    Connection<byte[]> receiver = pipe.conn1();
    Connection<byte[]> sender = pipe.conn2();
    Event reading = mp.event();
    Event never = mp.event();
    Value.OfInt sent = mp.value(0);
    Queue<String> result = mp.queue();
    Queue<String> unread = mp.queue();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> readDirectly(receiver, reading, never, unread)));
    Process writer = mp.process(ChildBody.target(() -> sendUntilClosed(sender, goWriter, sent, result)));
    reader.start();
    writer.start();
    receiver.close();
    sender.close();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertTrue(eventually(() -> sent.get() > LIMIT / SIZE), "the writer did not start");
    assertThrows(QueueEmptyException.class, () -> result.get(Duration.ofMillis(500)),
        "the writer did not wait for the reader");
    reader.kill();
    String outcome = result.get(WAIT);
    assertTrue(outcome.startsWith("closed after "), outcome);
    writer.join();
    reader.join();
    assertEquals(OptionalInt.of(0), writer.exitCode());
  }
}
