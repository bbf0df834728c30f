package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parent's end of every local child link: a Unix-domain socket in a private directory (mode 0700,
 * so only this user can even connect) that admits a connection only after it proves its child key.
 *
 * <p>Each accepted connection is handled on its own short-lived thread, so a stranger that connects
 * and stays silent holds up nobody; it is dropped when the handshake deadline passes. Nothing but one
 * small {@code ChallengeResponse} is read from a peer before it is admitted, and no user payload from
 * an unadmitted peer is ever decoded. The private directory is also where a context keeps its other
 * per-context files; {@link #close()} removes it, and so does a shutdown hook if the JVM exits
 * without closing. A JVM killed outright cannot clean up, so its directory carries its pid
 * ({@code mp4j-<pid>-...}) and the next server opened on the machine removes directories whose owner
 * is dead.
 */
public final class ChannelServer implements AutoCloseable {
  /** Why a connection was refused; counted for diagnostics and tests. */
  public enum Refusal { UNKNOWN_CHILD, WRONG_KEY, MALFORMED, TIMEOUT }

  private static final Logger LOG = LoggerFactory.getLogger(ChannelServer.class);
  private static final String DIRECTORY_PREFIX = "mp4j-";

  private final Path directory;
  private final Path socketPath;
  private final byte[] secret;
  private final Duration handshakeTimeout;
  private final int maxFrameBytes;
  private final ServerSocketChannel server;
  private final Map<Long, Expected> expected = new ConcurrentHashMap<>();
  private final Map<Refusal, AtomicLong> refusals = new EnumMap<>(Refusal.class);
  private final AtomicLong admitted = new AtomicLong();
  private final ExecutorService handshakes;
  private final ScheduledExecutorService deadlines;
  private volatile boolean closed;
  private volatile Thread shutdownHook;

  /** Endpoint ids start here, far above any child id a supervisor will hand out. */
  private static final long FIRST_ENDPOINT_ID = 1L << 48;

  private final AtomicLong lastEndpointId = new AtomicLong(FIRST_ENDPOINT_ID);

  /** A child is admitted once; an endpoint admits every connection that proves its key. */
  private record Expected(byte[] key, Consumer<FrameChannel<Frame>> onAdmitted, boolean once) {}

  private ChannelServer(Path directory, Duration handshakeTimeout, int maxFrameBytes) throws IOException {
    this.directory = directory;
    this.socketPath = directory.resolve("agents.sock");
    this.secret = Handshake.newSecret();
    this.handshakeTimeout = handshakeTimeout;
    this.maxFrameBytes = maxFrameBytes;
    for (Refusal refusal : Refusal.values()) {
      refusals.put(refusal, new AtomicLong());
    }
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socketPath));
    this.handshakes = Executors.newCachedThreadPool(daemonThreads("multiprocessing4j-handshake"));
    this.deadlines = Executors.newSingleThreadScheduledExecutor(daemonThreads("multiprocessing4j-handshake-deadline"));
    Thread acceptor = new Thread(this::acceptLoop, "multiprocessing4j-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The largest frame this server's channels read (and send). */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Opens a server in a fresh private directory under {@code java.io.tmpdir}. */
  public static ChannelServer open(Duration handshakeTimeout, int maxFrameBytes) {
    removeDirectoriesOfDeadOwners();
    try {
      Path directory = Files.createTempDirectory(DIRECTORY_PREFIX + ProcessHandle.current().pid() + "-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      ChannelServer server = new ChannelServer(directory, handshakeTimeout, maxFrameBytes);
      server.registerShutdownHook();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the private channel for child processes", e);
    }
  }

  private void registerShutdownHook() {
    shutdownHook = new Thread(this::closeAtExit, "multiprocessing4j-channel-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  private void closeAtExit() {
    shutdownHook = null;
    close();
  }

  /** Deletes the private directories of contexts whose JVM died without closing them. */
  private static void removeDirectoriesOfDeadOwners() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> entries = Files.list(tmp)) {
      entries.filter(entry -> entry.getFileName().toString().startsWith(DIRECTORY_PREFIX))
          .filter(ChannelServer::ownerIsDead)
          .forEach(ChannelServer::deleteTree);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not sweep stale channel directories in {}", tmp, e);
    }
  }

  private static boolean ownerIsDead(Path directory) {
    String[] parts = directory.getFileName().toString().split("-");
    if (parts.length != 3 || !Files.isDirectory(directory) || !Files.isWritable(directory)) {
      return false;
    }
    try {
      return ProcessHandle.of(Long.parseLong(parts[1])).map(owner -> !owner.isAlive()).orElse(true);
    } catch (NumberFormatException notOurs) {
      return false;
    }
  }

  /**
   * Registers a child about to be launched; returns the key it must prove. The first connection that
   * proves it is handed to {@code onAdmitted} (on a handshake thread); later ones are refused.
   */
  public byte[] expect(long childId, Consumer<FrameChannel<Frame>> onAdmitted) {
    byte[] key = Handshake.childKey(secret, childId);
    expected.put(childId, new Expected(key, onAdmitted, true));
    return key;
  }

  /**
   * Opens a service endpoint (a pool's task channel, a queue, a pipe, a lock...): every connection
   * that proves the returned endpoint's key is handed to {@code onAdmitted}, on a handshake thread,
   * until {@link #closeEndpoint} is called.
   */
  public Endpoint openEndpoint(Consumer<FrameChannel<Frame>> onAdmitted) {
    long id = lastEndpointId.incrementAndGet();
    byte[] key = Handshake.childKey(secret, id);
    expected.put(id, new Expected(key, onAdmitted, false));
    return new Endpoint(socketPath.toString(), id, key);
  }

  /** Stops admitting connections to an endpoint; existing connections are the caller's to close. */
  public void closeEndpoint(Endpoint endpoint) {
    expected.remove(endpoint.id());
  }

  /** Stops expecting a child (it exited or never launched). */
  public void forget(long childId) {
    expected.remove(childId);
  }

  public Path socketPath() {
    return socketPath;
  }

  /** The private directory (0700) of this context. */
  public Path directory() {
    return directory;
  }

  /** How many connections were refused, by reason. */
  public Map<Refusal, Long> refusals() {
    Map<Refusal, Long> snapshot = new EnumMap<>(Refusal.class);
    refusals.forEach((reason, count) -> snapshot.put(reason, count.get()));
    return snapshot;
  }

  /** How many connections proved their key. */
  public long admittedCount() {
    return admitted.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel connection = server.accept();
        handshakes.execute(() -> handshake(connection));
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("accepting child connections failed", e);
        }
        return;
      }
    }
  }

  private void handshake(SocketChannel connection) {
    FrameChannel<Frame> channel = new FrameChannel<>(connection, Frame.parser(), maxFrameBytes);
    // Set before the deadline closes the channel, so the failed read it causes is known as a timeout.
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> deadline = deadlines.schedule(() -> {
      timedOut.set(true);
      channel.close();
    }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      Challenge challenge = Handshake.newChallenge();
      channel.send(challenge);
      ChallengeResponse response = channel.read(ChallengeResponse.parser(), Handshake.MAX_RESPONSE_BYTES);
      Expected child = expected.get(response.getChildId());
      if (child == null) {
        refuse(channel, Refusal.UNKNOWN_CHILD, response.getChildId());
      } else if (!Handshake.verify(challenge, response, child.key())) {
        refuse(channel, Refusal.WRONG_KEY, response.getChildId());
      } else if (!deadline.cancel(false)) {
        refuse(channel, Refusal.TIMEOUT, response.getChildId());
      } else if (!child.once() || expected.remove(response.getChildId(), child)) {
        admitted.incrementAndGet();
        child.onAdmitted().accept(channel);
      } else {
        refuse(channel, Refusal.UNKNOWN_CHILD, response.getChildId());
      }
    } catch (IOException | RuntimeException e) {
      refuse(channel, timedOut.get() ? Refusal.TIMEOUT : Refusal.MALFORMED, -1);
    } finally {
      deadline.cancel(false);
    }
  }

  private void refuse(FrameChannel<Frame> channel, Refusal reason, long claimedChildId) {
    refusals.get(reason).incrementAndGet();
    channel.close();
    if (!closed) {
      LOG.warn("refused a connection to the child channel ({}, claimed child id {})", reason, claimedChildId);
    }
  }

  /**
   * Idempotent and safe to call from several threads at once (the context and its supervisor's
   * PostStop both close it): only the first call releases anything.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      server.close();
    } catch (IOException ignored) {
      // Nothing else to release.
    }
    handshakes.shutdownNow();
    deadlines.shutdownNow();
    expected.clear();
    deleteTree(directory);
    Thread hook = shutdownHook;
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException exiting) {
        // The JVM is already running its hooks; this one will find the server closed.
      }
    }
  }

  /**
   * Deletes {@code path} and everything under it. Entries that vanish meanwhile (another close, a
   * sweep) are what was wanted: a directory stream lists names without reading their attributes, so
   * unlike {@code Files.walk} it does not fail on them.
   */
  private static void deleteTree(Path path) {
    try {
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
          for (Path entry : entries) {
            deleteTree(entry);
          }
        }
      }
      Files.deleteIfExists(path);
    } catch (NoSuchFileException gone) {
      // Removed by someone else first.
    } catch (IOException | DirectoryIteratorException e) {
      LOG.warn("could not delete {}", path, e);
    }
  }

  static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    AtomicLong counter = new AtomicLong();
    return task -> {
      Thread thread = new Thread(task, name + "-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
