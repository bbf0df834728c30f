package io.multiprocessing4j.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The pipes and queues of one context: opens their brokers on the context's channel server, times
 * their waits with the context's Pekko scheduler, names them ({@code Pipe-1}, {@code Queue-1}...), and
 * closes them all when the context closes.
 */
public final class ChannelBrokers implements AutoCloseable {
  private final ChannelServer server;
  private final Broker.Delays delays;
  private final List<Broker> brokers = new ArrayList<>();
  private final AtomicLong pipes = new AtomicLong();
  private final AtomicLong queues = new AtomicLong();
  private boolean closed;

  public ChannelBrokers(ChannelServer server, ActorSystem<?> system) {
    this.server = server;
    this.delays = (millis, task) -> {
      Cancellable timer = system.scheduler().scheduleOnce(Duration.ofMillis(millis), task, system.executionContext());
      return timer::cancel;
    };
  }

  /** Opens a pipe; returns its two ends (Python's {@code conn1}, {@code conn2}). */
  public PipeHandle[] openPipe(boolean duplex, int maxMessageBytes) {
    return openPipe(duplex, maxMessageBytes, "Pipe-" + pipes.incrementAndGet());
  }

  /** Opens a pipe of the library's own, named {@code name}, outside the numbering of the user's pipes. */
  PipeHandle[] openPipe(boolean duplex, int maxMessageBytes, String name) {
    PipeBroker broker = track(new PipeBroker(server, delays, duplex, maxMessageBytes, name));
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
    return QueueHandle.of(broker, maxsize, joinable);
  }

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
