package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A child's exit reaches whoever started it, whichever of the report and the claim comes first. */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ChildExitsTest {
  private final ChildExits exits = new ChildExits();

  private static ProcessSupervisor.Exited exitOf(long id) {
    return new ProcessSupervisor.Exited(id, "Process-" + id, 100 + id, -9, Optional.empty());
  }

  @Test
  void anExitReportedBeforeItIsClaimedCompletesTheClaim() {
    // A child that dies at once (a warm agent killed as it took its target) is reported while its
    // start() is still on its way back to the caller.
    ProcessSupervisor.Exited exited = exitOf(3);
    exits.report(exited);

    CompletableFuture<ProcessSupervisor.Exited> claimed = exits.claim(3);

    assertTrue(claimed.isDone());
    assertSame(exited, claimed.getNow(null));
    assertEquals(0, exits.pending(), "nothing is kept once claimed and reported");
  }

  @Test
  void anExitClaimedBeforeItIsReportedCompletesOnTheReport() {
    CompletableFuture<ProcessSupervisor.Exited> claimed = exits.claim(4);
    assertFalse(claimed.isDone());

    exits.report(exitOf(4));

    assertEquals(-9, claimed.getNow(null).exitCode());
    assertEquals(0, exits.pending(), "nothing is kept once claimed and reported");
  }

  @Test
  void exitsOfDifferentChildrenDoNotMix() {
    CompletableFuture<ProcessSupervisor.Exited> first = exits.claim(5);
    exits.report(exitOf(6));

    assertFalse(first.isDone());
    assertEquals(6, exits.claim(6).getNow(null).id());
    assertEquals(1, exits.pending(), "child 5's claim waits for its report");
  }
}
