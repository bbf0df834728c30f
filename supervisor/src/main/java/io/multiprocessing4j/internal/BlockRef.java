package io.multiprocessing4j.internal;

import java.io.Serializable;
import java.util.Objects;

/**
 * What travels when a handle to shared memory is sent to another process: the block's file and what
 * it holds. {@link #map()} gives this process's mapping of it, creating the mapping the first time and
 * keeping it in this reference, so that a handle's every operation after the first costs no lookup.
 */
public final class BlockRef implements Serializable {
  private static final long serialVersionUID = 2L;

  private final String path;
  private final SharedBlock.Kind kind;
  /** This process's mapping, once looked up; never serialized. */
  private transient volatile SharedBlock mapped;

  /**
   * @param path the block's file
   * @param kind what the block holds (checked when the block is mapped)
   */
  public BlockRef(String path, SharedBlock.Kind kind) {
    this.path = Objects.requireNonNull(path, "path");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /** The block's file. */
  public String path() {
    return path;
  }

  /** What the block holds. */
  public SharedBlock.Kind kind() {
    return kind;
  }

  /**
   * This process's mapping of the block.
   *
   * @throws IllegalStateException if the block no longer exists (its context closed) or is not a block
   *     of this kind
   */
  public SharedBlock map() {
    SharedBlock block = mapped;
    if (block == null) {
      block = Mappings.map(this);
      mapped = block;
    }
    if (block.released()) {
      throw closedContext(path, kind);
    }
    return block;
  }

  /** The failure of a use of a block whose context closed. */
  static IllegalStateException closedContext(String path, SharedBlock.Kind kind) {
    return new IllegalStateException("the shared " + Mappings.describe(kind) + " " + path
        + " no longer exists: the Multiprocessing context that created it is closed");
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BlockRef ref && ref.path.equals(path) && ref.kind == kind;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, kind);
  }

  @Override
  public String toString() {
    return "BlockRef[path=" + path + ", kind=" + kind + "]";
  }
}
