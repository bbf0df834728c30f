package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Message sizes: 256 MiB travels whole through a pipe and a queue; above the maximum is refused. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MessageSizeTest {
  private static final int BIG = 256 << 20;

  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() {
    mp.close();
  }

  static byte[] pattern(int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i * 31 + (i >>> 13));
    }
    return bytes;
  }

  static long crc(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return crc.getValue();
  }

  /** Child side: sends a big patterned message on the pipe, then one through the queue. */
  static void sendBig(Connection<Object> conn, Queue<byte[]> q) throws InterruptedException {
    byte[] bytes = pattern(BIG);
    conn.sendBytes(bytes);
    q.put(bytes);
  }

  @Test
  void a256MiBMessageTravelsWholeFromAChild() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    Connection<Object> childEnd = pipe.conn2();
    Queue<byte[]> q = mp.queue();
    Process child = mp.process(ChildBody.target(() -> sendBig(childEnd, q)),
        ProcessOptions.defaults().withJvmOptions(List.of("-Xmx1200m", "-XX:+UseSerialGC")));
    child.start();
    long expected = crc(pattern(BIG));
    byte[] viaPipe = pipe.conn1().recvBytes();
    assertEquals(BIG, viaPipe.length);
    assertEquals(expected, crc(viaPipe));
    viaPipe = null;
    byte[] viaQueue = q.get();
    assertEquals(BIG, viaQueue.length);
    assertEquals(expected, crc(viaQueue));
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: receives a big message on the pipe, then one from the queue, and reports their checksums. */
  static void receiveBig(Connection<Object> conn, Queue<byte[]> q, Queue<long[]> report) throws InterruptedException {
    byte[] viaPipe = conn.recvBytes();
    long pipeCrc = crc(viaPipe);
    int pipeLength = viaPipe.length;
    viaPipe = null;
    byte[] viaQueue = q.get();
    report.put(new long[] {pipeLength, pipeCrc, viaQueue.length, crc(viaQueue)});
  }

  @Test
  void a256MiBMessageTravelsWholeToAChild() throws Exception {
    Pipe<Object> pipe = mp.pipe();
    Connection<Object> childEnd = pipe.conn2();
    Queue<byte[]> q = mp.queue();
    Queue<long[]> report = mp.queue();
    Process child = mp.process(ChildBody.target(() -> receiveBig(childEnd, q, report)),
        ProcessOptions.defaults().withJvmOptions(List.of("-Xmx1200m", "-XX:+UseSerialGC")));
    child.start();
    byte[] bytes = pattern(BIG);
    long expected = crc(bytes);
    pipe.conn1().sendBytes(bytes);
    q.put(bytes);
    bytes = null;
    assertArrayEquals(new long[] {BIG, expected, BIG, expected}, report.get(Duration.ofSeconds(60)));
    assertTrue(child.join(Duration.ofSeconds(60)));
    assertEquals(OptionalInt.of(0), child.exitCode());
  }

  /** Child side: tries a message one byte too large, reports what happened, then a fitting one. */
  static void tryTooLarge(Queue<Object> q, int limit) throws InterruptedException {
    try {
      q.put(new byte[limit + 1]);
      q.put("too large was accepted");
    } catch (MessageTooLargeException expected) {
      q.put(new byte[limit]);
    }
  }

  @Test
  void aMessageAboveTheMaximumIsRefusedAtTheCall() throws Exception {
    int limit = 1 << 20;
    Pipe<Object> pipe = mp.pipe(PipeOptions.defaults().withMaxMessageBytes(limit));
    MessageTooLargeException refused = assertThrows(MessageTooLargeException.class,
        () -> pipe.conn1().sendBytes(new byte[limit + 1]));
    assertEquals(limit + 1, refused.size());
    assertEquals(limit, refused.limit());
    assertThrows(MessageTooLargeException.class, () -> pipe.conn1().send(new int[limit / 4 + 1]));
    pipe.conn1().sendBytes(new byte[limit]);
    assertEquals(limit, pipe.conn2().recvBytes().length);

    Queue<Object> q = mp.queue(QueueOptions.defaults().withMaxMessageBytes(limit));
    Process child = mp.process(ChildBody.target(() -> tryTooLarge(q, limit)));
    child.start();
    Object answer = q.get();
    assertTrue(answer instanceof byte[] bytes && bytes.length == limit, String.valueOf(answer));
    child.join();
    assertEquals(OptionalInt.of(0), child.exitCode());
  }
}
