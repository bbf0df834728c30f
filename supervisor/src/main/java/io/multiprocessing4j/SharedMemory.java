package io.multiprocessing4j;

import io.multiprocessing4j.internal.BlockLifecycle;
import io.multiprocessing4j.internal.BlockStore;
import io.multiprocessing4j.internal.ProcessAttachments;
import io.multiprocessing4j.internal.SharedBlock;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A named block of bytes that any process can attach to by name: Python's
 * {@code multiprocessing.shared_memory.SharedMemory}. Create one with {@link Multiprocessing#sharedMemory(int)}
 * (or with a chosen name), attach to it from any process with {@link #attach(String)} (or send the
 * object itself: it is {@link Serializable}, and deserializing it attaches), read and write
 * {@link #buf()}, and {@link #close()} it when done.
 *
 * <p><b>Lifecycle, without Python's resource-tracker troubles.</b> Each open handle, in any process,
 * counts as one use of the block. The block is released (its name removed, its memory freed once
 * nobody maps it) exactly once, when the first of these happens:
 * <ul>
 *   <li>the last open handle anywhere is {@link #close() closed} (a process that exits normally closes
 *       its handles on the way out);</li>
 *   <li>its last live user crashed (killed, halted) and the creating context notices, on a child's
 *       exit or when another user closes;</li>
 *   <li>the context that created it closes;</li>
 *   <li>someone calls {@link #unlink()}, Python's explicit release.</li>
 * </ul>
 * So a process that crashes or exits never takes the block away from another that still uses it, and
 * no block outlives its context. Keep your handle open until the processes you sent the name to have
 * attached: a block whose last handle closes is gone. A handle that arrived by deserialization (captured
 * in a target or a pool task) is also closed once it is garbage, as Python closes one on collection, so
 * a worker that receives it with every task does not keep every copy mapped.
 *
 * <p>Memory lives in a file under {@code /dev/shm} ({@code mp4j_<name>}, mode 0600): at most about
 * 2 GiB per block. Thread-safe, except that {@link #buf()} views are plain {@link ByteBuffer}s.
 */
public final class SharedMemory implements AutoCloseable, Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final Cleaner RECEIVED_HANDLES = Cleaner.create();

  private final String name;
  private final int size;
  private transient SharedBlock block;
  private transient Use use;
  private transient volatile boolean closed;

  private SharedMemory(String name, SharedBlock block, int slot) {
    this.name = name;
    this.size = (int) block.dataSize();
    this.block = block;
    this.use = new Use(block, slot);
  }

  /**
   * This handle's use of the block, given back once: by {@link #close()}, at a normal exit of the
   * process, or when a received handle is garbage. It holds no reference to the handle.
   */
  private static final class Use implements Runnable {
    private final SharedBlock block;
    private final int slot;
    private final AtomicBoolean givenBack = new AtomicBoolean();

    Use(SharedBlock block, int slot) {
      this.block = block;
      this.slot = slot;
      ProcessAttachments.onExit(this, this);
    }

    @Override
    public void run() {
      if (givenBack.compareAndSet(false, true)) {
        ProcessAttachments.cancel(this);
        BlockLifecycle.detach(block, slot);
      }
    }
  }

  static SharedMemory create(BlockStore store, String name, int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("'size' must be a positive number different from zero, was " + size);
    }
    String chosen = name == null ? randomName() : checkName(name);
    try {
      SharedBlock block = store.createNamed(chosen, size);
      return new SharedMemory(chosen, block, BlockLifecycle.attach(block));
    } catch (FileAlreadyExistsException e) {
      throw new UncheckedIOException("a shared memory block named '" + chosen + "' already exists", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the shared memory block '" + chosen + "' of " + size
          + " bytes", e);
    }
  }

  /**
   * Attaches to the existing block {@code name}, from any process of this user. Python's
   * {@code SharedMemory(name)}. The returned handle counts as a use until it is closed.
   *
   * @throws UncheckedIOException with a {@link NoSuchFileException} cause if there is no such block
   *     (never created, or already released)
   * @throws IllegalArgumentException if {@code name} is not a valid block name
   */
  public static SharedMemory attach(String name) {
    checkName(name);
    try {
      SharedBlock block = BlockStore.openNamed(name);
      return new SharedMemory(name, block, BlockLifecycle.attach(block));
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("no shared memory block named '" + name + "'", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot attach to the shared memory block '" + name + "'", e);
    }
  }

  /** The block's name, as passed to {@link #attach(String)}. Python's {@code name}. */
  public String name() {
    return name;
  }

  /** The block's size in bytes. Python's {@code size}. */
  public int size() {
    return size;
  }

  /**
   * A new view of the block's bytes (position 0, limit {@link #size()}, native byte order); writes are
   * seen by every process at once. Python's {@code buf}. Never blocks.
   *
   * @throws IllegalStateException if this handle is closed, or it is the handle the creating context
   *     returned and that context closed (a handle attached by name or received has a mapping of its
   *     own, which goes on working, as a Python handle's does after {@code unlink()})
   */
  public ByteBuffer buf() {
    if (closed) {
      throw new IllegalStateException("shared memory '" + name + "' is closed in this process");
    }
    refuseIfReleased();
    return block.data();
  }

  /**
   * Throws if the context that created the block closed (see {@link #buf()}): for users of a view
   * taken earlier, such as {@link ShareableList}, which checks on every use.
   */
  void refuseIfReleased() {
    if (block.released()) {
      // The mapping would still work, but no other process shares that memory any more.
      throw new IllegalStateException("shared memory '" + name
          + "' no longer exists: the Multiprocessing context that created it is closed");
    }
  }

  /**
   * Stops using the block through this handle; if it was the last use by any live process, releases
   * the block. Idempotent; never blocks. Python's {@code close()}, plus the release Python leaves to
   * {@code unlink()}. Buffers obtained from {@link #buf()} must not be used afterwards.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    use.run();
  }

  /**
   * Removes the block's name now, so no one can attach to it any more; processes that have it open
   * keep using its memory until they close it. Idempotent; never blocks. Python's {@code unlink()}.
   */
  public void unlink() {
    BlockLifecycle.unlink(block);
  }

  /** Whether this handle is closed. */
  public boolean isClosed() {
    return closed;
  }

  /** Like Python's repr: {@code SharedMemory('psm_1a2b3c4d', size=4096)}. */
  @Override
  public String toString() {
    return "SharedMemory('" + name + "', size=" + size + (closed ? ", closed" : "") + ")";
  }

  /** Deserializing a handle attaches to the block, as unpickling does in Python. */
  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    try {
      block = BlockStore.openNamed(name);
      use = new Use(block, BlockLifecycle.attach(block));
    } catch (NoSuchFileException e) {
      InvalidObjectException error = new InvalidObjectException("the shared memory block '" + name
          + "' no longer exists: it was closed by its last user, unlinked, or its context closed");
      error.initCause(e);
      throw error;
    }
    RECEIVED_HANDLES.register(this, use);
  }

  private static String randomName() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return "psm_" + HexFormat.of().formatHex(random);
  }

  private static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a shared memory name is 1-200 letters, digits, '_', '.' or '-', not "
          + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }
}
