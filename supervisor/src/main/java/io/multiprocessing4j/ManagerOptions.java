package io.multiprocessing4j;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link Manager} is run: an immutable value, refined with {@code with...} methods.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>restart</td><td>what happens when the manager process dies without being shut down:
 *       {@link Restart#NEVER} leaves it dead (every proxy call fails with {@link ManagerDiedException});
 *       {@link Restart#ON_FAILURE} starts a new, empty manager process</td><td>NEVER</td></tr>
 *   <tr><td>maxRestarts</td><td>how many times ON_FAILURE restarts it over the manager's life</td><td>3</td></tr>
 *   <tr><td>startTimeout</td><td>how long {@code mp.manager()} (and a restart) waits for the manager
 *       process to be ready</td><td>60 seconds</td></tr>
 *   <tr><td>jvmOptions</td><td>JVM options added to the manager process's own (e.g. {@code -Xmx4g} for a
 *       manager holding large objects); a restarted manager gets them too</td><td>none</td></tr>
 * </table>
 */
public final class ManagerOptions {
  /** What to do when the manager process dies. */
  public enum Restart {
    /** Leave it dead: proxies fail fast with {@link ManagerDiedException}. */
    NEVER,
    /** Start a new, empty manager process, up to {@code maxRestarts} times. */
    ON_FAILURE
  }

  private static final ManagerOptions DEFAULTS =
      new ManagerOptions(Restart.NEVER, 3, Duration.ofSeconds(60), List.of());

  private final Restart restart;
  private final int maxRestarts;
  private final Duration startTimeout;
  private final List<String> jvmOptions;

  private ManagerOptions(Restart restart, int maxRestarts, Duration startTimeout, List<String> jvmOptions) {
    this.restart = restart;
    this.maxRestarts = maxRestarts;
    this.startTimeout = startTimeout;
    this.jvmOptions = jvmOptions;
  }

  /** The defaults listed above. */
  public static ManagerOptions defaults() {
    return DEFAULTS;
  }

  /** With restart policy {@code restart}; throws {@link NullPointerException} if it is null. */
  public ManagerOptions withRestart(Restart restart) {
    return new ManagerOptions(Objects.requireNonNull(restart, "restart"), maxRestarts, startTimeout, jvmOptions);
  }

  /** With at most {@code maxRestarts} restarts; throws {@link IllegalArgumentException} if negative. */
  public ManagerOptions withMaxRestarts(int maxRestarts) {
    if (maxRestarts < 0) {
      throw new IllegalArgumentException("maxRestarts must not be negative: " + maxRestarts);
    }
    return new ManagerOptions(restart, maxRestarts, startTimeout, jvmOptions);
  }

  /**
   * With a start timeout; one too long for any clock to reach (over 100 years) has no limit. Throws
   * {@link IllegalArgumentException} unless it is positive.
   */
  public ManagerOptions withStartTimeout(Duration startTimeout) {
    if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
    }
    return new ManagerOptions(restart, maxRestarts, startTimeout, jvmOptions);
  }

  /**
   * With {@code jvmOptions} added to the manager process's JVM options (which replace none of its own);
   * throws {@link NullPointerException} if the list is null and {@link IllegalArgumentException} if an
   * element is null or does not start with {@code '-'}, as {@link ProcessOptions#withJvmOptions} does.
   */
  public ManagerOptions withJvmOptions(List<String> jvmOptions) {
    Objects.requireNonNull(jvmOptions, "jvmOptions");
    for (String option : jvmOptions) {
      if (option == null || !option.startsWith("-")) {
        throw new IllegalArgumentException("not a JVM option: " + option + " (options start with '-')");
      }
    }
    return new ManagerOptions(restart, maxRestarts, startTimeout, List.copyOf(jvmOptions));
  }

  /** The restart policy. */
  public Restart restart() {
    return restart;
  }

  /** How many restarts {@link Restart#ON_FAILURE} allows over the manager's life. */
  public int maxRestarts() {
    return maxRestarts;
  }

  /** How long starting (or restarting) the manager may take. */
  public Duration startTimeout() {
    return startTimeout;
  }

  /** The JVM options added to the manager process's own. */
  public List<String> jvmOptions() {
    return jvmOptions;
  }

  @Override
  public String toString() {
    return "ManagerOptions[restart=" + restart + ", maxRestarts=" + maxRestarts + ", startTimeout=" + startTimeout
        + ", jvmOptions=" + jvmOptions + "]";
  }
}
