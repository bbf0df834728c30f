package io.multiprocessing4j.internal;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This process's mappings of the anonymous blocks that back values, arrays and synchronization
 * primitives, so that every handle to one block in this process shares one mapping however many times
 * it was deserialized (a pool worker receives a captured lock with every task).
 *
 * <p>It is process-wide state on purpose: it mirrors the OS's table of this process's mappings, and a
 * handle deserialized in a child has no context to look in. It does not break the isolation of contexts
 * side by side: block names are unique per context, and a context forgets its blocks when it closes.
 * Named {@code SharedMemory} blocks are not cached here (a name can be reused after an unlink).
 */
final class Mappings {
  private static final ConcurrentHashMap<String, SharedBlock> BLOCKS = new ConcurrentHashMap<>();

  private Mappings() {}

  static SharedBlock map(BlockRef ref) {
    SharedBlock block = BLOCKS.get(ref.path());
    if (block == null) {
      try {
        block = SharedBlock.open(Path.of(ref.path()));
      } catch (NoSuchFileException gone) {
        IllegalStateException closed = BlockRef.closedContext(ref.path(), ref.kind());
        closed.initCause(gone);
        throw closed;
      } catch (IOException e) {
        throw new IllegalStateException("cannot map the shared " + describe(ref.kind()) + " " + ref.path() + ": "
            + e.getMessage(), e);
      }
      SharedBlock raced = BLOCKS.putIfAbsent(ref.path(), block);
      block = raced == null ? block : raced;
    }
    if (block.kind() != ref.kind()) {
      throw new IllegalStateException(ref.path() + " holds a " + block.kind() + ", not a " + ref.kind());
    }
    return block;
  }

  static void remember(SharedBlock block) {
    BLOCKS.put(block.path().toString(), block);
  }

  static void forget(Path path) {
    BLOCKS.remove(path.toString());
  }

  static String describe(SharedBlock.Kind kind) {
    return switch (kind) {
      case VALUE -> "value";
      case ARRAY -> "array";
      case SYNC -> "synchronization primitive";
      case SHARED_MEMORY -> "memory block";
      case CHANNEL_RING -> "channel ring";
    };
  }
}
