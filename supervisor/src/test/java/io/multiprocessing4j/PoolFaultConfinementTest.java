package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults that belong to one call must stay with that call: something that throws while the pool
 * handles one job's results or re-sends its items fails that job (or just its tasks), with the cause,
 * and the pool goes on serving every other call.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolFaultConfinementTest extends PoolContextTests {
  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  /** A mutable input: what it holds when it is sent is what the task sees. */
  static final class Box implements Serializable {
    private static final long serialVersionUID = 1L;
    Object content;

    Box(Object content) {
      this.content = content;
    }
  }

  /** An exception that cannot say what it is: its message throws. */
  static final class Speechless extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @Override
    public String getMessage() {
      throw new IllegalStateException("Speechless has no words");
    }
  }

  /** Worker side: this worker's pid, or for input 1 an exception that cannot be described. */
  static long pidOrSpeechless(int x) {
    if (x == 1) {
      throw new Speechless();
    }
    return ProcessHandle.current().pid();
  }

  private static Throwable rootOf(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  @Test
  void aFailureWhileTakingBackOneJobsChunkFailsThatJobWithTheCauseAndOtherJobsGoOn() throws Exception {
    pool = mp.pool(2);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      List<Box> boxes = List.of(new Box(0), new Box(1));
      CompletableFuture<List<Object>> changed = pool.mapAsync(box -> {
        if (box.content.equals(0)) {
          PoolCheckIns.checkIn(socket);
        }
        return box.content;
      }, boxes, 2);
      PoolCheckIns.CheckIn holdingBoxes = checkIns.next();
      CompletableFuture<List<Integer>> other = pool.mapAsync(x -> {
        if (x == 0) {
          PoolCheckIns.checkIn(socket);
        }
        return x + 1;
      }, range(4), 1);
      PoolCheckIns.CheckIn otherRunning = checkIns.next();
      // Sent once; after its worker dies the chunk must be sent again, and it no longer serializes.
      boxes.forEach(box -> box.content = new Object());
      ProcessHandle victim = ProcessHandle.of(holdingBoxes.pid()).orElseThrow();
      victim.destroyForcibly();
      victim.onExit().get(30, TimeUnit.SECONDS);

      ExecutionException failed = assertThrows(ExecutionException.class, () -> changed.get(30, TimeUnit.SECONDS));
      assertSame(NotSerializableException.class, rootOf(failed).getClass(), () -> "the cause is kept: " + failed);
      otherRunning.release();
      assertEquals(List.of(1, 2, 3, 4), other.get(30, TimeUnit.SECONDS), "the other job was not failed");
    }
    assertEquals(List.of(1), pool.map(x -> x + 1, range(1)), "the pool still serves");
  }

  @Test
  void anItemThatNoLongerSerializesWhenItsChunkMustBeSentAgainFailsAloneAndItsNeighboursRunAgain()
      throws Exception {
    pool = mp.pool(1);
    try (PoolCheckIns checkIns = new PoolCheckIns()) {
      String socket = checkIns.socket();
      List<Box> boxes = List.of(new Box(0), new Box(1), new Box(2));
      ResultIterator<Object> results = pool.imap(box -> {
        if (box.content.equals(0)) {
          PoolCheckIns.checkIn(socket);
        }
        return box.content;
      }, boxes, 3);
      PoolCheckIns.CheckIn first = checkIns.next();
      boxes.get(1).content = new Object();
      ProcessHandle victim = ProcessHandle.of(first.pid()).orElseThrow();
      victim.destroyForcibly();
      victim.onExit().get(30, TimeUnit.SECONDS);

      checkIns.next().release();
      assertEquals(0, results.next(), "item 0 ran again");
      PicklingException unsendable = assertThrows(PicklingException.class, results::next);
      assertTrue(unsendable.getMessage().contains("item 1 of Pool.imap"), unsendable.getMessage());
      assertSame(NotSerializableException.class, rootOf(unsendable).getClass(), unsendable::toString);
      assertEquals(2, results.next(), "item 2 ran again");
      assertFalse(results.hasNext());
    }
    assertEquals(List.of(1), pool.map(x -> x + 1, range(1)), "the pool still serves");
  }

  @Test
  void aTaskWhoseExceptionCannotDescribeItselfFailsAloneSayingSoAndItsWorkerLives() throws Exception {
    pool = mp.pool(1);
    long first;
    try (ResultIterator<Long> results = pool.imap(PoolFaultConfinementTest::pidOrSpeechless, range(3), 3)) {
      first = results.next();
      TaskFailedException failed = assertThrows(TaskFailedException.class, results::next);
      assertTrue(failed.getMessage().contains(Speechless.class.getName() + ": its exception could not be described"),
          failed.getMessage());
      assertEquals(first, results.next(), "the chunk's next task ran in the same worker");
    }
    assertEquals(first, pool.apply(() -> ProcessHandle.current().pid()), "the worker lived");
  }

  /** A function that travels from the parent but refuses to be read in a worker. */
  static final class UnreadableInWorkers implements SerializableFunction<Integer, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer apply(Integer x) {
      return x;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      if (Multiprocessing.parentProcess().isPresent()) {
        throw new InvalidObjectException("this function refuses to be read in a worker");
      }
    }
  }

  /**
   * Every task of a function its workers cannot decode fails, saying why, whatever the chunk's size
   * (a chunk's worker answers once for all its items), and the pool goes on.
   */
  @Test
  void aFunctionTheWorkersCannotDecodeFailsEveryTaskWithWhyAndThePoolGoesOn() throws Exception {
    pool = mp.pool(2);
    TaskFailedException failed = assertThrows(TaskFailedException.class,
        () -> pool.map(new UnreadableInWorkers(), range(10_000)));
    assertTrue(failed.getMessage().contains("task 0 of Pool.map")
        && failed.getMessage().contains("cannot decode the task's function in the worker"), failed.getMessage());
    assertEquals(10, failed.getSuppressed().length, "the later failures are attached, up to ten");
    Iterator<Integer> results = pool.imap(new UnreadableInWorkers(), range(50), 7);
    int failures = 0;
    while (results.hasNext()) {
      TaskFailedException each = assertThrows(TaskFailedException.class, results::next);
      assertTrue(each.getMessage().contains("task " + failures + " of"), each.getMessage());
      failures++;
    }
    assertEquals(50, failures, "every task failed, each at its own position");
    ExecutionException single = assertThrows(ExecutionException.class,
        () -> pool.applyAsync(new UnreadableInWorkers(), 1).get(30, TimeUnit.SECONDS));
    assertTrue(single.getCause().getMessage().contains("cannot decode"), single.getCause().getMessage());
    assertEquals(List.of(1, 2, 3), pool.map(x -> x + 1, range(3)));
  }
}
