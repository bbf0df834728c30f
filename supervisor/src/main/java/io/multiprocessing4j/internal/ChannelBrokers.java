package io.multiprocessing4j.internal;

import io.multiprocessing4j.wire.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The pipes and queues of one context: opens their brokers on the context's channel server, times
 * their waits with the context's Pekko scheduler, names them ({@code Pipe-1}, {@code Queue-1}...), and
 * closes them all when the context closes.
 */
public final class ChannelBrokers implements AutoCloseable {
  /**
   * The longest delay given to the scheduler in one go: Pekko's refuses more than 2^31 ticks (about
   * 248 days at its default tick, 24 at the finest), so a longer wait is timed in steps of this.
   */
  static final long LONGEST_STEP_MILLIS = TimeUnit.DAYS.toMillis(20);

  private final ChannelServer server;
  private final Broker.Delays delays;
  private final List<Broker> brokers = new ArrayList<>();
  private final AtomicLong pipes = new AtomicLong();
  private final AtomicLong queues = new AtomicLong();
  private boolean closed;

  public ChannelBrokers(ChannelServer server, ActorSystem<?> system) {
    this.server = server;
    this.delays = (millis, task) -> new SteppedTimer(system, millis, task).start();
  }

  /** A delay of any length on the scheduler, as a chain of steps the scheduler accepts. */
  private static final class SteppedTimer implements Runnable {
    private final ActorSystem<?> system;
    private final Runnable task;
    private long leftMillis;
    private volatile Cancellable step;
    private volatile boolean cancelled;

    SteppedTimer(ActorSystem<?> system, long millis, Runnable task) {
      this.system = system;
      this.task = task;
      this.leftMillis = millis;
    }

    /** Schedules the first step; returns what cancels the whole delay. */
    Runnable start() {
      scheduleStep();
      return () -> {
        cancelled = true;
        step.cancel();
      };
    }

    private void scheduleStep() {
      long millis = Math.min(leftMillis, LONGEST_STEP_MILLIS);
      leftMillis -= millis;
      step = system.scheduler().scheduleOnce(Duration.ofMillis(millis), this, system.executionContext());
    }

    @Override
    public void run() {
      if (cancelled) {
        return;
      }
      if (leftMillis > 0) {
        scheduleStep();
      } else {
        task.run();
      }
    }
  }

  /**
   * Opens a pipe; returns its two ends (Python's {@code conn1}, {@code conn2}).
   *
   * @param maxBufferedBytes the bytes of unreceived messages an end holds before sends towards it block
   */
  public PipeHandle[] openPipe(boolean duplex, int maxMessageBytes, long maxBufferedBytes) {
    return openPipe(duplex, maxMessageBytes, maxBufferedBytes, "Pipe-" + pipes.incrementAndGet());
  }

  /** Opens a pipe of the library's own, named {@code name}, outside the numbering of the user's pipes. */
  PipeHandle[] openPipe(boolean duplex, int maxMessageBytes, long maxBufferedBytes, String name) {
    PipeBroker broker = track(new PipeBroker(server, delays, duplex, maxMessageBytes, maxBufferedBytes, name));
    return new PipeHandle[] {PipeHandle.of(broker, 0, duplex), PipeHandle.of(broker, 1, duplex)};
  }

  /**
   * Opens a queue.
   *
   * @param kind the class name it is shown with ({@code Queue}, {@code SimpleQueue}, {@code JoinableQueue})
   * @param maxsize the most items held at once; 0 for no limit
   */
  public QueueHandle openQueue(String kind, int maxsize, int maxMessageBytes, boolean joinable) {
    QueueBroker broker = track(new QueueBroker(server, delays, maxsize, maxMessageBytes, joinable,
        kind + "-" + queues.incrementAndGet()));
    return QueueHandle.of(broker, maxsize);
  }

  /**
   * The endpoint of the open pipe or queue whose endpoint id is {@code id}, and the largest frame its
   * handles exchange, for a session relayed from another machine ({@link RemoteGateway}); null when no
   * open pipe or queue of this context has that id (a pool's or a child's ids are never relayed).
   */
  synchronized Relayable relayable(long id) {
    for (Broker broker : brokers) {
      if (broker.endpoint().id() == id) {
        return new Relayable(broker.endpoint(), ChannelCodec.frameLimit(broker.maxMessageBytes));
      }
    }
    return null;
  }

  /** See {@link #relayable}. */
  record Relayable(Endpoint endpoint, int frameLimit) {}

  private synchronized <B extends Broker> B track(B broker) {
    if (closed) {
      broker.close();
      throw new IllegalStateException("this Multiprocessing context is closed");
    }
    brokers.add(broker);
    return broker;
  }

  /** Closes every broker: waiting calls are refused (pipes: end of file), connections are closed. */
  @Override
  public void close() {
    List<Broker> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(brokers);
      brokers.clear();
    }
    all.forEach(Broker::close);
    HandleTable.forgetContext(server.socketPath().toString());
  }
}
