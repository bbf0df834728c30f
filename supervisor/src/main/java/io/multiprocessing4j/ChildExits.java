package io.multiprocessing4j;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exits of a context's children, as its supervisor reports them, for whoever started each child.
 * The report (on the supervisor's thread) and the claim (by the thread that started the child, once
 * the supervisor has answered with its id) come in either order: a child that dies at once is often
 * reported before its {@code start()} has returned. Each child's exit is claimed exactly once; its
 * entry is dropped once it has been both claimed and reported, so a second claim would wait forever.
 */
final class ChildExits {
  private final Map<Long, CompletableFuture<ProcessSupervisor.Exited>> exits = new ConcurrentHashMap<>();

  /** The future of child {@code id}'s exit, whether it has been reported yet or not; once per child. */
  CompletableFuture<ProcessSupervisor.Exited> claim(long id) {
    CompletableFuture<ProcessSupervisor.Exited> exit = exits.computeIfAbsent(id, key -> new CompletableFuture<>());
    exit.whenComplete((exited, error) -> exits.remove(id, exit));
    return exit;
  }

  /** A child's exit as the supervisor reports it: completes its claim, made already or to come. */
  void report(ProcessSupervisor.Exited exited) {
    exits.computeIfAbsent(exited.id(), key -> new CompletableFuture<>()).complete(exited);
  }

  /** How many exits are claimed and not yet reported, or reported and not yet claimed. */
  int pending() {
    return exits.size();
  }
}
