package io.multiprocessing4j;

import java.io.Serializable;
import java.util.function.BiFunction;

/**
 * A two-argument function that can travel to a worker process: what {@link Pool#starmap} applies to
 * each pair of arguments, as Python's {@code starmap} applies {@code func(*args)}.
 *
 * @param <T> the first argument's type
 * @param <U> the second argument's type
 * @param <R> the result type
 */
@FunctionalInterface
public interface SerializableBiFunction<T, U, R> extends BiFunction<T, U, R>, Serializable {}
