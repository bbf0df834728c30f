package io.multiprocessing4j.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.multiprocessing4j.proto.Payload;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class CompactArraysTest {
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void everySimpleTypeComesBackEqualAndOfItsOwnClass() throws IOException {
    Object[] values = {null, true, false, 0, 1, -1, 127, 128, Integer.MAX_VALUE, Integer.MIN_VALUE, 0L, -1L,
        Long.MAX_VALUE, Long.MIN_VALUE, 1.5, -0.0, Double.NaN, Double.MAX_VALUE, 2.5f, Float.MIN_VALUE, "",
        "h\u00e9llo \u20ac\ud834\udd1e", (short) -5, Short.MIN_VALUE, (byte) -128, (byte) 127, 'a', '\uffff',
        new byte[0], new byte[] {1, -2, 3}};
    Object[] back = CompactArrays.decode(CompactArrays.encode(values));
    assertEquals(values.length, back.length);
    for (int i = 0; i < values.length; i++) {
      if (values[i] instanceof byte[] bytes) {
        assertArrayEquals(bytes, (byte[]) back[i]);
      } else {
        assertEquals(values[i], back[i], "element " + i);
      }
      assertEquals(values[i] == null ? null : values[i].getClass(), back[i] == null ? null : back[i].getClass());
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void integersOfEveryMagnitudeRoundTrip() throws IOException {
    Random random = new Random(42);
    Object[] values = new Object[20_000];
    for (int i = 0; i < values.length; i += 2) {
      long wide = random.nextLong() >> random.nextInt(64);
      values[i] = wide;
      values[i + 1] = (int) wide;
    }
    assertArrayEquals(values, CompactArrays.decode(CompactArrays.encode(values)));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void otherTypesAndUnpairedSurrogatesAreLeftToJavaSerialization() {
    assertNull(CompactArrays.encode(new Object[] {1, new StringBuilder("x")}));
    assertNull(CompactArrays.encode(new Object[] {"\ud800"}), "an unpaired surrogate would become '?' in UTF-8");
    assertNull(CompactArrays.encode(new Object[] {"a\udc00b"}));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aTruncatedPayloadFailsWithAnIOException() throws IOException {
    Payload whole = CompactArrays.encode(new Object[] {"abc", 300, 2.0});
    Payload cut = whole.toBuilder().setData(whole.getData().substring(0, whole.getData().size() - 3)).build();
    IOException error = assertThrows(IOException.class, () -> CompactArrays.decode(cut));
    assertEquals(true, error.getMessage().contains("compact array"), error.getMessage());
    assertArrayEquals(new Object[] {"abc", 300, 2.0}, CompactArrays.decode(whole));
  }
}
