package io.multiprocessing4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.multiprocessing4j.proto.Payload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared-memory ring of posts: order, chunking, wrap-around, refusal of large messages, a lost reader. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostRingTest {
  private Path path;
  private PostRing writer;
  private PostRing reader;

  @BeforeEach
  void createRing() throws Exception {
    path = BlockStore.defaultDirectory().resolve(BlockStore.FILE_PREFIX + "ringtest-" + System.nanoTime());
    writer = PostRing.create(path, PostRing.REPLIES_CAPACITY);
    reader = PostRing.open(path);
    Files.delete(path);
  }

  @AfterEach
  void noFileLeft() {
    assertFalse(Files.exists(path));
  }

  private static Payload message(int size, int seed, String manifest) {
    byte[] data = new byte[size];
    for (int i = 0; i < size; i++) {
      data[i] = (byte) (seed * 31 + i);
    }
    return Payload.newBuilder().setSerializerId(seed).setManifest(manifest)
        .setData(UnsafeByteOperations.unsafeWrap(data)).build();
  }

  /** Collects what a drain hands over. */
  private static class Collected implements PostRing.Sink {
    final List<Payload> messages = new ArrayList<>();
    final List<Long> refused = new ArrayList<>();
    final List<Long> tags = new ArrayList<>();

    @Override
    public void message(Payload item, long tag) {
      messages.add(item);
      tags.add(tag);
    }

    @Override
    public void tooLarge(long bytes) {
      refused.add(bytes);
    }
  }

  @Test
  void messagesOfEverySizeArriveWholeInOrderAndTaggedWhileTheRingWrapsAround() throws Exception {
    int[] sizes = {0, 1, 64, 1024, writer.maxChunk() - 100, writer.maxChunk() + 1, 65536, 3 * writer.capacity() + 7};
    List<Payload> sent = new ArrayList<>();
    for (int round = 0; round < 20; round++) {
      for (int size : sizes) {
        sent.add(message(size, sent.size() % 100, round % 2 == 0 ? "" : "some.Class"));
      }
    }
    CompletableFuture<Boolean> writing = CompletableFuture.supplyAsync(() -> {
      for (int i = 0; i < sent.size(); i++) {
        if (!writer.write(sent.get(i), Long.MAX_VALUE - i, () -> false)) {
          return false;
        }
      }
      return true;
    });
    Collected collected = new Collected();
    while (collected.messages.size() < sent.size()) {
      reader.awaitData(writing::isDone);
      reader.drain(collected, Long.MAX_VALUE);
      assertFalse(writing.isDone() && !reader.hasData() && collected.messages.size() < sent.size(),
          "the writer finished but messages are missing");
    }
    assertTrue(writing.get(30, TimeUnit.SECONDS));
    assertEquals(sent, collected.messages);
    for (int i = 0; i < sent.size(); i++) {
      assertEquals(Long.MAX_VALUE - i, collected.tags.get(i), "each message comes with its tag");
    }
    assertEquals(List.of(), collected.refused);
    assertFalse(reader.hasData());
  }

  @Test
  void aBudgetedDrainTakesWholeMessagesUpToItsBudgetAndLeavesTheRestInTheRing() {
    List<Payload> sent = List.of(message(1000, 0, ""), message(1000, 1, ""), message(1000, 2, ""),
        message(2 * writer.maxChunk() + 5, 3, ""), message(10, 4, ""));
    for (Payload m : sent) {
      assertTrue(writer.write(m, 0, () -> false), "all five fit the ring at once");
    }
    Collected collected = new Collected();
    reader.drain(collected, Long.MAX_VALUE, 1500);
    assertEquals(sent.subList(0, 2), collected.messages, "a budget of 1500 bytes takes two 1000-byte messages");
    reader.drain(collected, Long.MAX_VALUE, 1);
    assertEquals(sent.subList(0, 3), collected.messages);
    reader.drain(collected, Long.MAX_VALUE, 1);
    assertEquals(sent.subList(0, 4), collected.messages, "a message of three chunks is taken whole");
    assertTrue(reader.hasData(), "the last message is left in the ring");
    reader.drain(collected, Long.MAX_VALUE, 1);
    assertEquals(sent, collected.messages);
    assertFalse(reader.hasData());
  }

  /**
   * A get that went into a duplex end's ring behind sends the broker then holds back must not wait for
   * them: their reader may be waiting for what that get asks for (PipeBackPressureTest's duplex test
   * deadlocked that way, now and then, when the get went in before the ring was marked held).
   */
  @Test
  void aRequestBehindHeldMessagesIsTakenAndTheMessagesStayInOrder() {
    Payload get = ChannelCodec.getRecord(7, -1, false, false);
    List<Payload> sent = List.of(message(100, 0, ""), message(2 * writer.maxChunk() + 5, 1, ""), get,
        message(100, 2, ""));
    for (Payload m : sent) {
      assertTrue(writer.write(m, 0, () -> false));
    }
    boolean[] accepting = {false};
    Collected collected = new Collected() {
      @Override
      public boolean accepts() {
        return accepting[0];
      }
    };
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(List.of(get), collected.messages, "the request is taken past the messages held back");
    // Still held: a later look takes a get that came meanwhile (RingIntake's drainer looks every few
    // ms), and only that one, even though it starts where the last look stopped.
    Payload later = ChannelCodec.getRecord(8, -1, false, false);
    Payload last = message(100, 3, "");
    assertTrue(writer.write(later, 0, () -> false));
    assertTrue(writer.write(last, 0, () -> false));
    reader.drain(collected, Long.MAX_VALUE);
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(List.of(get, later), collected.messages, "the later request is taken once, nothing else");
    accepting[0] = true;
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(List.of(get, later, sent.get(0), sent.get(1), sent.get(3), last), collected.messages,
        "the held messages follow, whole and in order, and no request is taken twice");
    assertFalse(reader.hasData());
  }

  @Test
  void aReaderThatStopsAcceptingLeavesTheRestInTheRingBetweenWholeMessages() {
    List<Payload> sent = List.of(message(100, 0, ""), message(2 * writer.maxChunk() + 5, 1, ""),
        message(100, 2, ""));
    for (Payload m : sent) {
      assertTrue(writer.write(m, 0, () -> false));
    }
    int[] accepted = {1};
    Collected collected = new Collected() {
      @Override
      public boolean accepts() {
        return accepted[0]-- > 0;
      }
    };
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(sent.subList(0, 1), collected.messages, "a drain stops where its sink says no");
    accepted[0] = 1;
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(sent.subList(0, 2), collected.messages, "a message of three chunks is taken whole");
    assertTrue(reader.hasData());
    accepted[0] = 1;
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(sent, collected.messages);
    assertFalse(reader.hasData());
  }

  @Test
  void aTryWriteNeverWaitsAndTheHeldWordReachesTheWriter() {
    assertFalse(writer.isHeld());
    reader.setHeld(true);
    assertTrue(writer.isHeld(), "what the reader says is seen by the writer's process");
    reader.setHeld(false);
    assertFalse(writer.isHeld());
    Payload small = message(1000, 0, "");
    int fit = 0;
    while (writer.tryWrite(small, fit)) {
      fit++;
    }
    assertTrue(fit > 0 && fit * 1000L < writer.capacity(), fit + " messages of 1000 bytes fit");
    assertFalse(writer.tryWrite(message(writer.maxChunk() + 1, 1, ""), 0), "larger than one record");
    Collected collected = new Collected();
    reader.drain(collected, Long.MAX_VALUE, 1);
    assertTrue(writer.tryWrite(small, fit), "room again once the reader took one");
    reader.drain(collected, Long.MAX_VALUE);
    assertEquals(fit + 1, collected.messages.size());
    assertEquals(fit, (long) collected.tags.get(fit));
  }

  @Test
  void aMessageAboveTheReadersLimitIsSkippedAndTheNextOneArrives() {
    Collected collected = new Collected();
    int large = 2 * writer.maxChunk();
    CompletableFuture<Boolean> writing = CompletableFuture.supplyAsync(() ->
        writer.write(message(large, 1, ""), 0, () -> false) && writer.write(message(10, 2, ""), 0, () -> false));
    while (collected.messages.isEmpty()) {
      reader.awaitData(writing::isDone);
      reader.drain(collected, 1000);
    }
    assertEquals(List.of((long) large), collected.refused);
    assertEquals(List.of(message(10, 2, "")), collected.messages);
  }

  @Test
  void aWriterWaitingForSpaceGivesUpWhenTheReaderIsLost() throws Exception {
    AtomicBoolean lost = new AtomicBoolean();
    CompletableFuture<Boolean> writing = CompletableFuture.supplyAsync(() -> {
      for (int i = 0; i < 10; i++) {
        if (!writer.write(message(writer.capacity() / 4, i, ""), 0, lost::get)) {
          return false;
        }
      }
      return true;
    });
    assertFalse(writing.isDone(), "the ring holds fewer than 10 such messages");
    lost.set(true);
    assertFalse(writing.get(10, TimeUnit.SECONDS), "write() reports the loss instead of waiting for ever");
  }

  @Test
  void bytesOfHandsOverAWholeArrayAndCopiesAnythingElse() {
    byte[] whole = {1, 2, 3, 4};
    assertSame(whole, ChannelCodec.bytesOf(UnsafeByteOperations.unsafeWrap(whole)));
    byte[] part = ChannelCodec.bytesOf(UnsafeByteOperations.unsafeWrap(whole, 1, 2));
    assertTrue(Arrays.equals(new byte[] {2, 3}, part));
    ByteString joined = ByteString.copyFrom(whole).concat(ByteString.copyFrom(whole));
    byte[] copied = ChannelCodec.bytesOf(joined);
    assertNotSame(whole, copied);
    assertEquals(8, copied.length);
  }
}
