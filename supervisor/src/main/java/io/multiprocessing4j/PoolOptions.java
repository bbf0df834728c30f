package io.multiprocessing4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link Pool} is built and supervised: an immutable value, refined with {@code with...}
 * methods, in the manner of OTP's supervisor flags and child spec.
 *
 * <table>
 *   <caption>Keys, meaning and defaults</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>processes</td><td>how many worker processes the pool keeps running (Python's
 *       {@code processes})</td><td>{@link Multiprocessing#cpuCount()}</td></tr>
 *   <tr><td>initializer</td><td>run once in each worker before its first task (Python's
 *       {@code initializer(*initargs)}); if it throws, the worker exits and is replaced, which counts
 *       against the restart intensity</td><td>none</td></tr>
 *   <tr><td>maxTasksPerChild</td><td>a worker is retired and replaced after this many tasks; a task
 *       is one {@code apply} or one chunk of a map, as Python counts; 0 means never</td><td>0</td></tr>
 *   <tr><td>taskRetries</td><td>how many times a task whose worker died under it is run again on
 *       another worker; past that, that task alone fails with a {@link WorkerDiedException}</td>
 *       <td>3</td></tr>
 *   <tr><td>restart intensity</td><td>if more than {@code maxRestarts} workers exit unexpectedly
 *       within {@code restartPeriod}, the pool stops restarting them: it is broken, and its pending
 *       and future work fails with a {@link PoolBrokenException}. It breaks as well once more than
 *       processes + 2 workers in a row die before they are ready (their initializer fails), however
 *       slowly</td>
 *       <td>5 per worker (5 × processes) within 10 seconds</td></tr>
 *   <tr><td>jvmOptions</td><td>the worker JVMs' options</td><td>{@link #DEFAULT_WORKER_JVM_OPTIONS}</td></tr>
 *   <tr><td>classPath</td><td>the workers' class path</td><td>this JVM's {@code java.class.path}</td></tr>
 *   <tr><td>terminateGrace</td><td>how long {@link Pool#terminate()} lets a busy worker react to its
 *       interrupt before it is killed</td><td>2 seconds</td></tr>
 * </table>
 */
public final class PoolOptions {
  /**
   * {@link ProcessOptions#DEFAULT_JVM_OPTIONS} tuned for long-lived, busy processes: pool workers run
   * the compute-heavy part of a program, so they keep the optimizing compiler (a short-lived process
   * starts faster without it), and they start with a 64 MiB heap ({@code -Xms64m}) instead of a
   * minimal one that is kept small: every chunk allocates its items and results, and in a 4 MiB heap
   * that meant a young collection every chunk or two and full collections of tens of milliseconds;
   * for the same reason they keep the JVM's default young generation (a third of the heap).
   * Objects that survive two young collections are promoted ({@code -XX:MaxTenuringThreshold=1}): what
   * lives that long in a worker is its start-up state, which would otherwise be copied between the
   * survivor spaces by each of the next collections (1.5-2.5 ms pauses instead of ~0.4 ms), while a
   * chunk's items and results are garbage within the chunk.
   */
  public static final List<String> DEFAULT_WORKER_JVM_OPTIONS = workerJvmOptions();

  private static final String WORKER_INITIAL_HEAP = "-Xms64m";
  private static final String WORKER_TENURING = "-XX:MaxTenuringThreshold=1";

  private static final int RESTARTS_PER_WORKER = 5;
  /** maxRestarts not set: {@link #RESTARTS_PER_WORKER} per worker. */
  private static final int DEFAULT_RESTARTS = -1;
  private static final PoolOptions DEFAULTS = new PoolOptions(0, null, 0, 3, DEFAULT_RESTARTS, Duration.ofSeconds(10),
      DEFAULT_WORKER_JVM_OPTIONS, null, Duration.ofSeconds(2));

  private static List<String> workerJvmOptions() {
    List<String> options = new ArrayList<>();
    for (String option : ProcessOptions.DEFAULT_JVM_OPTIONS) {
      if (!option.startsWith("-XX:TieredStopAtLevel=") && !option.startsWith("-XX:CICompilerCount=")
          && !option.startsWith("-Xms") && !option.startsWith("-XX:MinHeapFreeRatio=")
          && !option.startsWith("-XX:MaxHeapFreeRatio=") && !option.startsWith("-XX:NewRatio=")) {
        options.add(option);
      }
    }
    options.add(WORKER_INITIAL_HEAP);
    options.add(WORKER_TENURING);
    return List.copyOf(options);
  }

  private final int processes;
  private final SerializableRunnable initializer;
  private final int maxTasksPerChild;
  private final int taskRetries;
  private final int maxRestarts;
  private final Duration restartPeriod;
  private final List<String> jvmOptions;
  private final String classPath;
  private final Duration terminateGrace;

  private PoolOptions(int processes, SerializableRunnable initializer, int maxTasksPerChild, int taskRetries,
      int maxRestarts, Duration restartPeriod, List<String> jvmOptions, String classPath, Duration terminateGrace) {
    this.processes = processes;
    this.initializer = initializer;
    this.maxTasksPerChild = maxTasksPerChild;
    this.taskRetries = taskRetries;
    this.maxRestarts = maxRestarts;
    this.restartPeriod = restartPeriod;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.classPath = classPath;
    this.terminateGrace = terminateGrace;
  }

  /** The defaults listed above. */
  public static PoolOptions defaults() {
    return DEFAULTS;
  }

  /**
   * @throws IllegalArgumentException if {@code processes} is less than 1 (Python raises
   *     {@code ValueError: Number of processes must be at least 1})
   */
  public PoolOptions withProcesses(int processes) {
    if (processes < 1) {
      throw new IllegalArgumentException("number of processes must be at least 1, was " + processes);
    }
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * Runs {@code initializer} once in each worker at start-up; its arguments (Python's
   * {@code initargs}) are what it captures, and like it they must be serializable. They are serialized
   * when the pool is created, in the caller's thread.
   */
  public PoolOptions withInitializer(SerializableRunnable initializer) {
    Objects.requireNonNull(initializer, "initializer");
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /** Runs {@code initializer.accept(initarg)} once in each worker at start-up. Python's {@code initargs=(initarg,)}. */
  public <A> PoolOptions withInitializer(SerializableConsumer<? super A> initializer, A initarg) {
    Objects.requireNonNull(initializer, "initializer");
    return withInitializer(() -> initializer.accept(initarg));
  }

  /**
   * @param maxTasksPerChild tasks after which a worker is replaced by a fresh one; 0 for never
   * @throws IllegalArgumentException if negative
   */
  public PoolOptions withMaxTasksPerChild(int maxTasksPerChild) {
    if (maxTasksPerChild < 0) {
      throw new IllegalArgumentException("maxTasksPerChild must be 0 (unlimited) or positive, was " + maxTasksPerChild);
    }
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * @param taskRetries how often a task is re-run after its worker died under it; 0 fails it at once
   * @throws IllegalArgumentException if negative
   */
  public PoolOptions withTaskRetries(int taskRetries) {
    if (taskRetries < 0) {
      throw new IllegalArgumentException("taskRetries must not be negative, was " + taskRetries);
    }
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * The pool breaks when more than {@code maxRestarts} workers exit unexpectedly within
   * {@code period}. OTP's {@code intensity} and {@code period}.
   *
   * @throws IllegalArgumentException if {@code maxRestarts} is negative or {@code period} not positive
   */
  public PoolOptions withRestartIntensity(int maxRestarts, Duration period) {
    if (maxRestarts < 0 || period == null || period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("restart intensity needs maxRestarts >= 0 and a positive period, was "
          + maxRestarts + " in " + period);
    }
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, period,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * The worker JVMs' options, replacing {@link #DEFAULT_WORKER_JVM_OPTIONS}.
   *
   * @throws IllegalArgumentException if an element does not start with {@code -}
   */
  public PoolOptions withJvmOptions(List<String> jvmOptions) {
    // Validated by the same rules as a process's options (each throws IllegalArgumentException).
    ProcessOptions.defaults().withJvmOptions(jvmOptions);
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * The workers' class path, instead of this JVM's.
   *
   * @throws IllegalArgumentException if it is blank
   */
  public PoolOptions withClassPath(String classPath) {
    ProcessOptions.defaults().withClassPath(classPath);
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /**
   * How long {@link Pool#terminate()} lets a busy worker react to its interrupt before killing it.
   *
   * @throws IllegalArgumentException if it is null, negative or longer than
   *     {@link ProcessOptions#MAX_TERMINATE_GRACE}
   */
  public PoolOptions withTerminateGrace(Duration terminateGrace) {
    ProcessOptions.defaults().withTerminateGrace(terminateGrace);
    return new PoolOptions(processes, initializer, maxTasksPerChild, taskRetries, maxRestarts, restartPeriod,
        jvmOptions, classPath, terminateGrace);
  }

  /** The number of workers: as set, or {@link Multiprocessing#cpuCount()}. */
  public int processes() {
    return processes > 0 ? processes : Multiprocessing.cpuCount();
  }

  /** The initializer, or null for none. */
  public SerializableRunnable initializer() {
    return initializer;
  }

  /** 0 for unlimited. */
  public int maxTasksPerChild() {
    return maxTasksPerChild;
  }

  /** How often a task whose worker died under it is run again. */
  public int taskRetries() {
    return taskRetries;
  }

  /** As set, or 5 × {@link #processes()}. */
  public int maxRestarts() {
    return maxRestarts != DEFAULT_RESTARTS ? maxRestarts : RESTARTS_PER_WORKER * processes();
  }

  /** The period over which {@link #maxRestarts()} is counted. */
  public Duration restartPeriod() {
    return restartPeriod;
  }

  /** The worker JVMs' options. */
  public List<String> jvmOptions() {
    return jvmOptions;
  }

  /** The class path, or null for this JVM's own. */
  public String classPath() {
    return classPath;
  }

  /** How long a terminated worker may take to stop before it is killed. */
  public Duration terminateGrace() {
    return terminateGrace;
  }

  @Override
  public String toString() {
    return "PoolOptions[processes=" + processes() + ", initializer=" + (initializer != null)
        + ", maxTasksPerChild=" + maxTasksPerChild + ", taskRetries=" + taskRetries + ", restartIntensity="
        + maxRestarts() + " in " + restartPeriod + ", jvmOptions=" + jvmOptions + ", terminateGrace=" + terminateGrace
        + (classPath == null ? "" : ", classPath=" + classPath) + "]";
  }
}
