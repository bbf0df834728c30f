package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Test helpers: which shared-memory files exist, and bounded waits for a state to be reached. */
final class SharedFiles {
  /** Where the creator's pid sits in a block's header (see SharedBlock). */
  private static final int CREATOR_PID_AT = 24;

  private SharedFiles() {}

  /** The block files (in /dev/shm) created by this JVM that still exist. */
  static List<Path> createdByThisJvm() throws IOException {
    long pid = ProcessHandle.current().pid();
    List<Path> found = new ArrayList<>();
    Path directory = BlockStore.defaultDirectory();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, BlockStore.FILE_PREFIX + "*")) {
      for (Path file : files) {
        ByteBuffer header = ByteBuffer.allocate(CREATOR_PID_AT + 8).order(ByteOrder.nativeOrder());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
          channel.read(header, 0);
        } catch (IOException gone) {
          continue;
        }
        if (header.position() == header.capacity() && header.getLong(CREATOR_PID_AT) == pid) {
          found.add(file);
        }
      }
    }
    return found;
  }

  /**
   * Waits until {@code state} holds, checking every millisecond, for at most {@code limit}; returns
   * whether it held. For states another process reaches (there is no event to wait on).
   */
  static boolean awaitState(BooleanSupplier state, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!state.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return true;
  }
}
