package io.multiprocessing4j.internal;

import io.multiprocessing4j.PipeClosedException;
import io.multiprocessing4j.PipeOptions;
import io.multiprocessing4j.proto.Payload;
import io.multiprocessing4j.wire.Payloads;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * What a warm (idle) agent rehearses before it is given a target: a target that uses a pipe end, the
 * most common thing a target captures. The agent decodes it (so the pipe end attaches, over a fresh
 * authenticated connection to this context's broker, as a real target's would), sends one message and
 * closes the end. A first real target then finds every class involved loaded, verified and
 * initialized, and Java serialization's per-class setup (records included) done: in a measured warm
 * start that was most of the time from assignment to the first message.
 *
 * <p>The rehearsal pipe belongs to the context: one-way, its receiving end closed at once, so what
 * warm-ups send is refused and nothing piles up however many agents boot. Each {@link #payload()}
 * is a fresh serialization, as a pipe end's copy is claimed by exactly one process.
 */
public final class AgentWarmUp {
  private final PipeHandle sink;

  public AgentWarmUp(ChannelBrokers channels) {
    PipeHandle[] ends = channels.openPipe(false, 1024, PipeOptions.DEFAULT_MAX_BUFFERED_BYTES, "AgentWarmUp");
    ends[0].close();
    this.sink = ends[1];
  }

  /** A serialized warm-up target for one agent. */
  public Payload payload() {
    try {
      return Payloads.javaSerialized(new Rehearsal(sink));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the agents' warm-up", e);
    }
  }

  /** Runs in the agent. */
  private static final class Rehearsal implements Runnable, Serializable {
    private static final long serialVersionUID = 1L;
    private final PipeHandle sink;

    Rehearsal(PipeHandle sink) {
      this.sink = sink;
    }

    @Override
    public void run() {
      try {
        sink.send(1);
      } catch (PipeClosedException expected) {
        // The rehearsal pipe's receiving end is closed: nothing is kept.
      } finally {
        sink.close();
      }
    }
  }
}
