package io.multiprocessing4j.wire;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The challenge-response that authenticates a child agent to its parent (see handshake.proto).
 * Nothing but a {@code ChallengeResponse} of at most {@link #MAX_RESPONSE_BYTES} is read from a peer
 * before it has proven knowledge of its child key.
 */
public final class Handshake {
  public static final int PROTOCOL_VERSION = 1;
  /** A response larger than this is refused before its body is read. */
  public static final int MAX_RESPONSE_BYTES = 128;
  private static final int NONCE_BYTES = 32;
  private static final String HMAC = "HmacSHA256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  /** A fresh random secret for a context (256 bits). */
  public static byte[] newSecret() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return secret;
  }

  /** The key one child uses: HMAC(context secret, child id). A child cannot pose as another. */
  public static byte[] childKey(byte[] contextSecret, long childId) {
    return hmac(contextSecret, ByteBuffer.allocate(8).putLong(childId).array());
  }

  /** Parent side, step 1: the challenge to send first on an accepted connection. */
  public static Challenge newChallenge() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
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

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }
}
