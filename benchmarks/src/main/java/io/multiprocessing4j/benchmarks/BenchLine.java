package io.multiprocessing4j.benchmarks;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One output line in the format of {@code shared/bench-ref/python_mp_bench.py}:
 * {@code {"bench", "params", "value", "unit", "reps", "stats": {"min","max"}, ..., "foreign_cpu_frac"}},
 * keys in that order, numbers rounded to 5 significant digits, separators as Python's {@code json.dumps}
 * writes them. {@code value} is the median of the samples; lines marked {@code "extra": true} are
 * informational and skipped by {@code compare.py}.
 */
final class BenchLine {
  private final Map<String, Object> fields = new LinkedHashMap<>();

  private BenchLine(String bench, Map<String, ?> params, Double value, String unit) {
    fields.put("bench", bench);
    fields.put("params", new LinkedHashMap<>(params));
    fields.put("value", value == null ? null : sig(value));
    fields.put("unit", unit);
  }

  static BenchLine of(String bench, Map<String, ?> params, Double value, String unit) {
    return new BenchLine(bench, params, value, unit);
  }

  /** A line whose value is the median of {@code samples}, with {@code reps} and {@code stats}. */
  static BenchLine ofSamples(String bench, Map<String, ?> params, List<Double> samples, String unit) {
    return new BenchLine(bench, params, median(samples), unit).samples(samples);
  }

  /**
   * Adds {@code reps} (the number of samples), {@code stats} (their min and max) and {@code per_rep}
   * (every sample, in the order measured: how a JVM's figures climb as its code is compiled and its heap
   * grows, which the median alone hides).
   */
  BenchLine samples(List<Double> samples) {
    fields.put("reps", samples.size());
    spread(samples);
    fields.put("per_rep", samples.stream().map(BenchLine::sig).toList());
    return this;
  }

  /** Adds only {@code stats}: min and max over {@code samples} (e.g. over children rather than repetitions). */
  BenchLine spread(List<Double> samples) {
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("min", sig(Collections.min(samples)));
    stats.put("max", sig(Collections.max(samples)));
    fields.put("stats", stats);
    return this;
  }

  /** Adds a field after the standard ones; a double is rounded to 5 significant digits like the value. */
  BenchLine with(String key, Object value) {
    fields.put(key, value instanceof Double d ? sig(d) : value);
    return this;
  }

  /** Marks the line informational: outside the Python contract, skipped by {@code compare.py}. */
  BenchLine extra() {
    fields.put("extra", true);
    return this;
  }

  BenchLine foreignCpuFrac(double fraction) {
    fields.put("foreign_cpu_frac", round(fraction, 3));
    return this;
  }

  String toJson() {
    StringBuilder text = new StringBuilder();
    write(text, fields);
    return text.toString();
  }

  static double median(List<Double> samples) {
    List<Double> sorted = new ArrayList<>(samples);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Python's {@code float(f"{x:.5g}")}. */
  static double sig(double x) {
    if (x == 0 || Double.isNaN(x) || Double.isInfinite(x)) {
      return x;
    }
    return new BigDecimal(x).round(new MathContext(5)).doubleValue();
  }

  static double round(double x, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(x * scale) / scale;
  }

  /** Rounds every value to 2 decimals, as the Python script's {@code _round_d} does for breakdowns. */
  static Map<String, Double> round2(Map<String, Double> values) {
    Map<String, Double> rounded = new LinkedHashMap<>();
    values.forEach((k, v) -> rounded.put(k, round(v, 2)));
    return rounded;
  }

  /** Writes {@code value} (null, String, Boolean, Number, Map, List; anything else as its string) as JSON. */
  static void write(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      writeString(out, s);
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      out.append(value);
    } else if (value instanceof Number n) {
      double d = n.doubleValue();
      out.append(Double.isFinite(d) ? Double.toString(d) : "null");
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      String separator = "";
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        out.append(separator);
        writeString(out, String.valueOf(entry.getKey()));
        out.append(": ");
        write(out, entry.getValue());
        separator = ", ";
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      String separator = "";
      for (Object item : list) {
        out.append(separator);
        write(out, item);
        separator = ", ";
      }
      out.append(']');
    } else {
      writeString(out, value.toString());
    }
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append(String.format("\\u%04x", (int) c)); // ASCII only, as json.dumps writes
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
