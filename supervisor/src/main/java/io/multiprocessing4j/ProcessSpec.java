package io.multiprocessing4j;

import io.multiprocessing4j.internal.TargetEncoder;
import io.multiprocessing4j.proto.Payload;

/**
 * What {@link ProcessSupervisor} starts: a target already serialized, plus its {@link ProcessOptions}.
 * Building one serializes the target in the calling thread, so a value that cannot travel fails here,
 * with a {@link PicklingException}, not later in an actor or a child.
 */
public final class ProcessSpec {
  private final ProcessOptions options;
  private final Payload target;

  private ProcessSpec(ProcessOptions options, Payload target) {
    this.options = options;
    this.target = target;
  }

  /**
   * Serializes {@code target} now.
   *
   * @throws PicklingException if the target or anything it captures is not serializable
   * @throws NullPointerException if an argument is null
   */
  public static ProcessSpec of(SerializableRunnable target, ProcessOptions options) {
    if (target == null) {
      throw new NullPointerException("target");
    }
    if (options == null) {
      throw new NullPointerException("options");
    }
    String who = options.name() == null ? "a process" : options.name();
    return new ProcessSpec(options, TargetEncoder.encode(target, "the target of " + who, "target"));
  }

  public ProcessOptions options() {
    return options;
  }

  Payload target() {
    return target;
  }
}
