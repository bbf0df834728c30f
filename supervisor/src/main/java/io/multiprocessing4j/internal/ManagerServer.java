package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.ManagerCall;
import io.multiprocessing4j.wire.Endpoint;
import io.multiprocessing4j.wire.FrameChannel;
import io.multiprocessing4j.wire.ManagerFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The main function of a manager process (Python's {@code BaseManager} server), run as the target of a
 * daemon child. It opens its own channel server (a Unix socket in a private directory of the manager
 * process, admitting only connections that prove the endpoint key), tells its parent where that is
 * over the registration endpoint, and then serves calls until the parent asks it to shut down, the
 * parent goes away, or it is terminated.
 *
 * <p>Each proxy connection is served by its own thread, one call at a time, so a blocking call holds
 * up only its caller. A connection that closes (its process died) releases the managed locks it held.
 */
public final class ManagerServer {
  private final Map<Long, ManagedObjects.ManagedObject> objects = new ConcurrentHashMap<>();
  private final AtomicLong lastId = new AtomicLong();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final ClassLoader loader = ClassLoader.getSystemClassLoader();

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
    ChannelServer channels = ChannelServer.open(Duration.ofSeconds(5), FrameChannel.DEFAULT_MAX_FRAME_BYTES);
    try {
      Endpoint endpoint = channels.openEndpoint(this::admit);
      FrameChannel<Frame> link = registration.connect();
      link.send(ManagerFrames.ready(endpoint, ProcessIdentity.PID));
      // The parent never writes here; the link ending means the parent is gone.
      link.startReader("multiprocessing4j-manager-link", frame -> { }, closed -> stop.countDown());
      stop.await();
      link.close();
    } catch (IOException e) {
      throw new UncheckedIOException("the manager cannot reach its parent", e);
    } catch (InterruptedException terminated) {
      Thread.currentThread().interrupt();
    } finally {
      channels.close();
    }
  }

  private void admit(FrameChannel<Frame> channel) {
    Connection connection = new Connection(channel);
    channel.startReader("multiprocessing4j-manager-client", frame -> handle(connection, frame),
        closed -> connection.closed());
  }

  private void handle(Connection connection, Frame frame) {
    if (frame.getBodyCase() != Frame.BodyCase.MANAGER_CALL) {
      connection.channel.close();
      return;
    }
    ManagerCall call = frame.getManagerCall();
    Object result;
    try {
      result = dispatch(call.getObjectId(), call.getMethod(), ManagerFrames.arguments(call, loader), connection);
    } catch (Exception | LinkageError e) {
      reply(connection, ManagerFrames.failure(e));
      return;
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

  /** One proxy connection, and the managed locks it holds. */
  static final class Connection {
    private final FrameChannel<Frame> channel;
    private final Set<ManagedObjects.LockObject> held = ConcurrentHashMap.newKeySet();

    Connection(FrameChannel<Frame> channel) {
      this.channel = channel;
    }

    void holds(ManagedObjects.LockObject lock) {
      held.add(lock);
    }

    void forget(ManagedObjects.LockObject lock) {
      held.remove(lock);
    }

    void closed() {
      for (ManagedObjects.LockObject lock : held) {
        lock.ownerGone(this);
      }
      held.clear();
    }
  }
}
