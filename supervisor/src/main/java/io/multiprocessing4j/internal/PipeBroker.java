package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.ChannelCall;
import io.multiprocessing4j.proto.Payload;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

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
 * BrokenPipeError). A copy that will never be deserialized is released ({@link EndCopies}): its
 * serialization, put or send failed, or the child whose target carried it died before reading it. One
 * that is serialized and kept (an item nobody gets) holds its end open until the context closes, as a
 * leaked descriptor would.
 *
 * <p>Direct reading: when a child on this host holds an end alone (no other process, no copy in flight,
 * the parent's copy closed), the parent no longer holds the other end (while it does, its sends are
 * one hop from the reader's ring anyway, and a parent-child ping-pong runs about three times faster on
 * the reader's fetches than on pushes), and the child asks for it ({@code direct_ok} on
 * a get; it asks on every get until it is granted), the broker stops holding that
 * end's messages: it pushes them to that process ({@link DirectPush}), and tells every sending end's
 * process on this host to offer a ring of its own, which the reader then reads itself, so their
 * messages never pass through here. It stays the authority on who holds what: it pushes the end of
 * file when the sending end closes, tells the writers when the reading end closes, and ends the direct
 * reading when the reader asks before it hands its end on (see {@link DirectInbox}).
 *
 * <p>Back pressure ({@link HeldBackWriters}): an end holds at most about its limit of messages not yet
 * received (a message is let in while it holds less, so one larger than that goes through alone). While
 * it holds that much, nothing more is taken in for it: the parent's own sends wait ({@link BrokerCalls.Local}),
 * a writer's ring is left undrained ({@link RingIntake}), so the writer waits on its full ring, and a
 * writer without a ring has its connection's frames wait, so its socket fills up. They resume once the
 * reader has taken the end down to half the limit, and are released at once when the end closes (their
 * sends are then refused) or the context does. An end read directly bounds its messages the same way in
 * the reading process ({@link DirectInbox}).
 */
public final class PipeBroker extends Broker {
  private final boolean duplex;
  private final ItemQueue[] inbox = new ItemQueue[2];
  private final BrokerClient.Local[] locals = {new BrokerClient.Local(0), new BrokerClient.Local(1)};
  private final int[] holders = {1, 1};
  private final boolean[] endClosed = new boolean[2];
  /** Whether the parent's own copy of each end is still open. */
  private final boolean[] localOpen = {true, true};
  private final Set<Long> copiesInFlight = new HashSet<>();
  /** Copies claimed before their registration arrived (the two travel on different connections). */
  private final Set<Long> claimedEarly = new HashSet<>();
  /** The processes attached to each end. */
  @SuppressWarnings("unchecked")
  private final Set<BrokerClient.Remote>[] attached = new Set[] {new HashSet<>(), new HashSet<>()};
  /** The direct reader of each end, or null while the broker holds its messages. */
  private final DirectPush[] direct = new DirectPush[2];
  /** Messages sent on this pipe that passed through the broker (a diagnostic: direct ones do not). */
  private final AtomicLong relayed = new AtomicLong();
  private final HeldBackWriters heldBack;

  /**
   * Opens a pipe in the parent. End 0 is Python's {@code conn1}, end 1 its {@code conn2}; a one-way
   * pipe ({@code duplex} false) receives at end 0 and sends at end 1, as Python's {@code Pipe(False)}.
   */
  public PipeBroker(ChannelServer server, Delays delays, boolean duplex, int maxMessageBytes, long maxBufferedBytes,
      String name) {
    super(server, delays, maxMessageBytes, name);
    this.duplex = duplex;
    this.heldBack = new HeldBackWriters(lock, maxBufferedBytes);
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

  /** How many messages sent on this pipe passed through the broker (not those a reader read directly). */
  long relayed() {
    return relayed.get();
  }

  /** The bytes of the messages held here for {@code end}, sent but not yet received (a diagnostic). */
  long heldBytes(int end) {
    return inbox[end].heldBytes();
  }

  @Override
  boolean takesPostsOf(BrokerClient client) {
    // An end that closed holds nothing (its messages were dropped), so its writers are released.
    return client.end < 0 || heldBack.hasRoom(inbox[1 - client.end].heldBytes());
  }

  @Override
  void awaitRoomFor(BrokerClient client, BooleanSupplier giveUp) {
    if (takesPostsOf(client)) {
      return;
    }
    int to = 1 - client.end;
    heldBack.await(inbox[to]::heldBytes, () -> closed || endClosed[to], giveUp);
  }

  /** The bytes of unreceived messages an end takes in at most (a message is let in while it holds less). */
  long maxBufferedBytes() {
    return heldBack.maxBytes;
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
        return new Outcome.Refused(closedReason());
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
      relayed.incrementAndGet();
      DirectPush reader = direct[1 - end];
      if (reader != null) {
        reader.push(item, answers);
        return Outcome.Status.DONE;
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
      if (direct[end] != null) {
        return Outcome.Status.DIRECT_READER;
      }
      Outcome outcome = inbox[end].get(client, requestId, timeoutMillis, peek, answers);
      if (outcome instanceof Outcome.Item) {
        heldBack.taken(inbox[end].heldBytes());
      }
      return outcome;
    });
  }

