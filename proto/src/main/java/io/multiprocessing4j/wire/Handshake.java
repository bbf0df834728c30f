package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The challenge-response that authenticates a child agent to its parent (see handshake.proto).
 * Nothing but a {@code ChallengeResponse} of at most {@link #MAX_RESPONSE_BYTES} is read from a peer
 * before it has proven knowledge of its child key.
 *
 * <p>This runs on every child's start-up path, so it stays off the costly parts of the JCA: the HMAC
 * is computed from a SHA-256 {@link MessageDigest} (RFC 2104) rather than {@code javax.crypto.Mac},
 * whose first lookup walks and initializes every security provider (SunEC, SunJSSE, SunJCE: ~40 ms
 * of CPU in a fresh JVM), and the {@link SecureRandom}, which only the parent side needs (secrets and
 * nonces), is created on first use (~20 ms).
 */
public final class Handshake {
  public static final int PROTOCOL_VERSION = 1;
  /** A response larger than this is refused before its body is read. */
  public static final int MAX_RESPONSE_BYTES = 128;
  private static final int NONCE_BYTES = 32;
  /** SHA-256's block size: the length of HMAC's padded key. */
  private static final int BLOCK_BYTES = 64;
  private static final byte INNER_PAD = 0x36;
  private static final byte OUTER_PAD = 0x5c;

  /** Created on first use, so a child, which never draws random bytes, never seeds one. */
  private static final class LazyRandom {
    static final SecureRandom INSTANCE = new SecureRandom();
  }

  private Handshake() {}

  /** A fresh random secret for a context (256 bits). */
  public static byte[] newSecret() {
    byte[] secret = new byte[32];
    LazyRandom.INSTANCE.nextBytes(secret);
    return secret;
  }

  /** The key one child uses: HMAC(context secret, child id). A child cannot pose as another. */
  public static byte[] childKey(byte[] contextSecret, long childId) {
    return hmac(contextSecret, ByteBuffer.allocate(8).putLong(childId).array());
  }

  /** Parent side, step 1: the challenge to send first on an accepted connection. */
  public static Challenge newChallenge() {
    byte[] nonce = new byte[NONCE_BYTES];
    LazyRandom.INSTANCE.nextBytes(nonce);
    return Challenge.newBuilder()
        .setNonce(ByteString.copyFrom(nonce))
        .setProtocolVersion(PROTOCOL_VERSION)
        .build();
  }

  /** Child side: answers the challenge it read with its key. */
  public static ChallengeResponse respond(Challenge challenge, byte[] childKey, long childId, long pid)
      throws IOException {
    if (challenge.getProtocolVersion() != PROTOCOL_VERSION) {
      throw new IOException("parent speaks protocol " + challenge.getProtocolVersion()
          + ", this agent speaks " + PROTOCOL_VERSION + " (mixed library versions on the class path?)");
    }
    return ChallengeResponse.newBuilder()
        .setChildId(childId)
        .setPid(pid)
        .setHmac(ByteString.copyFrom(mac(childKey, challenge.getNonce().toByteArray(), childId)))
        .build();
  }

  /** Parent side, step 2: true when the response proves the key, compared in constant time. */
  public static boolean verify(Challenge challenge, ChallengeResponse response, byte[] childKey) {
    byte[] expected = mac(childKey, challenge.getNonce().toByteArray(), response.getChildId());
    return MessageDigest.isEqual(expected, response.getHmac().toByteArray());
  }

  private static byte[] mac(byte[] key, byte[] nonce, long childId) {
    return hmac(key, ByteBuffer.allocate(nonce.length + 8).put(nonce).putLong(childId).array());
  }

  /** HMAC-SHA256 (RFC 2104): {@code H((K ^ opad) || H((K ^ ipad) || data))}. */
  static byte[] hmac(byte[] key, byte[] data) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
    byte[] block = Arrays.copyOf(key.length > BLOCK_BYTES ? sha256.digest(key) : key, BLOCK_BYTES);
    byte[] pad = new byte[BLOCK_BYTES];
    for (int i = 0; i < BLOCK_BYTES; i++) {
      pad[i] = (byte) (block[i] ^ INNER_PAD);
    }
    sha256.update(pad);
    byte[] inner = sha256.digest(data);
    for (int i = 0; i < BLOCK_BYTES; i++) {
      pad[i] = (byte) (block[i] ^ OUTER_PAD);
    }
    sha256.update(pad);
    return sha256.digest(inner);
  }
}
