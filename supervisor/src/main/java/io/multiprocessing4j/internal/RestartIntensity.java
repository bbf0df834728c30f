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
  private final ArrayDeque<Long> restarts = new ArrayDeque<>();

  RestartIntensity(int maxRestarts, Duration period) {
    this.maxRestarts = maxRestarts;
    this.period = period;
  }

  /** Records an unexpected exit now; true if that makes more than {@code maxRestarts} within the period. */
  boolean exceededBy(long nowNanos) {
    restarts.add(nowNanos);
    while (nowNanos - restarts.peekFirst() > period.toNanos()) {
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
    return recent() + " exited unexpectedly within " + period.toSeconds() + " s, more than its restart intensity allows ("
        + maxRestarts + ")";
  }
}
