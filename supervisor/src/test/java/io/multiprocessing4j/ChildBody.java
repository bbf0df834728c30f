package io.multiprocessing4j;

import java.io.Serializable;

/**
 * A child-side test body that may throw checked exceptions (a blocking get or recv throws
 * {@link InterruptedException}); {@link #target} turns it into a process target whose failure is the
 * child's exit code 1.
 */
@FunctionalInterface
interface ChildBody extends Serializable {
  void run() throws Exception;

  static SerializableRunnable target(ChildBody body) {
    return () -> {
      try {
        body.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }
}
