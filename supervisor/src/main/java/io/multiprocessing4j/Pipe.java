package io.multiprocessing4j;

import java.io.Serializable;

/**
 * The two ends of a pipe, as {@link Multiprocessing#pipe()} returns them: Python's
 * {@code conn1, conn2 = Pipe()}. In a one-way pipe {@code conn1} only receives and {@code conn2} only
 * sends. Serializable, as Python's tuple of connections pickles; capture the one end a child needs
 * rather than the pair, since a process that receives an end holds it open until it exits.
 *
 * @param conn1 the first end (the receiving one of a one-way pipe)
 * @param conn2 the second end (the sending one of a one-way pipe)
 * @param <T> the type of the messages
 */
public record Pipe<T>(Connection<T> conn1, Connection<T> conn2) implements Serializable {}
