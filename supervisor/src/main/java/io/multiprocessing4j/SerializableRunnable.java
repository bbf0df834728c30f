package io.multiprocessing4j;

import java.io.Serializable;

/**
 * A process target: the Java counterpart of Python's {@code target=} function. It is serialized in
 * the caller's thread at {@link Process#start()}, together with everything it captures (the
 * counterpart of Python's {@code args}), and run on the child JVM's main thread.
 */
@FunctionalInterface
public interface SerializableRunnable extends Runnable, Serializable {}
