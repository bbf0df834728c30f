package io.multiprocessing4j.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.proto.Challenge;
import io.multiprocessing4j.proto.ChallengeResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HandshakeTest {
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void hmacMatchesRfc4231TestCase2() {
    byte[] mac = Handshake.hmac("Jefe".getBytes(StandardCharsets.US_ASCII),
        "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));
    assertArrayEquals(HexFormat.of().parseHex(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), mac);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void hmacMatchesTheJdksHmacSha256ForShortBlockSizedAndLongKeys() throws Exception {
    Random random = new Random(42);
    for (int keyLength : new int[] {0, 1, 32, 63, 64, 65, 200}) {
      for (int dataLength : new int[] {0, 8, 40, 1000}) {
        byte[] key = new byte[keyLength];
        byte[] data = new byte[dataLength];
        random.nextBytes(key);
        random.nextBytes(data);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(keyLength == 0 ? new byte[1] : key, "HmacSHA256"));
        if (keyLength == 0) {
          // SecretKeySpec refuses an empty key; a one-byte zero key pads to the same block.
          assertArrayEquals(jdk.doFinal(data), Handshake.hmac(new byte[0], data));
        } else {
          assertArrayEquals(jdk.doFinal(data), Handshake.hmac(key, data), keyLength + "/" + dataLength);
        }
      }
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aResponseVerifiesOnlyUnderTheKeyItWasMadeWith() throws Exception {
    byte[] secret = Handshake.newSecret();
    byte[] key = Handshake.childKey(secret, 7);
    Challenge challenge = Handshake.newChallenge();
    ChallengeResponse response = Handshake.respond(challenge, key, 7, 1234);
    assertTrue(Handshake.verify(challenge, response, key));
    assertFalse(Handshake.verify(challenge, response, Handshake.childKey(secret, 8)));
    assertFalse(Handshake.verify(Handshake.newChallenge(), response, key));
  }
}
