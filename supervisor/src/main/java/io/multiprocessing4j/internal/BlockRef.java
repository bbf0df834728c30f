package io.multiprocessing4j.internal;

import java.io.Serializable;

/**
 * What travels when a handle to shared memory is sent to another process: the block's file and what
 * it holds. {@link #map()} gives this process's mapping of it, creating the mapping the first time.
 *
 * @param path the block's file
 * @param kind what the block holds (checked when the block is mapped)
 */
public record BlockRef(String path, SharedBlock.Kind kind) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * This process's mapping of the block.
   *
   * @throws IllegalStateException if the block no longer exists (its context closed) or is not a block
   *     of this kind
   */
  public SharedBlock map() {
    return Mappings.map(this);
  }
}
