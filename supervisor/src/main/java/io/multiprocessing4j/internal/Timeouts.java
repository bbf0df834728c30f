package io.multiprocessing4j.internal;

import java.time.Duration;

/**
 * The public API's timeouts, turned into the counts its waits use. One rule for every blocking call:
 * a null timeout has no limit, as Python's {@code timeout=None}; so has one longer than
 * {@link #NO_LIMIT_BEYOND} (100 years), which no clock in this process could reach anyway and which
 * would overflow a count of nanoseconds (Python refuses such timeouts with {@code OverflowError}; a
 * Java caller passing {@code Duration.ofSeconds(Long.MAX_VALUE)} means "for ever"); a negative one
 * counts as zero, as in Python's {@code multiprocessing} (its semaphores clamp it).
 */
public final class Timeouts {
  /** Timeouts longer than this have no limit; its nanoseconds, added to any clock reading, compare safely. */
  public static final Duration NO_LIMIT_BEYOND = Duration.ofDays(100 * 365);

  private Timeouts() {}

  /** Whole milliseconds, rounded up; 0 for a zero or negative timeout; -1 for no limit. */
  public static long millis(Duration timeout) {
    if (isUnlimited(timeout)) {
      return -1;
    }
    if (timeout.isNegative() || timeout.isZero()) {
      return 0;
    }
    long millis = timeout.toMillis();
    return timeout.minusMillis(millis).isZero() ? millis : millis + 1;
  }

  /** Nanoseconds; 0 for a zero or negative timeout; -1 for no limit. */
  public static long nanos(Duration timeout) {
    if (isUnlimited(timeout)) {
      return -1;
    }
    return timeout.isNegative() ? 0 : timeout.toNanos();
  }

  private static boolean isUnlimited(Duration timeout) {
    return timeout == null || timeout.compareTo(NO_LIMIT_BEYOND) > 0;
  }
}
