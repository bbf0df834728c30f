package io.multiprocessing4j.wire;

import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.Frame;
import java.io.IOException;
import java.io.Serializable;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * The address and credentials of one service in a parent (a pool's task channel, a queue, a pipe,
 * a lock...), as carried inside the handles that travel to children. Any process holding an Endpoint
 * can {@link #connect()} to the parent's channel server and is admitted as that service's client; the
 * key only ever travels inside payloads on already authenticated channels, never on a command line.
 *
 * <p>A plain class rather than a record: Java deserializes a record through its canonical
 * constructor, which spins method handles the first time (tens of milliseconds in a fresh JVM), and an
 * Endpoint is decoded on the start-up path of every pool worker and of every child handed a pipe or
 * queue. Endpoints are never compared: equality is identity.
 */
public final class Endpoint implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String socketPath;
  private final long id;
  private final byte[] key;

  /**
   * @param socketPath the parent's channel socket
   * @param id the service's id, disjoint from child ids
   * @param key the HMAC key that proves the right to connect
   */
  public Endpoint(String socketPath, long id, byte[] key) {
    this.socketPath = socketPath;
    this.id = id;
    this.key = key;
  }

  /** The parent's channel socket. */
  public String socketPath() {
    return socketPath;
  }

  /** The service's id, disjoint from child ids. */
  public long id() {
    return id;
  }

  /** The HMAC key that proves the right to connect. */
  public byte[] key() {
    return key;
  }

  /** Connects and authenticates; blocks for the duration of the handshake. */
  public FrameChannel<Frame> connect() throws IOException {
    SocketChannel socket = SocketChannel.open(UnixDomainSocketAddress.of(socketPath));
    FrameChannel<Frame> channel = new FrameChannel<>(socket, Frame.parser(), FrameChannel.DEFAULT_MAX_FRAME_BYTES);
    try {
      Challenge challenge = channel.read(Challenge.parser(), 256);
      channel.send(Handshake.respond(challenge, key, id, ProcessHandle.current().pid()));
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "Endpoint[" + socketPath + "#" + id + "]";
  }
}
