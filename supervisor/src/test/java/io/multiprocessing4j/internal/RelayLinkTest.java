package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.proto.Frame;
import io.multiprocessing4j.proto.RelayAck;
import io.multiprocessing4j.proto.RelayMessage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link RelayLink} closing against a stand-in session that takes its frames in slowly, as one at the
 * far end of a slow network does: the close must wait for as long as the session makes progress.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayLinkTest {
  private static final int FRAMES = 20;
  /** Acknowledging one frame per tick, the session takes longer than {@link RelayLink#CLOSE_PATIENCE}. */
  private static final Duration TICK = RelayLink.CLOSE_PATIENCE.multipliedBy(2).dividedBy(FRAMES);

  private final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "relay-link-test");

  @AfterEach
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void closeWaitsForASlowSessionThatStillTakesFramesIn() throws Exception {
    AtomicInteger taken = new AtomicInteger();
    CompletableFuture<Integer> takenAtEnd = new CompletableFuture<>();
    RelayLink link = new RelayLink(system, new Relay.Budget(), 1 << 20, ended -> { });
    ActorRef<Object> session = system.systemActorOf(slowSession(link.inbox(), taken, takenAtEnd), "session",
        Props.empty());
    link.attach(session.narrow(), session.narrow());
    for (int i = 0; i < FRAMES; i++) {
      link.post(Frame.getDefaultInstance());
    }

    long closingAt = System.nanoTime();
    link.close();
    long tookNanos = System.nanoTime() - closingAt;
    assertEquals(FRAMES, takenAtEnd.get(1, TimeUnit.SECONDS), "the session took every frame in before the end");
    assertTrue(tookNanos > RelayLink.CLOSE_PATIENCE.toNanos(),
        "close waited past its patience while the session kept acknowledging");
  }

  /**
   * Takes one frame in per {@link #TICK} (acknowledging it), and confirms an end once it has taken in
   * every frame sent before it.
   */
  private static Behavior<Object> slowSession(ActorRef<RelayMessage> link, AtomicInteger taken,
      CompletableFuture<Integer> takenAtEnd) {
    return Behaviors.withTimers(timers -> {
      timers.startTimerAtFixedRate("tick", "tick", TICK);
      AtomicInteger received = new AtomicInteger();
      boolean[] endRequested = {false};
      return Behaviors.receive(Object.class)
          .onMessage(RelayMessage.class, message -> {
            if (message.hasChunk()) {
              received.incrementAndGet();
            } else if (message.hasEnd()) {
              endRequested[0] = true;
            }
            return Behaviors.same();
          })
          .onMessageEquals("tick", () -> {
            if (taken.get() < received.get()) {
              taken.incrementAndGet();
              link.tell(RelayMessage.newBuilder().setAck(RelayAck.newBuilder().setChunks(1)).build());
            } else if (endRequested[0]) {
              takenAtEnd.complete(taken.get());
              link.tell(Relay.end("closed"));
              return Behaviors.stopped();
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
