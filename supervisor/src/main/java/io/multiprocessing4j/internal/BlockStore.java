package io.multiprocessing4j.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared-memory blocks of one {@code Multiprocessing} context: where they live, what they are
 * called, and their release when the context closes.
 *
 * <p><b>Where:</b> {@code /dev/shm} (falling back to {@code java.io.tmpdir} where it does not exist).
 * It is tmpfs, so mapped pages are never written back to a disk (the context's private channel
 * directory is under {@code /tmp}, on this machine an ext4 disk), and its names are global to the
 * machine, which is what lets any process attach to a {@code SharedMemory} by name, as in Python.
 * Every file is created {@code rw-------} and named {@code mp4j_...}: anonymous blocks
 * {@code mp4j_<pid>-<random>-<n>}, named ones {@code mp4j_<name>}.
 *
 * <p><b>Release:</b> {@link #close()} deletes every block this context created, after the context has
 * joined its children. A context that dies without closing (its JVM killed) cannot do that, so the
 * first allocation of every later context sweeps the directory: a block whose creating process (pid
 * and start time, from its header) is dead is deleted, a named block only once no live process uses it.
 * Processes that still map a deleted block keep their pages until they unmap them; only the name is gone.
 */
public final class BlockStore implements AutoCloseable {
  /** Prefix of every file this library creates in the block directory. */
  public static final String FILE_PREFIX = "mp4j_";
  private static final Logger LOG = LoggerFactory.getLogger(BlockStore.class);
  private static final Duration HALF_CREATED_GRACE = Duration.ofMinutes(1);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path directory;
  private final String anonymousPrefix;
  private final AtomicLong sequence = new AtomicLong();
  private final Map<Path, SharedBlock> owned = new ConcurrentHashMap<>();
  private final AtomicBoolean swept = new AtomicBoolean();
  private volatile boolean closed;

  /** A store in {@link #defaultDirectory()}. */
  public BlockStore() {
    this(defaultDirectory());
  }

  BlockStore(Path directory) {
    this.directory = directory;
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    this.anonymousPrefix = FILE_PREFIX + ProcessIdentity.PID + "-" + HexFormat.of().formatHex(random) + "-";
  }

  /** {@code /dev/shm} where it is a writable directory, else {@code java.io.tmpdir}. */
  public static Path defaultDirectory() {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** The file of the named block {@code name}, in any process. */
  public static Path namedPath(String name) {
    return defaultDirectory().resolve(FILE_PREFIX + name);
  }

  /**
   * Maps the existing named block {@code name} (in any process).
   *
   * @throws NoSuchFileException if there is no such block
   * @throws IOException if it cannot be mapped or is not a named block
   */
  public static SharedBlock openNamed(String name) throws IOException {
    SharedBlock block = SharedBlock.open(namedPath(name));
    if (block.kind() != SharedBlock.Kind.SHARED_MEMORY) {
      throw new IOException(block.path() + " is not a SharedMemory block but a " + block.kind());
    }
    return block;
  }

  /** The directory holding the blocks. */
  public Path directory() {
    return directory;
  }

  /**
   * A new anonymous block of {@code dataSize} zero bytes, owned by this context.
   *
   * @throws IllegalStateException if the context is closed
   * @throws UncheckedIOException if the block cannot be created (e.g. tmpfs is full)
   */
  public SharedBlock allocate(SharedBlock.Kind kind, long dataSize) {
    checkOpen();
    sweepOnce();
    Path path = directory.resolve(anonymousPrefix + sequence.incrementAndGet());
    try {
      SharedBlock block = SharedBlock.create(path, kind, dataSize);
      owned.put(path, block);
      Mappings.remember(block);
      return block;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a shared " + kind + " block of " + dataSize + " bytes in "
          + directory, e);
    }
  }

  /**
   * A new named block, owned by this context.
   *
   * @throws java.nio.file.FileAlreadyExistsException (wrapped) if the name is taken
   */
  public SharedBlock createNamed(String name, long dataSize) throws IOException {
    checkOpen();
    sweepOnce();
    forgetReleasedNamed();
    SharedBlock block = SharedBlock.create(namedPath(name), SharedBlock.Kind.SHARED_MEMORY, dataSize);
    owned.put(block.path(), block);
    return block;
  }

  /**
   * Forgets the named blocks whose users released or unlinked them: their names may now belong to
   * someone else's block, and keeping them would keep their memory mapped until the context closes.
   */
  private void forgetReleasedNamed() {
    owned.values().removeIf(block -> block.kind() == SharedBlock.Kind.SHARED_MEMORY && BlockLifecycle.isUnlinked(block));
  }

  /**
   * Releases every named block of this context that no live process uses any more (its last user
   * crashed). Called when a child of the context exits.
   */
  public void releaseUnused() {
    for (SharedBlock block : owned.values()) {
      if (block.kind() == SharedBlock.Kind.SHARED_MEMORY && BlockLifecycle.releaseIfUnused(block)) {
        owned.remove(block.path());
      }
    }
  }

  /** Deletes every block this context created. Idempotent. */
  @Override
  public void close() {
    closed = true;
    for (Path path : owned.keySet()) {
      SharedBlock block = owned.get(path);
      block.markReleased();
      Mappings.forget(path);
      try {
        if (block.kind() != SharedBlock.Kind.SHARED_MEMORY) {
          Files.deleteIfExists(path);
        } else {
          // Not deleted again if its users released it: its name may be another block's by now.
          BlockLifecycle.releaseWithContext(block);
        }
      } catch (IOException | UncheckedIOException e) {
        LOG.warn("could not delete the shared block {}", path, e);
      }
      owned.remove(path);
    }
  }

  /** The files this context has created and not yet released (for tests). */
  public Set<Path> ownedFiles() {
    return Set.copyOf(owned.keySet());
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this Multiprocessing context is closed");
    }
  }

  private void sweepOnce() {
    if (swept.compareAndSet(false, true)) {
      sweep(directory);
    }
  }

  /**
   * Deletes the blocks whose creating process is dead, and half-created ones older than a minute; a
   * named block of a dead creator only once no live process uses it (it is released as its last close
   * would release it).
   */
  static void sweep(Path directory) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, FILE_PREFIX + "*")) {
      for (Path file : files) {
        if (isOrphan(file) && releaseOrphan(file)) {
          LOG.debug("deleted the orphaned shared block {}", file);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not sweep {} for orphaned shared blocks", directory, e);
    }
  }

  /** Deletes an orphan; a named one goes through its lifecycle, since live processes may still use it. */
  private static boolean releaseOrphan(Path file) throws IOException {
    SharedBlock block;
    try {
      block = SharedBlock.open(file);
    } catch (NoSuchFileException gone) {
      return false;
    } catch (IOException halfCreated) {
      return Files.deleteIfExists(file);
    }
    return block.kind() == SharedBlock.Kind.SHARED_MEMORY ? BlockLifecycle.releaseIfUnused(block)
        : Files.deleteIfExists(file);
  }

  private static boolean isOrphan(Path file) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(SharedBlock.CREATOR_START_AT + 8).order(ByteOrder.nativeOrder());
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.read(header, 0);
    } catch (NoSuchFileException | AccessDeniedException notOurs) {
      return false;
    }
    if (header.position() < header.capacity() || header.getInt(SharedBlock.MAGIC_AT) != SharedBlock.MAGIC) {
      Instant modified = Files.getLastModifiedTime(file).toInstant();
      return modified.isBefore(Instant.now().minus(HALF_CREATED_GRACE));
    }
    return ProcessIdentity.isDead(header.getLong(SharedBlock.CREATOR_PID_AT),
        header.getLong(SharedBlock.CREATOR_START_AT));
  }
}
