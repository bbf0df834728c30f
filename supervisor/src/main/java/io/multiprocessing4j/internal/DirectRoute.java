package io.multiprocessing4j.internal;

import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * A sending pipe end's way around the broker ({@link RemoteCalls}), on the broker's host: once the
 * broker has said that the other end is read directly by one process ({@link Outcome.Status#DIRECT_ROUTE}),
 * the next send creates a ring ({@link PostRing}, one writing process and one reading process, as for
 * the broker's rings) and offers it through the broker, which hands its path to the reader in order
 * after everything this process sent before; from then on messages go into the ring, which the reader
 * drains itself ({@link DirectInbox}). The reader closes the ring's gate when it hands its end on; a
 * send that finds it closed goes back to the broker, after everything the ring carried.
 *
 * <p>The ring's file is deleted by the reader once mapped (or by the broker if the reader is gone
 * before it did), or here if the offer is refused: not when this process exits, since the reader may
 * not have mapped it yet and what was written there must still arrive.
 */
final class DirectRoute {
  /** Sends an offer to the broker and waits for its answer. */
  @FunctionalInterface
  interface Offer {
    Outcome send(String path);
  }

  private volatile boolean offered;
  private volatile PostRing ring;

  /** The broker said the other end is read directly: the next send offers a ring. */
  void routeAvailable() {
    offered = true;
  }

  /**
   * Sends {@code item} through the ring, setting it up first if the broker offered a route. Returns
   * DONE when written, null when the message must go through the broker, or {@code whenLost} if the
   * reader went away while this waited for room ({@code lost} holds).
   */
  Outcome send(Payload item, Offer offer, BooleanSupplier lost, Outcome whenLost) {
    if (offered) {
      open(offer);
    }
    PostRing direct = ring;
    if (direct == null) {
      return null;
    }
    RingGate.Written written;
    synchronized (direct) {
      written = RingGate.write(direct, item, lost);
    }
    switch (written) {
      case YES:
        return Outcome.Status.DONE;
      case READER_LOST:
        return whenLost;
      default:
        synchronized (this) {
          if (ring == direct) {
            ring = null;
          }
        }
        return null;
    }
  }

  /** Sets the ring up; a concurrent send waits for it here, so it does not slip through the broker. */
  private synchronized void open(Offer offer) {
    if (!offered) {
      return;
    }
    try {
      if (ring == null) {
        offerRing(offer);
      }
    } finally {
      offered = false;
    }
  }

  private void offerRing(Offer offer) {
    Path file = BlockStore.defaultDirectory().resolve(BlockStore.FILE_PREFIX + ProcessIdentity.PID + "-direct-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      PostRing created = PostRing.create(file, PostRing.POSTS_CAPACITY);
      if (offer.send(file.toString()) == Outcome.Status.DONE) {
        ring = created;
        return;
      }
    } catch (IOException | RuntimeException e) {
      // The broker's path stays in use.
    }
    deleteQuietly(file);
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Left for the sweep of blocks whose creator is dead.
    }
  }
}
