package io.multiprocessing4j;

import io.multiprocessing4j.internal.TargetEncoder;
import io.multiprocessing4j.proto.Payload;

/**
 * What {@link ProcessSupervisor} starts: a target already serialized, plus its {@link ProcessOptions}.
 * Building one serializes the target in the calling thread, so a value that cannot travel fails here,
 * with a {@link PicklingException}, not later in an actor or a child.
 */
public final class ProcessSpec {
  /** What a target's frame holds besides the target: the child's name and flags. */
  private static final int FRAME_FIELDS_BYTES = 1024;

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

  /**
   * Refuses a target that cannot reach its child: the child receives it in one frame, and a frame
   * larger than the channel carries is never delivered, so the child would wait for it forever.
   *
   * @param what the target, for the message ({@code the target of Process-1})
   * @param bytes its serialized size
   * @param frameLimit the largest frame the child's channel carries
   * @throws PicklingException if it does not fit, with room for the frame's other fields
   */
  static void checkFitsOneFrame(String what, long bytes, int frameLimit) {
    long frame = bytes + FRAME_FIELDS_BYTES;
    if (frame > frameLimit) {
      throw new PicklingException(what + " takes " + frame + " bytes, more than one frame to a child may carry"
          + " (maxFrameBytes " + frameLimit + "); pass large data through shared memory, a queue or a pipe", null);
    }
  }

  /**
   * {@link #checkFitsOneFrame} for this spec's target, which is to run as {@code name}: the one check
   * of {@link Process#start()} and of {@link ProcessSupervisor}'s {@code Start}.
   */
  void checkTargetFitsOneFrame(String name, int frameLimit) {
    checkFitsOneFrame("the target of " + name, target.getSerializedSize(), frameLimit);
  }

  public ProcessOptions options() {
    return options;
  }

  Payload target() {
    return target;
  }
}
