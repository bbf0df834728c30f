package io.multiprocessing4j.internal;

import io.multiprocessing4j.ManagerDiedException;
import io.multiprocessing4j.PicklingException;
import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.ManagerReply;
import io.multiprocessing4j.proto.RemoteFailure;
import io.multiprocessing4j.wire.ManagerFrames;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.io.NotSerializableException;
import java.lang.ref.WeakReference;
import java.nio.channels.ClosedByInterruptException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calling end of the manager protocol, used by every proxy in every process. Each thread has its
 * own connection to each manager (as Python's proxies do), opened on first use and kept, so a call
 * that blocks in the manager holds up no other thread.
 *
 * <p>Failures are told apart: an argument that cannot travel is a {@link PicklingException} before
 * anything is sent; an exception thrown by the managed object is rethrown as itself; a manager that
 * cannot be reached or whose connection ends (its process died, however) is a
 * {@link ManagerDiedException} at once, never a hang.
 */
public final class ManagerClient {
  /** Per-thread connections, keyed by {@link ManagerAddress#key()}: thread confinement needs no locks. */
  private static final ThreadLocal<Map<String, ManagerChannel>> CONNECTIONS = ThreadLocal.withInitial(HashMap::new);
  /**
   * Every open connection and the thread it belongs to. Java runs nothing when a thread ends (Python
   * closes a thread's connections with its thread-local storage), so the connections of threads that
   * have ended are closed whenever a connection is opened: otherwise every thread that ever called a
   * proxy would keep a socket here and a thread in the manager until this process exits.
   */
  private static final Map<ManagerChannel, Owner> OWNERS = new ConcurrentHashMap<>();

  /** The thread a connection belongs to, and whether its last call was granted a managed lock. */
  private static final class Owner {
    final WeakReference<Thread> thread = new WeakReference<>(Thread.currentThread());
    volatile boolean lastCallTookALock;

    boolean ended() {
      Thread owner = thread.get();
      return owner == null || !owner.isAlive();
    }
  }

  private ManagerClient() {}

  /**
   * Calls {@code method} on object {@code objectId} of {@code manager} and waits for the reply.
   *
   * @return what the method returned
   * @throws InterruptedException if the thread is interrupted before or while waiting (its
   *     connection is then dropped)
   * @throws ManagerDiedException if the manager cannot be reached or goes away during the call
   * @throws PicklingException if an argument cannot be serialized
   */
  public static Object call(ManagerAddress manager, long objectId, String method, Object... args)
      throws InterruptedException {
    Frame request;
    try {
      request = ManagerFrames.call(objectId, method, args);
    } catch (NotSerializableException e) {
      throw new PicklingException("cannot send an argument of " + method + " to the manager: " + e.getMessage()
          + " is not Serializable", e);
    } catch (IOException e) {
      throw new PicklingException("cannot send an argument of " + method + " to the manager: " + e, e);
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    ManagerChannel channel = connection(manager);
    Frame reply;
    try {
      channel.send(request);
      reply = channel.receive();
    } catch (ClosedByInterruptException e) {
      drop(manager);
      Thread.interrupted();
      throw new InterruptedException("interrupted while waiting for " + manager + " to answer " + method);
    } catch (IOException e) {
      drop(manager);
      throw new ManagerDiedException("lost the connection to the manager " + manager + " during " + method
          + ": the manager process died or was shut down, and the objects it held are gone", e);
    }
    if (reply.getBodyCase() != Frame.BodyCase.MANAGER_REPLY) {
      drop(manager);
      throw new IllegalStateException("the manager " + manager + " answered " + reply.getBodyCase());
    }
    Object result = outcome(reply.getManagerReply());
    Owner owner = OWNERS.get(channel);
    if (owner != null) {
      owner.lastCallTookALock = method.equals("acquire") && result instanceof Integer granted && granted != 0;
    }
    return result;
  }

  private static Object outcome(ManagerReply reply) {
    ClassLoader loader = loader();
    if (reply.hasFailure()) {
      throw remoteFailure(reply.getFailure(), loader);
    }
    try {
      return ManagerFrames.decode(reply.getResult(), loader);
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot decode the manager's answer: " + e, e);
    }
  }

  private static RuntimeException remoteFailure(RemoteFailure failure, ClassLoader loader) {
    if (failure.hasException()) {
      try {
        if (Payloads.decode(failure.getException(), loader) instanceof RuntimeException thrown) {
          return thrown;
        }
      } catch (IOException | ClassNotFoundException | RuntimeException undecodable) {
        // The text below still says everything.
      }
    }
    return new IllegalStateException("the manager raised " + failure.getExceptionClass() + ": " + failure.getMessage()
        + "\nmanager-side traceback:\n" + failure.getStackTrace());
  }

  private static ManagerChannel connection(ManagerAddress manager) {
    Map<String, ManagerChannel> mine = CONNECTIONS.get();
    ManagerChannel channel = mine.get(manager.key());
    if (channel != null && channel.isOpen()) {
      return channel;
    }
    if (channel != null) {
      OWNERS.remove(channel);
    }
    closeConnectionsOfEndedThreads();
    try {
      channel = ManagerChannel.connect(manager.endpoint());
      OWNERS.put(channel, new Owner());
    } catch (IOException e) {
      throw new ManagerDiedException("cannot reach the manager " + manager
          + ": its process is not running (it died or was shut down), and the objects it held are gone", e);
    }
    mine.put(manager.key(), channel);
    return channel;
  }

  /** Closes this thread's connection to {@code manager}, if it has one. */
  public static void disconnect(ManagerAddress manager) {
    drop(manager);
  }

  private static void drop(ManagerAddress manager) {
    ManagerChannel channel = CONNECTIONS.get().remove(manager.key());
    if (channel != null) {
      OWNERS.remove(channel);
      channel.close();
    }
  }

  private static void closeConnectionsOfEndedThreads() {
    OWNERS.forEach((channel, owner) -> {
      if (owner.ended() && OWNERS.remove(channel, owner)) {
        if (owner.lastCallTookALock) {
          sayGoodbye(channel);
        } else {
          channel.close();
        }
      }
    });
  }

  /**
   * Closes the idle connection of a thread that ended whose last call took a managed lock, after one
   * more call: the manager gives back a lock granted by a connection's last call when it closes (its
   * caller may have been interrupted before reading the grant), and this thread did read its grant,
   * which it may have meant to hand to another thread to release.
   */
  private static void sayGoodbye(ManagerChannel channel) {
    try {
      channel.send(ManagerFrames.call(0, "ping"));
      channel.receive();
    } catch (IOException gone) {
      // The manager is gone: nothing is held there any more.
    } finally {
      channel.close();
    }
  }

  private static ClassLoader loader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : ClassLoader.getSystemClassLoader();
  }
}
