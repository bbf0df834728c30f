/**
 * The side-by-side benchmark against CPython's {@code multiprocessing}: {@link
 * io.multiprocessing4j.benchmarks.BenchRunner} prints the JSON lines of {@code shared/bench-ref/python_mp_bench.py}
 * for the library's figures. Not part of the library; built only with the Maven profile {@code benchmarks}.
 */
package io.multiprocessing4j.benchmarks;
