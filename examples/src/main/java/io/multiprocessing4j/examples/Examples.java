package io.multiprocessing4j.examples;

/** What the examples share: running a child body whose blocking calls may be interrupted. */
final class Examples {
  /** A child body: blocking gets and receives throw {@link InterruptedException} when terminated. */
  @FunctionalInterface
  interface Body {
    void run() throws InterruptedException;
  }

  private Examples() {}

  /**
   * Runs {@code body} in a process target (which cannot throw checked exceptions). An interrupt means
   * the parent called {@code terminate()}: the body stops and the interrupt status is kept.
   */
  static void unchecked(Body body) {
    try {
      body.run();
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    }
  }
}
