package io.multiprocessing4j.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.LoggerFactory;

/**
 * What Java lacks for waiting on shared memory: a futex. A thread that has waited long enough to
 * sleep records its process in the sleeper table of the block it waits on ({@link #sleepers}) and
 * sleeps ({@link #sleep}); whoever changes that block's state then rings the doorbell of every process
 * recorded there, which wakes that process's sleeping threads to re-check the state.
 *
 * <p>A doorbell is a Unix socket, {@code <block directory>/mp4j-bells-<user>/<pid>.sock} (directory
 * mode 0700), opened by a process's first sleeper. There is no doorbell thread: one sleeping thread at
 * a time (the leader) sleeps in the doorbell's selector itself, so a ring wakes it directly, in one
 * scheduler wake-up as a futex would; the other sleepers park, and the leader unparks them when it
 * wakes. A ring is one byte on a connection kept per pair of processes, written without blocking (a
 * full socket buffer already holds plenty of rings). A byte carries no meaning beyond "look again", so
 * a ring from anyone can only cause a spurious wake-up, which every waiter tolerates; no payload is
 * ever read from a bell.
 *
 * <p>No wake-up is lost: a sleeper counts itself in the block's header before it re-checks the state
 * and parks, and a waker changes the state before it reads that count (both sequentially consistent),
 * so either the sleeper sees the new state or the waker sees the sleeper. Parks are bounded anyway
 * (see {@link Backoff}), so a bell that cannot be rung (a full table, an unwritable directory) costs
 * latency, never progress.
 *
 * <p>Process-wide on purpose: one doorbell per process, like its pid.
 */
public final class Doorbell {
  /** The header word counting the threads asleep on a block, across processes. */
  static final int SLEEPING_AT = 48;
  /** The header table of processes with threads asleep on a block. */
  static final int SLEEPERS_AT = SharedBlock.USERS_AT + SharedBlock.USER_SLOTS * UserTable.SLOT_BYTES + 64;
  static final int SLEEPER_SLOTS = 64;

  private static final Path DIRECTORY =
      BlockStore.defaultDirectory().resolve("mp4j-bells-" + System.getProperty("user.name", "user"));
  private static final Set<Thread> ASLEEP = ConcurrentHashMap.newKeySet();
  private static final Map<Long, SocketChannel> BELLS = new ConcurrentHashMap<>();
  private static final byte[] RING = {1};
  /** Held by the thread sleeping in the selector. */
  private static final ReentrantLock LEADER = new ReentrantLock();
  private static final ByteBuffer DRAIN = ByteBuffer.allocateDirect(256);
  private static volatile Selector selector;
  private static volatile boolean unavailable;

  private Doorbell() {}

  /** The table of processes with threads asleep on {@code block}. */
  static UserTable sleepers(SharedBlock block) {
    return new UserTable(block, SLEEPERS_AT, SLEEPER_SLOTS);
  }

  /**
   * Records the calling thread as asleep on {@code block}, so a waker rings this process.
   *
   * @return the sleeper-table slot to pass to {@link #awake}, or -1 if this process cannot be rung
   *     (the caller then only polls)
   */
  static int asleep(SharedBlock block) {
    if (!listen()) {
      return -1;
    }
    ASLEEP.add(Thread.currentThread());
    block.getAndAddInt(SLEEPING_AT, 1);
    int slot = sleepers(block).add(-1, 1);
    if (slot < 0) {
      reclaimDeadSleepers(block);
      slot = sleepers(block).add(-1, 1);
    }
    if (slot < 0) {
      awake(block, -1);
    }
    return slot;
  }

  /** Undoes {@link #asleep} once the thread's wait is over. */
  static void awake(SharedBlock block, int slot) {
    if (slot >= 0) {
      sleepers(block).remove(slot, 1);
    }
    block.getAndAddInt(SLEEPING_AT, -1);
    ASLEEP.remove(Thread.currentThread());
  }

  /**
   * Wakes the threads asleep on {@code block}, in every process; called after changing its state.
   * Costs one read of the block's header when nobody sleeps.
   */
  public static void ring(SharedBlock block) {
    if (block.getIntVolatile(SLEEPING_AT) == 0) {
      return;
    }
    boolean[] unreachable = new boolean[1];
    sleepers(block).forEachProcess(pid -> unreachable[0] |= !ring(pid));
    if (unreachable[0]) {
      reclaimDeadSleepers(block);
    }
  }

  /** Rings process {@code pid}; returns false if it has no doorbell to ring (e.g. it died). */
  private static boolean ring(long pid) {
    if (pid == ProcessIdentity.PID) {
      wakeSleepersHere();
      return true;
    }
    SocketChannel bell = BELLS.computeIfAbsent(pid, Doorbell::connect);
    if (bell == null) {
      return false;
    }
    try {
      bell.write(ByteBuffer.wrap(RING));
      return true;
    } catch (IOException gone) {
      BELLS.remove(pid, bell);
      closeQuietly(bell);
      return false;
    }
  }

