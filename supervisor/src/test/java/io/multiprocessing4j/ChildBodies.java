package io.multiprocessing4j;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Child-side bodies shared by the synchronization tests. */
final class ChildBodies {
  /** How long a child that waits to be killed waits at most: far longer than any test. */
  static final long KILL_ME_WITHIN_MILLIS = TimeUnit.MINUTES.toMillis(2);

  private ChildBodies() {}

  /** Announces through {@code ready}, then idles until it is killed (never a synchronization sleep). */
  static void announceThenIdle(Event ready) {
    ready.set();
    try {
      new CountDownLatch(1).await(KILL_ME_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Interrupts are failures in test children: turn them into one. */
  interface Interruptible {
    void run() throws Exception;
  }

  static void unchecked(Interruptible body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
