package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How a broken pool's message states its restart intensity: a sub-second period never reads "0 s". */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RestartIntensityTest {
  @Test
  void aSubSecondPeriodIsNotPrintedAsZeroSeconds() {
    RestartIntensity intensity = new RestartIntensity(1, Duration.ofMillis(250));
    assertFalse(intensity.exceededBy(0));
    assertTrue(intensity.exceededBy(1));
    assertEquals("2 exited unexpectedly within 250 ms, more than its restart intensity allows (1)",
        intensity.toString());
  }

  @Test
  void aPeriodReadsInItsLargestWholeUnit() {
    assertEquals("10 s", RestartIntensity.describe(Duration.ofSeconds(10)));
    assertEquals("1500 ms", RestartIntensity.describe(Duration.ofMillis(1500)));
    assertEquals("PT0.0000005S", RestartIntensity.describe(Duration.ofNanos(500)));
  }
}
