package io.multiprocessing4j;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the pool tests share: one context per test class (a context's start is not what they test),
 * and whatever pool a test leaves open terminated after it, so that no worker outlives its test even
 * when an assertion failed half-way.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PoolContextTests {
  Multiprocessing mp;
  /** The test's pool, if it made one. */
  Pool pool;

  @BeforeAll
  void openContext() {
    mp = Multiprocessing.create();
  }

  @AfterAll
  void closeContext() {
    mp.close();
  }

  @AfterEach
  void terminatePool() {
    if (pool != null) {
      pool.terminate();
      pool = null;
    }
  }
}
