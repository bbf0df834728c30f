package io.multiprocessing4j.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.List;

import io.multiprocessing4j.proto.Frame;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class TaskFramesTest {
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aTaskChannelEndAsksForASendBufferLargerThanTheDefault(@TempDir Path dir) throws Exception {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("task.sock"));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(address);
      try (SocketChannel end = SocketChannel.open(address); SocketChannel peer = server.accept()) {
        int before = end.getOption(StandardSocketOptions.SO_SNDBUF);
        TaskFrames.enlargeSendBuffer(new FrameChannel<>(end, Frame.parser(), FrameChannel.DEFAULT_MAX_FRAME_BYTES));
        int after = end.getOption(StandardSocketOptions.SO_SNDBUF);
        // Linux grants at most net.core.wmem_max.
        int granted = Math.min(TaskFrames.SEND_BUFFER_BYTES,
            Integer.parseInt(Files.readString(Path.of("/proc/sys/net/core/wmem_max")).trim()));
        assertTrue(after > before && after >= granted, "send buffer " + before + " -> " + after + ", expected " + granted);
      }
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aChunkThatIsNotAllSimpleValuesTravelsElementByElement() throws Exception {
    Object[] values = {1, null, "two", List.of(3, 4)};
    Payload encoded = TaskFrames.encodeArray(values);
    assertEquals(Payloads.JAVA_ELEMENTS, encoded.getSerializerId());
    Payloads.Elements each = TaskFrames.decodeEach(encoded, getClass().getClassLoader());
    assertArrayEquals(values, each.values());
    assertEquals(null, each.failures(), "nothing failed");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aCountOfElementsBeyondThePayloadIsRefusedBeforeAnythingIsAllocated() throws Exception {
    ByteString.Output bytes = ByteString.newOutput();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeInt(Integer.MAX_VALUE);
    }
    Payload forged = Payload.newBuilder().setSerializerId(Payloads.JAVA_ELEMENTS).setData(bytes.toByteString()).build();
    IOException refused = assertThrows(IOException.class,
        () -> TaskFrames.decodeEach(forged, getClass().getClassLoader()));
    assertTrue(refused.getMessage().contains("claims " + Integer.MAX_VALUE + " elements"), refused.getMessage());
  }
}
