package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** join(timeout): false while the child runs (after waiting that long), true once it has exited. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JoinTimeoutTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @TempDir
  Path dir;

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Child side: runs until the test creates {@code release}. */
  static void waitForRelease(String release) {
    ChildSide.awaitFile(release);
  }

  @Test
  void joinWithTimeoutIsFalseWhileRunningAndTrueAfter() throws Exception {
    String release = dir.resolve("release").toString();
    Process p = mp.process(() -> waitForRelease(release));
    p.start();

    long t0 = System.nanoTime();
    assertFalse(p.join(Duration.ofMillis(300)), "the child waits for its release");
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(waitedMs >= 290, "join(300 ms) waited its timeout, not less: " + waitedMs + " ms");
    assertFalse(p.join(Duration.ZERO));
    assertTrue(p.isAlive());
    assertEquals(OptionalInt.empty(), p.exitCode(), "no exit code while running");
    assertEquals(List.of(p), mp.activeChildren());

    ChildSide.touch(release);
    assertTrue(p.join(Duration.ofSeconds(10)), "the released child exits");
    assertEquals(OptionalInt.of(0), p.exitCode());
    assertFalse(p.isAlive());
    assertTrue(mp.activeChildren().isEmpty());
    assertTrue(p.join(Duration.ZERO), "join after exit returns at once");
  }

  @Test
  void aTimeoutTooLongForNanosecondsOrNullWaitsLikeNoTimeout() throws Exception {
    String release = dir.resolve("release").toString();
    Process p = mp.process(() -> waitForRelease(release));
    p.start();
    // Python's join(timeout=1e12) just waits; Duration.toNanos() would overflow here.
    CompletableFuture<Boolean> joined = CompletableFuture.supplyAsync(() -> {
      try {
        return p.join(Duration.ofSeconds(Long.MAX_VALUE));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    // Python's join(None): no limit.
    CompletableFuture<Boolean> joinedWithNull = CompletableFuture.supplyAsync(() -> {
      try {
        return p.join(null);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      assertFalse(p.join(Duration.ofMillis(200)), "still running, so the long joins are still waiting");
      assertFalse(joined.isDone(), "the long join waits: " + joined);
      assertFalse(joinedWithNull.isDone(), "join(null) waits: " + joinedWithNull);
    } finally {
      ChildSide.touch(release);
    }
    assertTrue(joined.get(20, TimeUnit.SECONDS));
    assertTrue(joinedWithNull.get(20, TimeUnit.SECONDS));
    assertEquals(OptionalInt.of(0), p.exitCode());
  }
}
