package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.ManagerCall;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.Handshake;
import io.multiprocessing4j.wire.ManagerFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The main function of a manager process (Python's {@code BaseManager} server), run as the target of a
 * daemon child. It listens on its own Unix socket, {@code manager.sock} in a private directory
 * ({@code mp4j-<manager pid>-manager*}, mode 0700, under {@code java.io.tmpdir}: named after its
 * owner as a context's channel directory is, so that the sweep of dead owners' directories also
 * removes the directory of a manager killed together with its parent), admitting a connection only after
 * it proves the key of the manager's endpoint with the channel server's handshake (a fresh secret per
 * manager; a silent peer is dropped after {@value #HANDSHAKE_SECONDS} s). It tells its parent where it
 * listens over the registration endpoint, then serves calls until the parent asks it to shut down,
 * the parent goes away, or it is terminated.
 *
 * <p>Each proxy connection is served by its own thread, one call at a time, so a blocking call holds
 * up only its caller; its reads spin briefly before blocking ({@link ManagerChannel}). A connection
 * whose process died releases the managed locks it held (see {@link Connection#closed()}).
 */
public final class ManagerServer {
  private static final int HANDSHAKE_SECONDS = 5;
  private static final long ENDPOINT_ID = 1;

  private final Map<Long, ManagedObjects.ManagedObject> objects = new ConcurrentHashMap<>();
  private final AtomicLong lastId = new AtomicLong();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final ClassLoader loader = ClassLoader.getSystemClassLoader();
  private final byte[] key = Handshake.childKey(Handshake.newSecret(), ENDPOINT_ID);
  private final ScheduledExecutorService deadlines =
      Executors.newSingleThreadScheduledExecutor(ChannelServer.daemonThreads("multiprocessing4j-manager-handshake"));

  private ManagerServer() {}

  /**
   * Serves until told to stop; returns normally then (the manager process exits with 0).
   *
   * @param registration the parent's endpoint that learns where proxies connect
   * @throws UncheckedIOException if the parent cannot be reached
   */
  public static void serve(Endpoint registration) {
    new ManagerServer().run(registration);
  }

  private void run(Endpoint registration) {
    Path directory = null;
    ServerSocketChannel server = null;
    try {
      directory = Files.createTempDirectory(directoryPrefix(ProcessIdentity.PID),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path socket = directory.resolve("manager.sock");
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      ServerSocketChannel listening = server;
      Thread acceptor = new Thread(() -> acceptLoop(listening), "multiprocessing4j-manager-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      Endpoint endpoint = new Endpoint(socket.toString(), ENDPOINT_ID, key);
      FrameChannel<Frame> link = registration.connect();
      link.send(ManagerFrames.ready(endpoint, ProcessIdentity.PID));
      // The parent never writes here; the link ending means the parent is gone.
      link.startReader("multiprocessing4j-manager-link", frame -> { }, closed -> stop.countDown());
      stop.await();
      link.close();
    } catch (IOException e) {
      throw new UncheckedIOException("the manager cannot listen or reach its parent", e);
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    } finally {
      deadlines.shutdownNow();
      closeQuietly(server);
      deleteQuietly(directory);
    }
  }

  private void acceptLoop(ServerSocketChannel server) {
    while (server.isOpen()) {
      try {
        SocketChannel socket = server.accept();
        Thread serving = new Thread(() -> serve(socket), "multiprocessing4j-manager-client");
        serving.setDaemon(true);
        serving.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  /** Admits a connection that proves the endpoint key (as ChannelServer does), then serves its calls. */
  private void serve(SocketChannel socket) {
    ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(socket), HANDSHAKE_SECONDS, TimeUnit.SECONDS);
    ManagerChannel channel = new ManagerChannel(socket);
    long peer;
    try {
      Challenge challenge = Handshake.newChallenge();
      channel.send(challenge);
      ChallengeResponse response = channel.readExactly(ChallengeResponse.parser(), Handshake.MAX_RESPONSE_BYTES);
      if (response.getChildId() != ENDPOINT_ID || !Handshake.verify(challenge, response, key)
          || !deadline.cancel(false)) {
        closeQuietly(socket);
        return;
      }
      peer = response.getPid();
    } catch (IOException | RuntimeException refused) {
      closeQuietly(socket);
      return;
    }
    Connection connection = new Connection(channel, peer);
    try {
      while (true) {
        handle(connection, connection.channel.receive());
      }
    } catch (IOException gone) {
      connection.channel.close();
    } finally {
      connection.closed();
    }
  }

  private void handle(Connection connection, Frame frame) throws IOException {
    if (frame.getBodyCase() != Frame.BodyCase.MANAGER_CALL) {
      throw new IOException("a proxy sent " + frame.getBodyCase());
    }
    ManagerCall call = frame.getManagerCall();
    Object result;
    connection.lastGrant = null;
    try {
      result = dispatch(call.getObjectId(), call.getMethod(), ManagerFrames.arguments(call, loader), connection);
    } catch (Exception | LinkageError e) {
      reply(connection, ManagerFrames.failure(e));
      return;
    }
    if (objects.get(call.getObjectId()) instanceof ManagedObjects.LockObject lock && call.getMethod().equals("acquire")
        && !Integer.valueOf(ManagedObjects.LockObject.TIMED_OUT).equals(result)) {
      connection.lastGrant = lock;
    }
    Frame reply;
    try {
      reply = ManagerFrames.result(result);
    } catch (IOException notSerializable) {
      reply(connection, ManagerFrames.failure(notSerializable));
      return;
    }
    if (!reply(connection, reply)
        && objects.get(call.getObjectId()) instanceof ManagedObjects.QueueObject queue
        && call.getMethod().equals("get") && result != null) {
      // The caller went away before it got the item: the item is still the queue's.
      queue.giveBack(result);
    }
  }

  private static boolean reply(Connection connection, Frame reply) {
    try {
      connection.channel.send(reply);
      return true;
    } catch (IOException gone) {
      connection.channel.close();
      return false;
    }
  }

  private Object dispatch(long objectId, String method, List<Object> args, Connection caller) throws Exception {
    if (objectId == 0) {
      return switch (method) {
        case "create" -> {
          long id = lastId.incrementAndGet();
          objects.put(id, ManagedObjects.create((String) args.get(0), args.subList(1, args.size())));
          yield id;
        }
        case "shutdown" -> {
          stop.countDown();
          yield null;
        }
        case "ping" -> ProcessIdentity.PID;
        default -> throw ManagedObjects.unknown("the manager", method);
      };
    }
    ManagedObjects.ManagedObject target = objects.get(objectId);
    if (target == null) {
      throw new NoSuchElementException("this manager holds no object " + objectId);
    }
    return target.call(method, args, caller);
  }

  private static void closeQuietly(Channel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }

  /**
   * The beginning of the name of the socket directory of the manager process {@code pid}: the
   * {@code mp4j-<pid>-} of {@link ChannelServer}'s directories, whose sweep deletes it once that
   * process is dead.
   */
  static String directoryPrefix(long pid) {
    return "mp4j-" + pid + "-manager";
  }

  /** Whether {@code directory} is a manager's socket directory (of any process). */
  public static boolean isSocketDirectory(Path directory) {
    Path name = directory.getFileName();
    return name != null && name.toString().matches("mp4j-[0-9]+-manager[0-9]+");
  }

  private static void deleteQuietly(Path directory) {
    if (directory == null) {
      return;
    }
    try {
      Files.deleteIfExists(directory.resolve("manager.sock"));
      Files.deleteIfExists(directory);
    } catch (IOException ignored) {
      // The parent deletes it when it sees the manager gone.
    }
  }

  /**
   * One proxy connection, and the managed locks it holds. A proxy's connection belongs to one thread of
   * the process {@link #peer}, and it closes either because that process died or because the thread
   * was interrupted in a call (or its manager was shut down): only the first releases the locks taken
   * on it, since the thread of a live process may still count on them (see {@link #closed()}).
   */
  static final class Connection {
    private static final long EXIT_GRACE_MILLIS = 200;
    private final ManagerChannel channel;
    private final long peer;
    private final long peerStart;
    private final Set<ManagedObjects.LockObject> held = ConcurrentHashMap.newKeySet();
    /** The lock the last call granted, whose answer the caller may not have read. */
    private ManagedObjects.LockObject lastGrant;
    private volatile boolean closed;

    Connection(ManagerChannel channel, long peer) {
      this.channel = channel;
      this.peer = peer;
      this.peerStart = ProcessIdentity.startTime(peer);
    }

    /** Whether this connection has closed and its process is dead. */
    boolean goneWithItsProcess() {
      return closed && ProcessIdentity.isDead(peer, peerStart);
    }

    /**
     * Whether the process turns out dead within {@value #EXIT_GRACE_MILLIS} ms: a killed process's
     * sockets close while it is still exiting, a moment before its pid reads as gone.
     */
    private boolean diesSoon() {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_GRACE_MILLIS);
      while (!goneWithItsProcess()) {
        if (System.nanoTime() - deadline > 0) {
          return false;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
      return true;
    }

    boolean isClosed() {
      return closed;
    }

    void holds(ManagedObjects.LockObject lock) {
      held.add(lock);
    }

    void forget(ManagedObjects.LockObject lock) {
      held.remove(lock);
    }

    /**
     * The connection ended. A lock that its last call granted goes back (the caller may have been
     * interrupted before reading the grant), unless the process died, which the lock's next owner is
     * told; other locks it holds stay held while the process lives, and are taken over when it dies.
     */
    void closed() {
      closed = true;
      for (ManagedObjects.LockObject lock : held) {
        if (lock == lastGrant && !diesSoon()) {
          lock.giveBack(this);
        } else {
          lock.ownerGone(this);
        }
      }
    }
  }
}
