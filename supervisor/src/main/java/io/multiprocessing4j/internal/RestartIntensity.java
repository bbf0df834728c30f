package io.multiprocessing4j.internal;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * OTP's restart intensity for one pool: at most {@code maxRestarts} restarts within {@code period}.
 * Confined to the pool actor.
 */
final class RestartIntensity {
  private final int maxRestarts;
  private final Duration period;
  /**
   * The period in nanoseconds, capped at {@link Timeouts#NO_LIMIT_BEYOND}: a longer one (a caller's
   * "for ever") would overflow a count of nanoseconds, and no restart is ever that far apart anyway.
   */
  private final long periodNanos;
  private final ArrayDeque<Long> restarts = new ArrayDeque<>();

  RestartIntensity(int maxRestarts, Duration period) {
    this.maxRestarts = maxRestarts;
    this.period = period;
    this.periodNanos = (period.compareTo(Timeouts.NO_LIMIT_BEYOND) > 0 ? Timeouts.NO_LIMIT_BEYOND : period).toNanos();
  }

  /** Records an unexpected exit now; true if that makes more than {@code maxRestarts} within the period. */
  boolean exceededBy(long nowNanos) {
    restarts.add(nowNanos);
    while (nowNanos - restarts.peekFirst() > periodNanos) {
      restarts.pollFirst();
    }
    return restarts.size() > maxRestarts;
  }

  /** Unexpected exits within the current period. */
  int recent() {
    return restarts.size();
  }

  @Override
  public String toString() {
    return recent() + " exited unexpectedly within " + describe(period) + ", more than its restart intensity allows ("
        + maxRestarts + ")";
  }

  /**
   * A period as a person reads it and never as 0 when it is not: whole seconds in seconds, whole
   * milliseconds in milliseconds (unless there are too many to count), anything else in
   * {@link Duration}'s own form.
   */
  static String describe(Duration period) {
    if (period.getNano() == 0) {
      return period.getSeconds() + " s";
    }
    if (period.getNano() % 1_000_000 == 0 && period.compareTo(Timeouts.NO_LIMIT_BEYOND) <= 0) {
      return period.toMillis() + " ms";
    }
    return period.toString();
  }
}
