package io.multiprocessing4j;

import java.io.Serializable;
import java.util.function.Function;

/**
 * A function that can travel to a worker process: the Java counterpart of the {@code func} Python's
 * {@code Pool.map} pickles. It is serialized in the caller's thread together with everything it
 * captures; a lambda or method reference typed as this interface is serializable by itself.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface SerializableFunction<T, R> extends Function<T, R>, Serializable {}
