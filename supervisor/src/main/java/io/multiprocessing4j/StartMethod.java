package io.multiprocessing4j;

/**
 * How a context starts child processes: the counterpart of Python's {@code get_context("spawn")} /
 * {@code get_context("forkserver")}. Chosen with {@link ProcessSupervisor.Settings#withStartMethod}.
 */
public enum StartMethod {
  /**
   * A fresh JVM per child, launched with {@link ProcessOptions#DEFAULT_JVM_OPTIONS} and, once it has
   * been made in the background, a class-data-sharing archive of the agent's classes.
   */
  SPAWN,
  /**
   * Our forkserver: the context keeps {@link ProcessSupervisor.Settings#warmAgents()} pre-booted,
   * connected, idle agents; {@code start()} hands the target to one of them and a replacement boots in
   * the background. A child whose options differ from the defaults (JVM options, class path) is
   * spawned instead. Idle agents are daemon children of the context: they are killed when it closes
   * and halt if the parent dies.
   */
  WARM
}
