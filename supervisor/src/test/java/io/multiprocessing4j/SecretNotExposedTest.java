package io.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiprocessing4j.internal.ChannelServer;
import io.multiprocessing4j.wire.Handshake;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-context secret (and the child key derived from it) never appears where other local users
 * can read it: not on a running child's command line ({@code /proc/PID/cmdline} is world-readable) and
 * not in its environment. The channel lives in a directory only this user can enter.
 */
@ExtendWith(NoChildJvmLeftBehind.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecretNotExposedTest {
  private final Multiprocessing mp = Multiprocessing.create();

  @TempDir
  Path dir;

  @AfterEach
  void closeContext() {
    mp.close();
  }

  /** The context secret, read reflectively so the library need not expose it even to tests. */
  private static byte[] secretOf(ChannelServer server) throws ReflectiveOperationException {
    Field field = ChannelServer.class.getDeclaredField("secret");
    field.setAccessible(true);
    return ((byte[]) field.get(server)).clone();
  }

  /** The forms a secret could plausibly be written in: raw, hex, Base64. */
  private static List<byte[]> encodings(byte[] secret) {
    List<byte[]> forms = new ArrayList<>();
    forms.add(secret);
    for (String text : List.of(HexFormat.of().formatHex(secret), HexFormat.of().withUpperCase().formatHex(secret),
        Base64.getEncoder().encodeToString(secret), Base64.getUrlEncoder().withoutPadding().encodeToString(secret))) {
      forms.add(text.getBytes(StandardCharsets.US_ASCII));
    }
    return forms;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void secretIsNeitherOnTheCommandLineNorInTheEnvironmentOfARunningChild() throws Exception {
    String release = dir.resolve("release").toString();
    byte[] secret = secretOf(mp.channelServer());
    Process p = mp.process(() -> JoinTimeoutTest.waitForRelease(release));
    p.start();
    try {
      long pid = p.pid().getAsLong();
      byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
      assertTrue(p.isAlive(), "the files were read from the running child");
      // Positive controls: these are the child's real command line and environment.
      assertTrue(contains(cmdline, "io.multiprocessing4j.agent.ChildMain".getBytes(StandardCharsets.US_ASCII)),
          "read the child's command line");
      assertTrue(contains(environ, "PATH=".getBytes(StandardCharsets.US_ASCII)), "read the child's environment");

      // Child keys (what a bootstrap carries on stdin) for the first ids a context hands out: this
      // child's and those of any helper children the supervisor starts alongside it.
      List<byte[]> secrets = encodings(secret);
      for (long id = 1; id <= 8; id++) {
        secrets.addAll(encodings(Handshake.childKey(secret, id)));
      }
      for (byte[] form : secrets) {
        assertFalse(contains(cmdline, form), "secret material on the command line");
        assertFalse(contains(environ, form), "secret material in the environment");
      }
    } finally {
      ChildSide.touch(release);
      p.join();
    }
    assertEquals(OptionalInt.of(0), p.exitCode());
  }

  @Test
  void channelIsASocketInADirectoryOnlyThisUserCanEnter() throws Exception {
    ChannelServer server = mp.channelServer();
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.directory())));
    assertEquals(server.directory(), server.socketPath().getParent());
    assertTrue(Files.exists(server.socketPath()));
    mp.close();
    assertFalse(Files.exists(server.directory()), "closing the context removes the private directory");
  }
}
