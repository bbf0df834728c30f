package io.multiprocessing4j.agent;

import java.io.Serializable;

/**
 * The target of a class-data-sharing training run: a real child that does nothing, so the archive
 * records exactly the classes every child loads on its way to running a target. Lives in this module
 * so it loads from the archived jars alone.
 */
public final class NoOpTarget implements Runnable, Serializable {
  private static final long serialVersionUID = 1L;

  @Override
  public void run() {
    // Nothing: the training is the path to here.
  }
}