  /** Strikes dead processes off a block's sleeper table, and their sleepers off its count. */
  private static void reclaimDeadSleepers(SharedBlock block) {
    sleepers(block).reclaimDead((pid, count) -> block.getAndAddInt(SLEEPING_AT, (int) -count));
  }

  private static SocketChannel connect(long pid) {
    try {
      SocketChannel bell = SocketChannel.open(UnixDomainSocketAddress.of(DIRECTORY.resolve(pid + ".sock")));
      bell.configureBlocking(false);
      return bell;
    } catch (IOException | RuntimeException noBell) {
      // Gone, or a process that never slept: it only polls. Not cached, so a later sleeper is rung.
      return null;
    }
  }

  private static void wakeSleepersHere() {
    for (Thread thread : ASLEEP) {
      LockSupport.unpark(thread);
    }
    Selector bell = selector;
    if (bell != null) {
      bell.wakeup();
    }
  }

  /**
   * Sleeps at most {@code nanos} (at least a millisecond, the selector's resolution), or until this
   * process's doorbell rings, or until interrupted (the interrupt status is kept). The caller must be
   * {@link #asleep} and re-check its condition afterwards: wake-ups may be spurious.
   */
  static void sleep(long nanos) {
    if (!LEADER.tryLock()) {
      LockSupport.parkNanos(nanos);
      return;
    }
    try {
      Selector bell = selector;
      bell.select(Math.max(1, nanos / 1_000_000));
      answer(bell);
    } catch (IOException | RuntimeException broken) {
      LoggerFactory.getLogger(Doorbell.class).debug("doorbell failed; waiters will poll", broken);
      unavailable = true;
      LockSupport.parkNanos(nanos);
    } finally {
      LEADER.unlock();
    }
    // A ring may concern the followers too, and one of them must take over the selector.
    for (Thread thread : ASLEEP) {
      LockSupport.unpark(thread);
    }
  }

  /** Accepts new ringers and drains rung bells; the bytes mean nothing but "look again". */
  private static void answer(Selector bell) throws IOException {
    for (SelectionKey key : bell.selectedKeys()) {
      if (key.isAcceptable()) {
        SocketChannel ringer = ((ServerSocketChannel) key.channel()).accept();
        if (ringer != null) {
          ringer.configureBlocking(false);
          ringer.register(bell, SelectionKey.OP_READ);
        }
      } else if (key.isReadable()) {
        int read;
        do {
          DRAIN.clear();
          read = ((SocketChannel) key.channel()).read(DRAIN);
        } while (read == DRAIN.capacity());
        if (read < 0) {
          key.cancel();
          closeQuietly(key.channel());
        }
      }
    }
    bell.selectedKeys().clear();
  }

  private static boolean listen() {
    if (selector != null) {
      return true;
    }
    if (unavailable) {
      return false;
    }
    synchronized (Doorbell.class) {
      if (selector == null && !unavailable) {
        try {
          selector = openBell();
        } catch (IOException | RuntimeException e) {
          unavailable = true;
          LoggerFactory.getLogger(Doorbell.class).debug("no doorbell in {}; waiters will poll", DIRECTORY, e);
        }
      }
      return selector != null;
    }
  }

  private static Selector openBell() throws IOException {
    if (!Files.isDirectory(DIRECTORY)) {
      try {
        Files.createDirectory(DIRECTORY,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException raced) {
        // Another process created it first.
      }
    }
    deleteBellsOfDeadProcesses();
    Path socket = DIRECTORY.resolve(ProcessIdentity.PID + ".sock");
    // A file of that name belongs to a dead process that had our pid.
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    server.configureBlocking(false);
    Selector bell = Selector.open();
    server.register(bell, SelectionKey.OP_ACCEPT);
    // With the other exit actions, in one hook: each hook is a thread started on the way out.
    ProcessAttachments.onExit(socket, () -> {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // The next process with this pid deletes it.
      }
    });
    return bell;
  }

  private static void deleteBellsOfDeadProcesses() throws IOException {
    try (DirectoryStream<Path> bells = Files.newDirectoryStream(DIRECTORY, "*.sock")) {
      for (Path bell : bells) {
        String name = bell.getFileName().toString();
        try {
          if (ProcessIdentity.isDead(Long.parseLong(name.substring(0, name.length() - ".sock".length())), 0)) {
            Files.deleteIfExists(bell);
          }
        } catch (NumberFormatException notOurs) {
          // Leave foreign files alone.
        }
      }
    }
  }

  private static void closeQuietly(Channel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }
}
