package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.agent.ChildRuntime;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A result the worker sends but the parent cannot decode fails its own task, named by its position; the
 * other results of its chunk settle as usual. The results below decode in the worker's JVM and refuse to
 * in this one (a static flag set only here), as a class missing from the parent's class path would.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolUnreadableResultTest extends PoolContextTests {
  private static final int ITEMS = 8;
  private static final int BAD = 3;

  /** Set in the test's JVM only: the workers' copies of this class keep it false. */
  static volatile boolean refuseToDecodeHere;

  /** Its class cannot be loaded here, as far as Java serialization can tell. */
  static final class UnknownHere implements Serializable {
    private static final long serialVersionUID = 1L;

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      if (refuseToDecodeHere) {
        throw new ClassNotFoundException("UnknownHere is not on the parent's class path");
      }
    }
  }

  /** Its readObject fails half-way through, as a bad class version or a refusing filter would. */
  static final class BreaksTheStream implements Serializable {
    private static final long serialVersionUID = 1L;

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      if (refuseToDecodeHere) {
        throw new InvalidObjectException("BreaksTheStream refuses to be read in the parent");
      }
      in.defaultReadObject();
    }
  }

  /** An item that travels from here but that a worker cannot decode, as if its class were missing there. */
  static final class UnknownInTheWorker implements Serializable {
    private static final long serialVersionUID = 1L;

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      if (ChildRuntime.current().isPresent()) {
        throw new ClassNotFoundException("UnknownInTheWorker is not on the worker's class path");
      }
    }
  }

  /** Worker side: every result is an int but the one at {@link #BAD}. */
  static Object unknownAtBad(int x) {
    return x == BAD ? new UnknownHere() : x;
  }

  /** Worker side: every result is an int but the one at {@link #BAD}. */
  static Object breakingAtBad(int x) {
    return x == BAD ? new BreaksTheStream() : x;
  }

  @BeforeEach
  void startPool() {
    pool = mp.pool(1);
    refuseToDecodeHere = true;
  }

  @AfterEach
  void decodeAgain() {
    refuseToDecodeHere = false;
  }

  private static List<Integer> range() {
    return IntStream.range(0, ITEMS).boxed().toList();
  }

  /** imap's outcomes, one chunk of every item: a value, or the message of the task's failure. */
  private List<Object> imapOutcomes(SerializableFunction<Integer, Object> function) {
    List<Object> outcomes = new ArrayList<>();
    try (ResultIterator<Object> results = pool.imap(function, range(), ITEMS)) {
      while (results.hasNext()) {
        try {
          outcomes.add(results.next());
        } catch (TaskFailedException e) {
          outcomes.add(e.getMessage());
        }
      }
    }
    return outcomes;
  }

  @Test
  void aResultWhoseClassIsUnknownHereFailsOnlyItsOwnTask() throws Exception {
    TaskFailedException failure = assertThrows(TaskFailedException.class,
        () -> pool.map(PoolUnreadableResultTest::unknownAtBad, range(), ITEMS));
    assertEquals(BAD, failure.taskIndex());
    assertTrue(failure.getMessage().startsWith("task " + BAD + " of Pool.map ")
        && failure.getMessage().contains("could not be read here"), failure.getMessage());
    assertEquals(0, failure.getSuppressed().length, "no other task failed: " + List.of(failure.getSuppressed()));

    List<Object> outcomes = imapOutcomes(PoolUnreadableResultTest::unknownAtBad);
    assertEquals(ITEMS, outcomes.size());
    for (int i = 0; i < ITEMS; i++) {
      if (i == BAD) {
        String message = (String) outcomes.get(i);
        assertTrue(message.startsWith("task " + BAD + " of Pool.imap ") && message.contains("UnknownHere"), message);
      } else {
        assertEquals(i, outcomes.get(i), "the other results of the chunk arrive");
      }
    }
  }

  /**
   * A failure that leaves the stream unreadable past it costs the results after it in the chunk too,
   * each saying which one stopped the stream; those before it arrive.
   */
  @Test
  void aResultThatBreaksTheStreamFailsItsOwnTaskAndTheRestOfItsChunkSaySo() throws Exception {
    TaskFailedException failure = assertThrows(TaskFailedException.class,
        () -> pool.map(PoolUnreadableResultTest::breakingAtBad, range(), ITEMS));
    assertEquals(BAD, failure.taskIndex(), "the first failure is the culprit's, not task 0's");
    assertTrue(failure.getMessage().contains("BreaksTheStream refuses"), failure.getMessage());

    List<Object> outcomes = imapOutcomes(PoolUnreadableResultTest::breakingAtBad);
    assertEquals(List.of(0, 1, 2), outcomes.subList(0, BAD), "the results before it arrive");
    assertTrue(((String) outcomes.get(BAD)).contains("BreaksTheStream refuses"), (String) outcomes.get(BAD));
    for (int i = BAD + 1; i < ITEMS; i++) {
      String message = (String) outcomes.get(i);
      assertTrue(message.startsWith("task " + i + " of Pool.imap ")
          && message.contains("element " + BAD + " before it could not be decoded"), message);
    }
    assertEquals(List.of(0, 1), pool.map(x -> x, List.of(0, 1)), "the pool goes on");
  }

  /** An item the worker cannot decode fails its own task, named by its position; the others of its chunk run. */
  @Test
  void anItemTheWorkerCannotDecodeFailsOnlyItsOwnTask() throws Exception {
    List<Object> items = new ArrayList<>(range());
    items.set(BAD, new UnknownInTheWorker());
    SerializableFunction<Object, Object> twice = x -> x instanceof Integer i ? 2 * i : x;

    TaskFailedException failure = assertThrows(TaskFailedException.class, () -> pool.map(twice, items, ITEMS));
    assertEquals(BAD, failure.taskIndex());
    assertTrue(failure.getMessage().startsWith("task " + BAD + " of Pool.map ")
        && failure.getMessage().contains("element " + BAD + " of its chunk")
        && failure.getMessage().contains("UnknownInTheWorker is not on the worker's class path"), failure.getMessage());
    assertEquals(0, failure.getSuppressed().length, "no other task failed: " + List.of(failure.getSuppressed()));

    List<Object> outcomes = new ArrayList<>();
    try (ResultIterator<Object> results = pool.imap(twice, items, ITEMS)) {
      while (results.hasNext()) {
        try {
          outcomes.add(results.next());
        } catch (TaskFailedException e) {
          outcomes.add(e.getMessage());
        }
      }
    }
    assertEquals(ITEMS, outcomes.size());
    for (int i = 0; i < ITEMS; i++) {
      if (i == BAD) {
        assertTrue(((String) outcomes.get(i)).startsWith("task " + BAD + " of Pool.imap "), (String) outcomes.get(i));
      } else {
        assertEquals(2 * i, outcomes.get(i), "the other tasks of the chunk run");
      }
    }
  }
}
