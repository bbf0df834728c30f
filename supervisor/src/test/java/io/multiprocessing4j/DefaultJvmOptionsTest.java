package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The default child flags only name options the child's JVM accepts (an unknown one stops it). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DefaultJvmOptionsTest {
  @Test
  void nativeHeapTrimmingOnlyOnJvmsThatHaveIt() {
    assertFalse(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("17.0.8")));
    assertTrue(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("17.0.9")));
    assertTrue(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("17.0.15+6")));
    assertFalse(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("18.0.2")));
    assertFalse(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("20.0.2")));
    assertFalse(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("21")));
    assertTrue(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("21.0.1")));
    assertTrue(ProcessOptions.trimsNativeHeap(Runtime.Version.parse("22")));
  }

  @Test
  void theDefaultsFollowTheRunningJvm() {
    assertEquals(ProcessOptions.trimsNativeHeap(Runtime.version()),
        ProcessOptions.DEFAULT_JVM_OPTIONS.contains("-XX:TrimNativeHeapInterval=1000"));
  }
}
