package io.multiprocessing4j.agent;

import java.io.Serializable;

/**
 * INTERNAL API: what a pool worker applies to each item of a chunk. The pool adapts the user's
 * functions (one argument, two arguments, none) to this one shape, so the worker loop knows a single
 * calling convention. Checked exceptions are allowed: like any exception, they fail only their item.
 */
@FunctionalInterface
public interface TaskFunction extends Serializable {
  Object apply(Object argument) throws Exception;
}