  @Override
  boolean holdsItemFor(BrokerClient client) {
    int end = client.end;
    return locked(answers -> direct[end] == null && inbox[end].size() > 0);
  }

  @Override
  Outcome directGet(BrokerClient.Remote client, long requestId, long timeoutMillis, boolean peek) {
    int end = client.end;
    boolean granted = locked(answers -> {
      if (end < 0 || direct[end] != null || closed || client.directBarred || !canReceive(duplex, end) || client.replies == null
          || holders[end] != 1 || !attached[end].contains(client) || endClosed[0] || endClosed[1]
          || localOpen[1 - end]) {
        return direct[end] != null && direct[end].reader == client;
      }
      DirectPush reader = new DirectPush(client);
      direct[end] = reader;
      for (Payload item : inbox[end].handOver(Outcome.Status.DIRECT_READER, answers)) {
        reader.push(item, answers);
      }
      heldBack.taken(0);
      for (BrokerClient.Remote writer : attached[1 - end]) {
        if (writer.ring != null) {
          answers.add(writer, 0, Outcome.Status.DIRECT_ROUTE);
        }
      }
      return true;
    });
    return granted ? Outcome.Status.DIRECT_READER : get(client, requestId, timeoutMillis, peek);
  }

  @Override
  void ringsAttached(BrokerClient.Remote client) {
    boolean route = locked(answers -> client.end >= 0 && canSend(duplex, client.end)
        && direct[1 - client.end] != null);
    if (route) {
      client.answer(0, Outcome.Status.DIRECT_ROUTE);
    }
  }

  @Override
  Outcome directOffer(BrokerClient.Remote client, String path) {
    int end = client.end;
    return locked(answers -> {
      DirectPush reader = end < 0 ? null : direct[1 - end];
      if (reader == null || client.ring == null || !canSend(duplex, end) || endClosed[end]) {
        return new Outcome.Refused("the other end of " + name() + " is not read directly");
      }
      reader.ringOffered(client, path, answers);
      return Outcome.Status.DONE;
    });
  }

  @Override
  Outcome stopDirect(BrokerClient.Remote client) {
    int end = client.end;
    return locked(answers -> {
      // A get of this client may be on its way with direct_ok: it must not make it the reader again.
      client.directBarred = true;
      DirectPush reader = end < 0 ? null : direct[end];
      if (reader == null || reader.reader != client) {
        return Outcome.Status.DONE;
      }
      direct[end] = null;
      reader.push(ChannelCodec.directRecord(ChannelCodec.DIRECT_STOPPED, ""), answers);
      return Outcome.Status.DIRECT_READER;
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
      attached[end].add(client);
      claim(end, claimedCopy, answers);
      if (endClosed[1 - end] && canSend(duplex, end)) {
        // As a process already holding the end was told when the other end closed (see release).
        answers.add(client, 0, Outcome.Status.CLOSED);
      }
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
      localOpen[end] = false;
      inbox[end].refuseClient(locals[end], "the connection was closed", answers);
      // A send of this copy held back gives up (see BrokerCalls.Local).
      heldBack.wakeAll();
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
    heldBack.wakeAll();
    if (canSend(duplex, 1 - end)) {
      // The processes holding the other end learn it now: their next send fails, not the one after it.
      for (BrokerClient.Remote writer : attached[1 - end]) {
        answers.add(writer, 0, Outcome.Status.CLOSED);
      }
    }
    DirectPush otherReader = direct[1 - end];
    if (otherReader != null) {
      otherReader.push(ChannelCodec.directRecord(ChannelCodec.DIRECT_EOF, ""), answers);
    }
    DirectPush reader = direct[end];
    if (reader != null) {
      direct[end] = null;
      reader.readerGone(answers);
      // Its writers write to no one now: their next send is refused, as a brokered one would be.
      for (BrokerClient.Remote writer : reader.writers) {
        answers.add(writer, 0, Outcome.Status.CLOSED);
      }
    }
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
      attached[client.end].remove(client);
      DirectPush reader = direct[1 - client.end];
      if (reader != null) {
        reader.writers.remove(client);
      }
      inbox[client.end].dropClient(client);
      release(client.end, answers);
    }
  }

  @Override
  void refuseAll(String reason, Answers answers) {
    heldBack.wakeAll();
    for (int end = 0; end < 2; end++) {
      inbox[end].end(answers);
      endClosed[end] = true;
      if (direct[end] != null) {
        direct[end].readerGone(answers);
        direct[end] = null;
      }
    }
  }
}
