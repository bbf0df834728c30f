package io.multiprocessing4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Memory of a process as Linux reports it, in MiB. RSS from {@code /proc/PID/status} (the keys
 * {@code python_mp_bench.py}'s {@code read_rss} uses), and PSS from {@code /proc/PID/smaps_rollup}:
 * proportional set size divides each shared page among the processes mapping it, so it credits the
 * JDK's and the application's shared class-data archive fairly when several children map it.
 */
final class ProcMemory {
  private static final Set<String> RSS_KEYS = Set.of("VmRSS", "RssAnon", "RssFile", "RssShmem");
  private static final Set<String> PSS_KEYS = Set.of("Pss", "Pss_Anon", "Pss_File", "Pss_Shmem");

  private ProcMemory() {}

  /** VmRSS, RssAnon, RssFile, RssShmem. */
  static Map<String, Double> rss(long pid) throws IOException {
    return read(Path.of("/proc", Long.toString(pid), "status"), RSS_KEYS);
  }

  /** Pss, Pss_Anon, Pss_File, Pss_Shmem. */
  static Map<String, Double> pss(long pid) throws IOException {
    return read(Path.of("/proc", Long.toString(pid), "smaps_rollup"), PSS_KEYS);
  }

  private static Map<String, Double> read(Path file, Set<String> keys) throws IOException {
    Map<String, Double> mib = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      int colon = line.indexOf(':');
      if (colon > 0 && keys.contains(line.substring(0, colon))) {
        String kb = line.substring(colon + 1).trim().split("\\s+")[0];
        mib.put(line.substring(0, colon), Long.parseLong(kb) / 1024.0);
      }
    }
    return mib;
  }
}
