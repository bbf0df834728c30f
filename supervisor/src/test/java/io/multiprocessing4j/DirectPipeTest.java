package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A pipe between two children on the parent's host: once the receiving child holds its end alone, the
 * messages go from writer to reader without passing through the parent's broker, and end of file,
 * death and ends handed on still behave as through the broker.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DirectPipeTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Larger than a writer's ring ({@code PostRing.POSTS_CAPACITY}, 4 MiB): travels in chunks. */
  private static final int LARGE = 9 * 1024 * 1024 + 17;

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Message {@code i} of writer {@code writer}: its size varies, and every byte says whose it is. */
  static byte[] message(int writer, int i) {
    int size = i % 250 == 7 ? LARGE : 1 + (i * 37) % 5000;
    byte[] bytes = new byte[size];
    for (int k = 0; k < size; k++) {
      bytes[k] = (byte) (writer * 31 + i + k);
    }
    return bytes;
  }

  /** Which message of {@code writer} {@code bytes} is, given it should be number {@code i}; null if whole. */
  static String check(byte[] bytes, int writer, int i) {
    byte[] expected = message(writer, i);
    if (expected.length != bytes.length) {
      return "message " + i + " of writer " + writer + " has " + bytes.length + " bytes, not " + expected.length;
    }
    for (int k = 0; k < bytes.length; k++) {
      if (bytes[k] != expected[k]) {
        return "message " + i + " of writer " + writer + " differs at byte " + k;
      }
    }
    return null;
  }

  /** Reader child: once told, becomes its end's direct reader (a poll asks), says so, then reads. */
  static void becomeReader(Connection<Object> end, Event go, Event reading) throws InterruptedException {
    assertTrue(go.await(WAIT));
    end.poll();
    reading.set();
  }

  /** Writer child: once told, sends {@code count} messages, alternating objects and bytes. */
  static void sendMixed(Connection<Object> end, Event go, int writer, int count) throws InterruptedException {
    assertTrue(go.await(WAIT));
    for (int i = 0; i < count; i++) {
      if (i % 2 == 0) {
        end.send(List.of(writer, i));
      } else {
        end.sendBytes(message(writer, i));
      }
    }
  }

  /** Reader child: reads {@code count} messages of {@link #sendMixed}, then expects end of file. */
  static String readMixed(Connection<Object> end, int count) throws InterruptedException {
    for (int i = 0; i < count; i++) {
      Object received = end.recv();
      String wrong = i % 2 == 0 ? (List.of(0, i).equals(received) ? null : "message " + i + " is " + received)
          : received instanceof byte[] bytes ? check(bytes, 0, i) : "message " + i + " is " + received;
      if (wrong != null) {
        return wrong;
      }
    }
    try {
      Object extra = end.recv();
      return "a message after the last: " + extra;
    } catch (PipeClosedException endOfFile) {
      return "ok " + count;
    }
  }

  @Test
  void messagesBetweenChildrenArriveInOrderAndWholeWithoutTheBroker() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readMixed(receiving, 1000));
    }));
    Process writer = mp.process(ChildBody.target(() -> sendMixed(sending, goWriter, 0, 1000)));
    reader.start();
    writer.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertEquals("ok 1000", results.get(WAIT));
    assertEquals(0, sending.relayedByBroker());
    writer.join();
    reader.join();
    assertEquals(OptionalInt.of(0), writer.exitCode());
    assertEquals(OptionalInt.of(0), reader.exitCode());
  }

  /**
   * While the parent still holds the sending end, the reading child must not go direct: the parent's
   * own sends would then be pushed into the child's ring instead of answering its fetches, which made
   * a parent-child ping-pong five times slower. Every message then passes through the broker.
   */
  @Test
  void aReaderStaysWithTheBrokerWhileTheParentHoldsTheSendingEnd() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readMixed(receiving, 400));
    }));
    Process writer = mp.process(ChildBody.target(() -> sendMixed(sending, goWriter, 0, 400)));
    reader.start();
    writer.start();
    receiving.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    writer.join();
    sending.close();
    assertEquals("ok 400", results.get(WAIT));
    assertEquals(400, sending.relayedByBroker());
    reader.join();
    assertEquals(OptionalInt.of(0), writer.exitCode());
    assertEquals(OptionalInt.of(0), reader.exitCode());
  }

  @Test
  void aKilledWriterLeavesWhatItSentThenEndOfFile() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Event sent = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readMixed(receiving, 600));
    }));
    Process writer = mp.process(ChildBody.target(() -> {
      sendMixed(sending, goWriter, 0, 600);
      ChildBodies.announceThenIdle(sent);
    }));
    reader.start();
    writer.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertTrue(sent.await(WAIT));
    writer.kill();
    assertEquals("ok 600", results.get(WAIT));
    assertEquals(0, sending.relayedByBroker());
    writer.join();
    reader.join();
    assertEquals(OptionalInt.of(0), reader.exitCode());
  }

  @Test
  void aWriterThatClosesItsEndGivesEndOfFileWhileItLives() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Event closed = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readMixed(receiving, 400));
    }));
    Process writer = mp.process(ChildBody.target(() -> {
      sendMixed(sending, goWriter, 0, 400);
      sending.close();
      ChildBodies.announceThenIdle(closed);
    }));
    reader.start();
    writer.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertEquals("ok 400", results.get(WAIT));
    assertTrue(writer.isAlive(), "the end of file came from the close, not from the writer's exit");
    assertTrue(closed.await(WAIT));
    writer.kill();
    writer.join();
    reader.join();
    assertEquals(OptionalInt.of(0), reader.exitCode());
    assertEquals(0, sending.relayedByBroker());
  }

  @Test
  void aWriterIsRefusedOnceItsDirectReaderClosed() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      for (int i = 0; i < 10; i++) {
        receiving.recv();
      }
      receiving.close();
    }));
    Process writer = mp.process(ChildBody.target(() -> {
      assertTrue(goWriter.await(WAIT));
      // Bounded: far more than the reader's ring holds, so the writer also meets a full ring.
      for (int i = 0; i < 2_000_000; i++) {
        try {
          sending.sendBytes(new byte[1000]);
        } catch (PipeClosedException refused) {
          results.put("refused after " + (i >= 10 ? "the reader's ten" : i));
          return;
        }
      }
      results.put("never refused");
    }));
    reader.start();
    writer.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertEquals("refused after the reader's ten", results.get(WAIT));
    for (Process process : List.of(reader, writer)) {
      process.join();
      assertEquals(OptionalInt.of(0), process.exitCode());
    }
  }

  @Test
  void aWriterThatExitsRightAfterSendingLosesNothing() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Event writerGone = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      assertTrue(writerGone.await(WAIT));
      results.put(readMixed(receiving, 300));
    }));
    Process writer = mp.process(ChildBody.target(() -> sendMixed(sending, goWriter, 0, 300)));
    reader.start();
    writer.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    writer.join();
    assertEquals(OptionalInt.of(0), writer.exitCode());
    writerGone.set();
    assertEquals("ok 300", results.get(WAIT));
    assertEquals(0, sending.relayedByBroker());
    reader.join();
    assertEquals(OptionalInt.of(0), reader.exitCode());
  }

  /** Writer child: two threads send {@code count} byte messages each, tagged with writer and thread. */
  static void sendFromTwoThreads(Connection<Object> end, Event go, int writer, int count) throws Exception {
    assertTrue(go.await(WAIT));
    List<Thread> threads = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < 2; t++) {
      int id = writer * 2 + t;
      Thread thread = new Thread(() -> {
        for (int i = 0; i < count; i++) {
          byte[] body = message(id, i);
          byte[] tagged = new byte[body.length + 8];
          tagged[0] = (byte) id;
          java.nio.ByteBuffer.wrap(tagged).putInt(4, i);
          System.arraycopy(body, 0, tagged, 8, body.length);
          end.sendBytes(tagged);
        }
      });
      thread.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException(failure[0]);
    }
  }

  /** Reader child: checks every message whole and each sender's in order, until end of file. */
  static String readFromFourSenders(Connection<Object> end, int count) throws InterruptedException {
    int[] next = new int[4];
    int total = 0;
    while (true) {
      byte[] tagged;
      try {
        tagged = end.recvBytes();
      } catch (PipeClosedException endOfFile) {
        return total == 4 * count ? "ok " + total : "only " + total + " messages";
      }
      int id = tagged[0];
      int i = java.nio.ByteBuffer.wrap(tagged).getInt(4);
      if (i != next[id]) {
        return "sender " + id + " sent " + i + " where " + next[id] + " was due";
      }
      String wrong = check(java.util.Arrays.copyOfRange(tagged, 8, tagged.length), id, i);
      if (wrong != null) {
        return wrong;
      }
      next[id]++;
      total++;
    }
  }

  @Test
  void concurrentWritersOnOneEndNeverInterleave() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriters = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readFromFourSenders(receiving, 300));
    }));
    Process first = mp.process(ChildBody.target(() -> sendFromTwoThreads(sending, goWriters, 0, 300)));
    Process second = mp.process(ChildBody.target(() -> sendFromTwoThreads(sending, goWriters, 1, 300)));
    reader.start();
    first.start();
    second.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriters.set();
    assertEquals("ok 1200", results.get(WAIT));
    assertEquals(0, sending.relayedByBroker());
    for (Process process : List.of(first, second, reader)) {
      process.join();
      assertEquals(OptionalInt.of(0), process.exitCode());
    }
  }

  /** Reader child: reads numbers from {@code from}, in order, until end of file; reports the count. */
  static String readNumbersFrom(Connection<Object> end, int from) throws InterruptedException {
    int expected = from;
    while (true) {
      Object received;
      try {
        received = end.recv();
      } catch (PipeClosedException endOfFile) {
        return "until " + expected;
      }
      if (!Integer.valueOf(expected).equals(received)) {
        return "received " + received + " where " + expected + " was due";
      }
      expected++;
    }
  }

  @Test
  void aReadingEndHandedOnToAThirdChildLosesAndReordersNothing() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Queue<Connection<Object>> handOver = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    int count = 30_000;
    int firstPart = 5_000;
    Process first = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      for (int i = 0; i < firstPart; i++) {
        Object received = receiving.recv();
        if (!Integer.valueOf(i).equals(received)) {
          results.put("first reader: " + received + " where " + i + " was due");
          return;
        }
      }
      // The writer is still sending: the end changes hands in mid-stream.
      handOver.put(receiving);
      receiving.close();
      results.put("first reader: ok");
    }));
    Process writer = mp.process(ChildBody.target(() -> {
      assertTrue(goWriter.await(WAIT));
      for (int i = 0; i < count; i++) {
        sending.send(i);
      }
    }));
    Process third = mp.process(ChildBody.target(() -> results.put(readNumbersFrom(handOver.get(WAIT), firstPart))));
    first.start();
    writer.start();
    third.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    List<String> reports = List.of(results.get(WAIT), results.get(WAIT));
    assertTrue(reports.contains("first reader: ok"), reports::toString);
    assertTrue(reports.contains("until " + count), reports::toString);
    assertTrue(sending.relayedByBroker() < count, "some messages went directly");
    for (Process process : List.of(first, writer, third)) {
      process.join();
      assertEquals(OptionalInt.of(0), process.exitCode());
    }
  }

  @Test
  void aSendingEndHandedOnToAThirdChildKeepsTheOrder() throws Exception {
    Pipe<Object> pipe = mp.pipe(false);
    Connection<Object> receiving = pipe.conn1();
    Connection<Object> sending = pipe.conn2();
    Queue<String> results = mp.queue();
    Queue<Connection<Object>> handOver = mp.queue();
    Event goReader = mp.event();
    Event reading = mp.event();
    Event goWriter = mp.event();
    Process reader = mp.process(ChildBody.target(() -> {
      becomeReader(receiving, goReader, reading);
      results.put(readNumbersFrom(receiving, 0));
    }));
    Process writer = mp.process(ChildBody.target(() -> {
      assertTrue(goWriter.await(WAIT));
      for (int i = 0; i < 3000; i++) {
        sending.send(i);
      }
      handOver.put(sending);
      sending.close();
    }));
    Process third = mp.process(ChildBody.target(() -> {
      Connection<Object> end = handOver.get(WAIT);
      for (int i = 3000; i < 6000; i++) {
        end.send(i);
      }
    }));
    reader.start();
    writer.start();
    third.start();
    receiving.close();
    sending.close();
    goReader.set();
    assertTrue(reading.await(WAIT));
    goWriter.set();
    assertEquals("until 6000", results.get(WAIT));
    assertEquals(0, sending.relayedByBroker());
    for (Process process : List.of(reader, writer, third)) {
      process.join();
      assertEquals(OptionalInt.of(0), process.exitCode());
    }
  }
}
