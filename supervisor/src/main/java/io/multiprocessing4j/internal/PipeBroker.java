package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.Payload;
import java.util.HashSet;
import java.util.Set;

/**
 * The parent-side home of one {@code Pipe}: two inboxes (the messages waiting to be received at each
 * end) and the count of holders of each end (see {@link Broker} for the threading).
 *
 * <p>When an end is closed, as in Python, is decided by who still holds it, the way an OS counts the
 * open descriptors of a pipe: the parent's own copy (open from creation until it is closed), every
 * process that deserialized a copy (from then until it closes it or exits, whichever comes first: its
 * connection ending is what the broker sees), and every copy in flight: serializing an end registers a
 * copy id that holds the end open until the process that deserializes it claims it. So the Python idiom
 * "start a child with one end, then close the parent's copy of it" cannot close the end before the
 * child holds it. Once no one holds an end, it is closed for good: the other end receives whatever is
 * still in its inbox and then gets end-of-file, and sends towards the closed end are refused (Python's
 * BrokenPipeError). A copy that is serialized but never deserialized keeps its end open until the
 * context closes, as a leaked descriptor would.
 */
public final class PipeBroker extends Broker {
  private final boolean duplex;
  private final ItemQueue[] inbox = new ItemQueue[2];
  private final BrokerClient.Local[] locals = {new BrokerClient.Local(0), new BrokerClient.Local(1)};
  private final int[] holders = {1, 1};
  private final boolean[] endClosed = new boolean[2];
  private final Set<Long> copiesInFlight = new HashSet<>();
  /** Copies claimed before their registration arrived (the two travel on different connections). */
  private final Set<Long> claimedEarly = new HashSet<>();

  /**
   * Opens a pipe in the parent. End 0 is Python's {@code conn1}, end 1 its {@code conn2}; a one-way
   * pipe ({@code duplex} false) receives at end 0 and sends at end 1, as Python's {@code Pipe(False)}.
   */
  public PipeBroker(ChannelServer server, Delays delays, boolean duplex, int maxMessageBytes, String name) {
    super(server, delays, maxMessageBytes, name);
    this.duplex = duplex;
    ItemQueue.Listener untracked = new ItemQueue.Listener() {
      @Override
      public void added(Payload item) {
        // Pipes count no tasks.
      }

      @Override
      public void taken(BrokerClient client, Payload item) {
        // Pipes count no tasks.
      }
    };
    inbox[0] = new ItemQueue(0, timer(), untracked);
    inbox[1] = new ItemQueue(0, timer(), untracked);
  }

  /** The client that stands for this JVM's own copy of {@code end}. */
  BrokerClient.Local local(int end) {
    return locals[end];
  }

  static boolean canSend(boolean duplex, int end) {
    return duplex || end == 1;
  }

  static boolean canReceive(boolean duplex, int end) {
    return duplex || end == 0;
  }

  @Override
  Outcome put(BrokerClient client, long requestId, Payload item, long timeoutMillis, boolean returned) {
    int end = client.end;
    return locked(answers -> {
      if (closed) {
        return new Outcome.Refused(name() + " is closed");
      }
      if (returned) {
        inbox[end].putBack(item, answers);
        return Outcome.Status.DONE;
      }
      if (!canSend(duplex, end)) {
        return new Outcome.Refused("this end of a one-way pipe only receives");
      }
      if (endClosed[end]) {
        return new Outcome.Refused("this end of the pipe is closed");
      }
      if (endClosed[1 - end]) {
        return Outcome.Status.CLOSED;
      }
      return inbox[1 - end].put(client, requestId, item, -1, answers);
    });
  }

  @Override
  Outcome get(BrokerClient client, long requestId, long timeoutMillis, boolean peek) {
    int end = client.end;
    return locked(answers -> {
      if (!canReceive(duplex, end)) {
        return new Outcome.Refused("this end of a one-way pipe only sends");
      }
      return inbox[end].get(client, requestId, timeoutMillis, peek, answers);
    });
  }

  @Override
  void cancel(BrokerClient client, long requestId) {
    locked(answers -> inbox[client.end].cancel(client, requestId, answers));
  }

  @Override
  Outcome call(BrokerClient client, long requestId, ChannelCall.Kind kind) {
    return locked(answers -> {
      switch (kind) {
        case SIZE:
          return new Outcome.Count(inbox[client.end].size());
        case SYNC:
          return Outcome.Status.DONE;
        default:
          return new Outcome.Refused(kind + " is not a pipe operation");
      }
    });
  }

  @Override
  Outcome attach(BrokerClient.Remote client, int end, long claimedCopy) {
    if (end != 0 && end != 1) {
      return new Outcome.Refused("a pipe has ends 0 and 1, not " + end);
    }
    return locked(answers -> {
      client.end = end;
      holders[end]++;
      claim(end, claimedCopy, answers);
      return null;
    });
  }

  @Override
  Outcome copy(int end, long copyId, boolean released) {
    if (end != 0 && end != 1) {
      return new Outcome.Refused("a pipe has ends 0 and 1, not " + end);
    }
    return locked(answers -> {
      if (released) {
        claim(end, copyId, answers);
      } else if (!claimedEarly.remove(copyId)) {
        copiesInFlight.add(copyId);
        holders[end]++;
      }
      return null;
    });
  }

  /** The parent's own copy of {@code end} was closed. */
  void closeLocal(int end) {
    locked(answers -> {
      inbox[end].refuseClient(locals[end], "the connection was closed", answers);
      release(end, answers);
      return null;
    });
  }

  private void claim(int end, long copyId, Answers answers) {
    if (copyId == 0) {
      return;
    }
    if (copiesInFlight.remove(copyId)) {
      release(end, answers);
    } else {
      claimedEarly.add(copyId);
    }
  }

  private void release(int end, Answers answers) {
    holders[end]--;
    if (holders[end] > 0 || endClosed[end]) {
      return;
    }
    endClosed[end] = true;
    // Nothing will be sent from this end any more, and nothing received at it.
    inbox[1 - end].end(answers);
    inbox[end].refuse("this end of the pipe is closed", answers);
  }

  @Override
  void takeBack(BrokerClient client, Payload item) {
    locked(answers -> {
      if (!endClosed[client.end]) {
        inbox[client.end].putBack(item, answers);
      }
      return null;
    });
  }

  @Override
  void disconnected(BrokerClient.Remote client, Answers answers) {
    if (client.end >= 0) {
      inbox[client.end].dropClient(client);
      release(client.end, answers);
    }
  }

  @Override
  void refuseAll(String reason, Answers answers) {
    for (int end = 0; end < 2; end++) {
      inbox[end].end(answers);
      endClosed[end] = true;
    }
  }
}
