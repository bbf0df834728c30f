package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.Payload;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parent-side home of one {@code Queue}, {@code SimpleQueue} or {@code JoinableQueue}: its items,
 * its blocked callers and, for a JoinableQueue, the count of unfinished tasks (see {@link Broker} for
 * the threading).
 *
 * <p>A bounded queue applies back pressure across processes: a put beyond {@code maxsize} is not
 * answered until a get makes room (or its timeout passes), so the putting process blocks wherever it
 * runs. The broker, not an OS pipe, holds the items, so a producer never waits for a consumer to read
 * before it can exit, and joining a producer before draining its queue cannot deadlock.
 *
 * <p>JoinableQueue and consumers that die: every item a client takes is remembered as unacknowledged
 * until that client calls {@code task_done} (which acknowledges its oldest one; a task_done from a
 * process that took nothing acknowledges the oldest item of any client). When a client's connection
 * ends while it still holds unacknowledged items (its process exited or was killed mid-task), those
 * items are put back at the head of the queue, so another consumer processes them and {@code join()}
 * completes once they are done. Delivery is therefore at least once: an item whose consumer died after
 * finishing the work but before acknowledging it is processed again.
 */
public final class QueueBroker extends Broker {
  private static final Logger LOG = LoggerFactory.getLogger(QueueBroker.class);

  private final boolean joinable;
  private final ItemQueue queue;
  private final BrokerClient.Local local = new BrokerClient.Local(-1);
  private final ArrayDeque<Waiter> joiners = new ArrayDeque<>();
  /** Clients that hold unacknowledged items, oldest taker first (JoinableQueue only). */
  private final Set<BrokerClient> holding = new LinkedHashSet<>();
  private long unfinished;

  /**
   * Opens a queue in the parent and registers its endpoint with {@code server}.
   *
   * @param maxsize the most items held at once; 0 for no limit
   * @param joinable whether it counts unfinished tasks (JoinableQueue)
   */
  public QueueBroker(ChannelServer server, Delays delays, int maxsize, int maxMessageBytes, boolean joinable,
      String name) {
    super(server, delays, maxMessageBytes, name);
    this.joinable = joinable;
    this.queue = new ItemQueue(maxsize, timer(), new ItemQueue.Listener() {
      @Override
      public void added(Payload item) {
        if (joinable) {
          unfinished++;
        }
      }

      @Override
      public void taken(BrokerClient client, Payload item) {
        if (joinable) {
          // Only a child's items can go back (when it dies): the parent's own takes are counted, not kept.
          client.unacknowledged.add(client instanceof BrokerClient.Remote ? item : Payload.getDefaultInstance());
          holding.add(client);
        }
      }
    });
  }

  /** The client that stands for this JVM's own handles of the queue. */
  BrokerClient.Local local() {
    return local;
  }

  @Override
  Outcome put(BrokerClient client, long requestId, Payload item, long timeoutMillis, boolean returned) {
    return locked(answers -> {
      if (returned) {
        queue.putBack(item, answers);
        return Outcome.Status.DONE;
      }
      return queue.put(client, requestId, item, timeoutMillis, answers);
    });
  }

  @Override
  Outcome get(BrokerClient client, long requestId, long timeoutMillis, boolean peek) {
    return locked(answers -> queue.get(client, requestId, timeoutMillis, peek, answers));
  }

  @Override
  boolean holdsItemFor(BrokerClient client) {
    return locked(answers -> queue.size() > 0);
  }

  @Override
  void cancel(BrokerClient client, long requestId) {
    locked(answers -> {
      if (!queue.cancel(client, requestId, answers)) {
        withdrawJoin(client, requestId, answers);
      }
      return null;
    });
  }

  @Override
  Outcome call(BrokerClient client, long requestId, ChannelCall.Kind kind) {
    return locked(answers -> {
      switch (kind) {
        case SIZE:
          return new Outcome.Count(queue.size());
        case SYNC:
          return Outcome.Status.DONE;
        case TASK_DONE:
          return taskDone(client, answers);
        case JOIN:
          return join(client, requestId);
        default:
          return new Outcome.Refused("unknown call " + kind);
      }
    });
  }

  private Outcome taskDone(BrokerClient client, Answers answers) {
    if (!joinable) {
      return new Outcome.Refused(name() + " is not a JoinableQueue");
    }
    if (unfinished == 0) {
      return new Outcome.Refused("task_done() called too many times");
    }
    unfinished--;
    BrokerClient acknowledging = client.unacknowledged.isEmpty() && !holding.isEmpty()
        ? holding.iterator().next()
        : client;
    acknowledging.unacknowledged.poll();
    if (acknowledging.unacknowledged.isEmpty()) {
      holding.remove(acknowledging);
    }
    if (unfinished == 0) {
      for (Waiter joiner : joiners) {
        answers.add(joiner, Outcome.Status.DONE);
      }
      joiners.clear();
    }
    return Outcome.Status.DONE;
  }

  private Outcome join(BrokerClient client, long requestId) {
    if (!joinable) {
      return new Outcome.Refused(name() + " is not a JoinableQueue");
    }
    if (closed) {
      return new Outcome.Refused(closedReason());
    }
    if (unfinished == 0) {
      return Outcome.Status.DONE;
    }
    joiners.add(new Waiter(client, requestId, null, false));
    return null;
  }

  private void withdrawJoin(BrokerClient client, long requestId, Answers answers) {
    for (Iterator<Waiter> it = joiners.iterator(); it.hasNext(); ) {
      Waiter joiner = it.next();
      if (joiner.is(client, requestId)) {
        it.remove();
        answers.add(joiner, Outcome.Status.EMPTY);
        return;
      }
    }
  }

  @Override
  void takeBack(BrokerClient client, Payload item) {
    locked(answers -> {
      // The take is undone: the client no longer holds the item, so its end does not put it back again.
      for (Iterator<Payload> it = client.unacknowledged.iterator(); it.hasNext(); ) {
        if (it.next() == item) {
          it.remove();
          if (client.unacknowledged.isEmpty()) {
            holding.remove(client);
          }
          break;
        }
      }
      queue.putBack(item, answers);
      return null;
    });
  }

  @Override
  void disconnected(BrokerClient.Remote client, Answers answers) {
    queue.dropClient(client);
    joiners.removeIf(joiner -> joiner.client == client);
    holding.remove(client);
    int held = client.unacknowledged.size();
    if (held > 0) {
      for (Iterator<Payload> it = client.unacknowledged.descendingIterator(); it.hasNext(); ) {
        queue.putBack(it.next(), answers);
      }
      client.unacknowledged.clear();
      LOG.warn("{}: a consumer process exited holding {} item(s) it had not marked done; they were put back "
          + "at the head of the queue", name(), held);
    }
  }

  @Override
  void refuseAll(String reason, Answers answers) {
    queue.refuse(reason, answers);
    Outcome refused = new Outcome.Refused(reason);
    for (Waiter joiner : joiners) {
      answers.add(joiner, refused);
    }
    joiners.clear();
  }
}
