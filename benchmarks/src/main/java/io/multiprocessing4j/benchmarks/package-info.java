/**
 * The side-by-side benchmark against CPython's {@code multiprocessing}: {@link
 * io.multiprocessing4j.benchmarks.BenchRunner} prints the JSON lines of {@code shared/bench-ref/python_mp_bench.py}
 * for the library's figures, and {@link io.multiprocessing4j.benchmarks.ReliabilityRunner} those of
 * {@code python_mp_reliability.py}'s failure-mode probes. Not part of the library; built only with the Maven
 * profile {@code benchmarks}.
 */
package io.multiprocessing4j.benchmarks;
