package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A chunk's answer larger than one frame travels in parts, so every result that fits a frame on its
 * own arrives, as in Python, whose answers have no size limit; a single result larger than a frame
 * fails alone, saying why. The context here has 64 KiB frames, so small data shows it.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolLargeAnswerTest {
  private static final int FRAME_BYTES = 64 * 1024;

  private static Multiprocessing smallFrames() {
    return Multiprocessing.create(new ProcessSupervisor.Settings(Duration.ofSeconds(5), FRAME_BYTES,
        StartMethod.SPAWN, 0, true));
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  /** Worker side: 6 000 bytes, each the input's value. */
  static byte[] filled(int x) {
    byte[] bytes = new byte[6_000];
    Arrays.fill(bytes, (byte) x);
    return bytes;
  }

  @Test
  void chunksWhoseAnswerIsLargerThanAFrameDeliverEveryResultInOrder() throws Exception {
    // No retries: the results must come as answered, not from chunks re-run item by item after a death.
    try (Multiprocessing mp = smallFrames();
        Pool pool = mp.pool(PoolOptions.defaults().withProcesses(2).withTaskRetries(0))) {
      // Two chunks of 50 results of 6 000 bytes: each answer is about 300 KB, several frames.
      List<byte[]> results = pool.map(PoolLargeAnswerTest::filled, range(100), 50);
      assertEquals(100, results.size());
      for (int i = 0; i < results.size(); i++) {
        assertEquals(6_000, results.get(i).length);
        assertEquals((byte) i, results.get(i)[5_999], "result " + i + " is in its place");
      }
      pool.terminate();
    }
  }

  /** Worker side: a result larger than a frame for input 3, one byte otherwise. */
  static byte[] hugeAtThree(int x) {
    return x == 3 ? new byte[2 * FRAME_BYTES] : new byte[] {(byte) x};
  }

  @Test
  void aSingleResultLargerThanAFrameFailsAloneSayingWhy() throws Exception {
    try (Multiprocessing mp = smallFrames(); Pool pool = mp.pool(1)) {
      try (ResultIterator<byte[]> results = pool.imap(PoolLargeAnswerTest::hugeAtThree, range(6), 6)) {
        for (int i = 0; i < 3; i++) {
          assertEquals(i, results.next()[0]);
        }
        TaskFailedException tooLarge = assertThrows(TaskFailedException.class, results::next);
        assertTrue(tooLarge.getMessage().contains("more than one frame may carry"), tooLarge.getMessage());
        assertEquals(3, tooLarge.taskIndex());
        assertEquals(4, results.next()[0]);
        assertEquals(5, results.next()[0]);
        assertFalse(results.hasNext());
      }
      pool.terminate();
    }
  }
}
