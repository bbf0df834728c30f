package io.multiprocessing4j;

import java.io.Serializable;
import java.util.function.Consumer;

/**
 * A one-argument action that can travel to a worker process: a pool initializer that takes its
 * {@code initargs} explicitly ({@link PoolOptions#withInitializer(SerializableConsumer, Object)}).
 *
 * @param <T> the argument type
 */
@FunctionalInterface
public interface SerializableConsumer<T> extends Consumer<T>, Serializable {}
