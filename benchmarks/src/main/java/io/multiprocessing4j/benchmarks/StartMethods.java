package io.multiprocessing4j.benchmarks;

import io.multiprocessing4j.Multiprocessing;
import io.multiprocessing4j.StartMethod;
import java.util.List;
import java.util.Locale;

/**
 * The start methods measured: each start-up and memory bench runs once per entry of {@link #MEASURED},
 * and names it in the {@code start_method} param, where {@code compare.py} matches it with Python's
 * line of the same name, else with Python's {@code spawn}. A new start method is one more entry.
 */
final class StartMethods {
  static final List<StartMethod> MEASURED = List.of(StartMethod.SPAWN, StartMethod.WARM);

  private StartMethods() {}

  /** The {@code start_method} param: {@code spawn}, {@code warm}. */
  static String param(StartMethod method) {
    return method.name().toLowerCase(Locale.ROOT);
  }

  static Multiprocessing open(StartMethod method) {
    return Multiprocessing.create(method);
  }
}
