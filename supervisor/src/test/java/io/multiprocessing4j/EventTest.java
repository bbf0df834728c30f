package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Event: set, clear, await with and without timeout, across processes. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @AfterEach
  void closeContext() throws Exception {
    mp.close();
    assertEquals(List.of(), SharedFiles.createdByThisJvm(), "shared-memory files left after close");
  }

  /** Child side: Python's event_pong. */
  static void pong(Event ping, Event pong, int rounds) {
    ChildBodies.unchecked(() -> {
      for (int i = 0; i < rounds; i++) {
        ping.await();
        ping.clear();
        pong.set();
      }
    });
  }

  @Test
  void eventSemanticsAsInPython() throws Exception {
    Event event = mp.event();
    assertFalse(event.isSet());
    assertEquals("<Event(unset)>", event.toString());
    long start = System.nanoTime();
    assertFalse(event.await(Duration.ofMillis(100)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
    event.set();
    event.set();
    assertTrue(event.isSet());
    assertTrue(event.await(Duration.ZERO));
    event.await();
    event.clear();
    assertFalse(event.isSet());
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, event::await);
  }

  @Test
  void eventsPassTheTurnBetweenProcesses() throws Exception {
    Event ping = mp.event();
    Event pong = mp.event();
    int rounds = 2000;
    Process p = mp.process(() -> pong(ping, pong, rounds));
    p.start();
    for (int i = 0; i < rounds; i++) {
      ping.set();
      assertTrue(pong.await(Duration.ofSeconds(30)), "round " + i);
      pong.clear();
    }
    p.join();
    assertEquals(OptionalInt.of(0), p.exitCode(), p.remoteTraceback().orElse(""));
  }
}
