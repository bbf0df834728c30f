package io.multiprocessing4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How busy the machine was, and how much of that was this benchmark: the same arithmetic as
 * {@code cpu_accounting()} in {@code python_mp_bench.py}, so {@code foreign_cpu_frac} means the same on
 * both sides. Busy CPU comes from the first line of {@code /proc/stat}; this process tree's CPU is this
 * JVM's user+system time, plus what it reaped from exited children (cutime/cstime), plus every live
 * descendant's own and reaped time.
 */
final class CpuAccounting {
  /** USER_HZ: the unit of /proc times, fixed at 100 by the Linux ABI on the architectures we run on. */
  private static final double HZ = 100.0;

  /** A snapshot: machine-wide busy CPU seconds, steal seconds, CPU seconds of this process tree. */
  record Snapshot(double busySeconds, double stealSeconds, double ownSeconds) {}

  private CpuAccounting() {}

  static Snapshot snapshot() {
    long[] cpu = procStatCpu();
    long busy = 0;
    for (int i = 0; i < 8; i++) {
      busy += cpu[i]; // user nice system idle iowait irq softirq steal (guest is inside user)
    }
    busy -= cpu[3] + cpu[4];
    long own = ticks(ProcessHandle.current().pid());
    own += ProcessHandle.current().descendants().mapToLong(p -> ticks(p.pid())).sum();
    return new Snapshot(busy / HZ, cpu[7] / HZ, own / HZ);
  }

  /**
   * The CPU seconds that processes outside this tree used between {@code before} and {@code after}, as a
   * fraction of all the machine's CPUs over {@code wallSeconds}.
   */
  static double foreignFraction(Snapshot before, Snapshot after, double wallSeconds) {
    return foreignSeconds(before, after) / (wallSeconds * Runtime.getRuntime().availableProcessors());
  }

  static double foreignSeconds(Snapshot before, Snapshot after) {
    double busy = after.busySeconds() - before.busySeconds();
    double own = after.ownSeconds() - before.ownSeconds();
    return Math.max(0.0, busy - own);
  }

  /** The fraction of all CPUs busy over {@code millis}, machine-wide (Python's {@code cpu_busy_sample}). */
  static double busyFraction(long millis) throws InterruptedException {
    long[] a = procStatCpu();
    Thread.sleep(millis);
    long[] b = procStatCpu();
    long total = 0;
    for (int i = 0; i < b.length; i++) {
      total += b[i] - a[i];
    }
    long idle = (b[3] + b[4]) - (a[3] + a[4]);
    return BenchLine.round(1.0 - (double) idle / Math.max(1, total), 3);
  }

  private static long[] procStatCpu() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] parts = first.trim().split("\\s+");
      long[] values = new long[Math.max(8, parts.length - 1)];
      for (int i = 1; i < parts.length; i++) {
        values[i - 1] = Long.parseLong(parts[i]);
      }
      return values;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/stat (this benchmark needs Linux)", e);
    }
  }

  /** utime + stime + cutime + cstime of one process, in ticks; 0 if it has gone. */
  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name, which is in parentheses and may itself contain spaces.
      List<String> rest = List.of(stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+"));
      return rest.subList(11, 15).stream().mapToLong(Long::parseLong).sum();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
