package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * "Arguments must be picklable": a target that captures something that cannot travel fails at start(),
 * in the caller's thread, naming the class and where it was captured; no child process is started.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PicklingTest {
  private final Multiprocessing mp = Multiprocessing.create();
  /** Instance state, so a lambda that reads it captures this (non-serializable) test instance. */
  private final Object greeting = "hello";

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** Cannot travel: not Serializable. */
  static final class Unpicklable {
    final String label = "unpicklable";
  }

  /** Travels itself, but holds one thing that cannot. */
  static final class Holder implements Serializable {
    private static final long serialVersionUID = 1L;
    final String label = "holder";
    final Unpicklable inner = new Unpicklable();
  }

  /** Child side (never reached in these tests). */
  static void use(Object value) {
    System.out.println(value);
  }

  /** Worker side (never reached in these tests). */
  static Object identity(Object value) {
    return value;
  }

  private static Set<Long> descendantPids() {
    return ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private static void assertNotStarted(Process p, Set<Long> before) {
    assertTrue(p.pid().isEmpty(), "no pid: " + p);
    assertFalse(p.isAlive());
    assertEquals(OptionalInt.empty(), p.exitCode());
    assertEquals(before, descendantPids(), "no child process was started");
  }

  @Test
  void capturedNonSerializableArgumentFailsAtStartNamingClassAndPlace() {
    Set<Long> before = descendantPids();
    Unpicklable value = new Unpicklable();
    Process p = mp.process(() -> use(value));

    PicklingException e = assertThrows(PicklingException.class, p::start);

    String message = e.getMessage();
    assertTrue(message.contains(Unpicklable.class.getName()), "names the class: " + message);
    assertTrue(message.contains(p.name()), "names the process: " + message);
    assertTrue(message.contains("lambda in " + PicklingTest.class.getName() + ".lambda$"),
        "names the lambda that captured it: " + message);
    assertTrue(message.contains("captured argument #0"), "names the captured argument: " + message);
    assertNotStarted(p, before);
    assertTrue(mp.activeChildren().isEmpty());
  }

  @Test
  void aTargetTooLargeForTheChildsChannelFailsAtStartInsteadOfNeverRunning() {
    Set<Long> before = descendantPids();
    int limit = 64 * 1024;
    try (Multiprocessing small = Multiprocessing.create(
        new ProcessSupervisor.Settings(Duration.ofSeconds(5), limit, StartMethod.SPAWN, 0, true))) {
      byte[] payload = new byte[4 * limit];
      Process p = small.process(() -> use(payload.length));

      PicklingException e = assertThrows(PicklingException.class, p::start);

      String message = e.getMessage();
      assertTrue(message.contains("the target of " + p.name()) && message.contains(String.valueOf(limit)),
          "names the target and the limit: " + message);
      assertNotStarted(p, before);
      assertEquals(List.of(), small.activeChildren());
    }
  }

  @Test
  void nestedNonSerializableValueIsLocatedInsideItsHolder() {
    Set<Long> before = descendantPids();
    List<Object> args = new ArrayList<>(List.of("first", new Holder()));
    Process p = mp.process(() -> use(args));

    PicklingException e = assertThrows(PicklingException.class, p::start);

    String message = e.getMessage();
    assertTrue(message.contains(Unpicklable.class.getName()), message);
    assertTrue(message.contains("captured argument #0[1].inner"), "the path to the value: " + message);
    assertNotStarted(p, before);
  }

  @Test
  void lambdaCapturingTheEnclosingInstanceNamesThatClass() {
    Set<Long> before = descendantPids();
    Process p = mp.process(() -> use(greeting));

    PicklingException e = assertThrows(PicklingException.class, p::start);

    assertTrue(e.getMessage().contains(PicklingTest.class.getName() + " is not Serializable"), e.getMessage());
    assertNotStarted(p, before);
  }

  @Test
  void anItemThatCannotTravelIsNamedAsTheItemItIsNotAsATarget() {
    Queue<Object> queue = mp.queue();
    PicklingException put = assertThrows(PicklingException.class, () -> queue.put(new Holder()));
    assertTrue(put.getMessage().contains("(at: value.inner (" + Unpicklable.class.getName() + "))"),
        "the path starts at the item put: " + put.getMessage());
    assertFalse(put.getMessage().contains("target ("), "no target is involved: " + put.getMessage());

    try (Pool pool = mp.pool(1)) {
      PicklingException map = assertThrows(PicklingException.class,
          () -> pool.map(PicklingTest::identity, List.<Object>of("first", new Holder())));
      assertTrue(map.getMessage().contains("item 1 of") && map.getMessage().contains("(at: item.inner ("),
          "names the item and the path inside it: " + map.getMessage());
    }
  }

  @Test
  void processSpecFailsTheSameWayForTheActorApi() {
    Unpicklable value = new Unpicklable();
    PicklingException e = assertThrows(PicklingException.class,
        () -> ProcessSpec.of(() -> use(value), ProcessOptions.defaults().withName("typed")));
    assertTrue(e.getMessage().contains(Unpicklable.class.getName()) && e.getMessage().contains("typed"),
        e.getMessage());
  }
}
