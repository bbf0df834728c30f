package io.multiprocessing4j;

import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * A task that can travel to a worker process and return a value: what {@link Pool#apply} runs.
 * Arguments are captured by the lambda, as for a {@link SerializableRunnable} process target; it may
 * throw any exception, which fails only its own result.
 *
 * @param <V> the result type
 */
@FunctionalInterface
public interface SerializableCallable<V> extends Callable<V>, Serializable {}
