package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edge cases of the pool's calls, each of which once stopped the pool, lost results or failed the
 * wrong way: results that are null or too deeply nested to serialize, an imap read after a terminate,
 * an imap loop that catches each failure, a list changed while mapAsync reads it, and a task that tries to start children of its own. Each
 * must give the answer Python gives (or a clear error in its place) and leave the pool serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolEdgeCasesTest extends PoolContextTests {
  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  /** Worker side: None for odd inputs, as a Python function that falls off its end. */
  static Integer evenOrNull(int x) {
    return x % 2 == 0 ? x : null;
  }

  @Test
  void nullResultsComeBackAsNullFromEveryCall() throws Exception {
    pool = mp.pool(2);
    List<Integer> expected = Arrays.asList(0, null, 2, null, 4, null);
    assertEquals(expected, pool.map(PoolEdgeCasesTest::evenOrNull, range(6)));
    assertNull(pool.apply(() -> null));
    assertNull(pool.applyAsync(PoolEdgeCasesTest::evenOrNull, 1).get(30, TimeUnit.SECONDS));
    List<Integer> ordered = new ArrayList<>();
    try (ResultIterator<Integer> results = pool.imap(PoolEdgeCasesTest::evenOrNull, range(6))) {
      results.forEachRemaining(ordered::add);
    }
    assertEquals(expected, ordered);
    List<Integer> unordered = new ArrayList<>();
    try (ResultIterator<Integer> results = pool.imapUnordered(PoolEdgeCasesTest::evenOrNull, range(6))) {
      for (int i = 0; i < 6; i++) {
        unordered.add(results.next(Duration.ofSeconds(20)));
      }
      assertFalse(results.hasNext());
    }
    assertEquals(3, unordered.stream().filter(x -> x == null).count(), unordered.toString());
    assertEquals(List.of(1), pool.map(x -> x + 1, range(1)), "the pool still serves");
  }

  /** Worker side: what a task that starts its own pool or process is told, as Python's AssertionError. */
  static String startChildren(int which) {
    try (Multiprocessing inner = Multiprocessing.create()) {
      if (which == 0) {
        inner.pool(1).close();
      } else {
        inner.process(() -> { }).start();
      }
      return "started";
    } catch (IllegalStateException refused) {
      return refused.getMessage();
    }
  }

  @Test
  void aTaskCannotStartAPoolOrProcessOfItsOwnAndIsToldWhy() throws Exception {
    pool = mp.pool(1);
    for (String answer : pool.map(PoolEdgeCasesTest::startChildren, range(2), 1)) {
      assertTrue(answer.contains("daemonic processes are not allowed to have children"), answer);
    }
    assertEquals(List.of(1), pool.map(x -> x + 1, range(1)), "the pool still serves");
  }

  /** {@code pool.imap(x -> x * 10, range(n))}, returned once the task of item 1 has started. */
  private ResultIterator<Integer> imapPastItsSecondItem(PoolCheckIns checkIns, int n) throws Exception {
    String socket = checkIns.socket();
    ResultIterator<Integer> results = pool.imap(x -> {
      if (x == 1) {
        PoolCheckIns.checkIn(socket);
      }
      return x * 10;
    }, range(n));
    checkIns.next();
    return results;
  }

  @Test
  void resultsThatArrivedBeforeATerminateAreStillReadFromAnImapThenItsCancellation() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      ResultIterator<Integer> results = imapPastItsSecondItem(checkIns, 2);
      // Without taking it: result 0 is here (Python's IMapIterator keeps the results it has).
      assertTrue(results.hasNext());
      pool.terminate();
      assertEquals(0, results.next(), "a result that arrived is not dropped by the terminate");
      assertThrows(CancellationException.class, results::next);
    }
  }

  @Test
  void aLoopThatCatchesEachFailureOfAnImapEndsOnceATerminatesCancellationHasBeenThrown() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      ResultIterator<Integer> results = imapPastItsSecondItem(checkIns, 4);
      pool.terminate();
      List<Object> outcomes = new ArrayList<>();
      // Bounded: an iterator that never ends must fail this test, not hang it.
      for (int i = 0; i < 100 && results.hasNext(); i++) {
        try {
          outcomes.add(results.next());
        } catch (CancellationException cancelled) {
          outcomes.add("cancelled");
        }
      }
      assertEquals("cancelled", outcomes.get(outcomes.size() - 1), outcomes.toString());
      assertEquals(1, outcomes.stream().filter("cancelled"::equals).count(), "thrown once: " + outcomes);
      assertFalse(results.hasNext(), "Iterator's contract: no next once the end is reached");
      assertThrows(NoSuchElementException.class, results::next);
      assertThrows(NoSuchElementException.class, () -> results.next(Duration.ofSeconds(1)));
    }
  }

  @Test
  void aListChangedWhileMapAsyncReadsItFailsThatCallAloneSayingSo() throws Exception {
    pool = mp.pool(1);
    for (boolean grow : new boolean[] {true, false}) {
      try (PoolCheckIns checkIns = new PoolCheckIns()) {
        String socket = checkIns.socket();
        List<Integer> items = new ArrayList<>(range(10_000));
        CompletableFuture<List<Integer>> outputs = pool.mapAsync(x -> {
          if (x == 0) {
            PoolCheckIns.checkIn(socket);
          }
          return x;
        }, items, 1);
        // Task 0 holds the only worker, so the rest of the input is still unread.
        PoolCheckIns.CheckIn first = checkIns.next();
        if (grow) {
          items.add(10_000);
        } else {
          items.subList(5_000, 10_000).clear();
        }
        first.release();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> outputs.get(30, TimeUnit.SECONDS),
            grow ? "grown" : "shrunk");
        ConcurrentModificationException changed = assertInstanceOf(ConcurrentModificationException.class,
            failed.getCause());
        assertTrue(changed.getMessage().contains("Pool.mapAsync"), changed.getMessage());
      }
      assertEquals(List.of(1), pool.map(x -> x + 1, range(1)), "the pool still serves");
    }
  }

  /** A chain too deep for Java serialization's recursion, as Python's pickle hits its recursion limit. */
  static final class Link implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Link next;

    Link(Link next) {
      this.next = next;
    }
  }

  /** Worker side: a result that cannot be serialized for its depth, for input 1. */
  static Object deepAtOne(int x) {
    if (x != 1) {
      return x;
    }
    Link chain = null;
    for (int i = 0; i < 1_000_000; i++) {
      chain = new Link(chain);
    }
    return chain;
  }

  @Test
  void aResultTooDeepToSerializeFailsItsOwnTaskAndTheWorkerLives() throws Exception {
    pool = mp.pool(1);
    long worker = pool.apply(() -> ProcessHandle.current().pid());
    List<Object> outcomes = new ArrayList<>();
    try (ResultIterator<Object> results = pool.imap(PoolEdgeCasesTest::deepAtOne, range(3), 3)) {
      for (int i = 0; i < 3; i++) {
        try {
          outcomes.add(results.next(Duration.ofSeconds(60)));
        } catch (TaskFailedException e) {
          outcomes.add(e.getCause().getClass().getSimpleName());
          assertTrue(e.getMessage().contains("StackOverflowError"), e.getMessage());
        }
      }
    }
    assertEquals(List.of(0, "NotSerializableException", 2), outcomes);
    assertEquals(worker, pool.apply(() -> ProcessHandle.current().pid()), "the worker survived");
  }
}
