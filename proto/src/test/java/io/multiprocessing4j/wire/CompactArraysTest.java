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
  void arraysOfOnlyIntegersOrOnlyLongsRoundTripInTheUntaggedForm() throws IOException {
    Random random = new Random(7);
    Object[] ints = new Object[5_000];
    Object[] longs = new Object[5_000];
    for (int i = 0; i < ints.length; i++) {
      long wide = random.nextLong() >> random.nextInt(64);
      ints[i] = (int) wide;
      longs[i] = wide;
    }
    ints[0] = Integer.MIN_VALUE;
    ints[1] = Integer.MAX_VALUE;
    longs[0] = Long.MIN_VALUE;
    longs[1] = Long.MAX_VALUE;
    Payload intPayload = CompactArrays.encode(ints);
    assertEquals(2 + 1 + 4 * ints.length, intPayload.getData().size(),
        "a two-byte count, one tag for the whole array, then 4 bytes per element");
    assertArrayEquals(ints, CompactArrays.decode(intPayload));
    Payload taggedPayload = CompactArrays.encode(withString(longs));
    assertEquals(true, CompactArrays.encode(longs).getData().size() < taggedPayload.getData().size() - longs.length + 10,
        "one tag for the whole array of longs, not one per element");
    assertArrayEquals(longs, CompactArrays.decode(CompactArrays.encode(longs)));
    for (Object back : CompactArrays.decode(CompactArrays.encode(longs))) {
      assertEquals(Long.class, back.getClass());
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aMixOfIntegersLongsAndNullsKeepsEveryElementsType() throws IOException {
    Object[][] mixes = {{1, 2L}, {1L, 2}, {1, null}, {null, 1}, {3L, null, 4L}, {1, "x"}, {}, {5}, {5L}};
    for (Object[] mix : mixes) {
      Object[] back = CompactArrays.decode(CompactArrays.encode(mix));
      assertArrayEquals(mix, back);
      for (int i = 0; i < mix.length; i++) {
        assertEquals(mix[i] == null ? null : mix[i].getClass(), back[i] == null ? null : back[i].getClass());
      }
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aTruncatedUntaggedArrayFailsWithAnIOException() {
    Payload whole = CompactArrays.encode(new Object[] {300, 70_000, 5});
    Payload cut = whole.toBuilder().setData(whole.getData().substring(0, whole.getData().size() - 2)).build();
    IOException error = assertThrows(IOException.class, () -> CompactArrays.decode(cut));
    assertEquals(true, error.getMessage().contains("compact array"), error.getMessage());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void anUntaggedIntArrayWithBytesLeftOverFailsWithAnIOException() {
    Payload whole = CompactArrays.encode(new Object[] {300, 70_000, 5});
    Payload longer = whole.toBuilder().setData(whole.getData().concat(com.google.protobuf.ByteString.copyFrom(
        new byte[] {0, 0, 0, 0}))).build();
    IOException error = assertThrows(IOException.class, () -> CompactArrays.decode(longer));
    assertEquals(true, error.getMessage().contains("compact array"), error.getMessage());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aPayloadWhoseBytesAreAViewIntoALargerArrayDecodes() throws IOException {
    for (Object[] values : new Object[][] {{1, 300, -70_000}, {"abc", 2L, new byte[] {9, 8}}}) {
      byte[] data = CompactArrays.encode(values).getData().toByteArray();
      byte[] larger = new byte[data.length + 5];
      java.util.Arrays.fill(larger, (byte) 0x7F);
      System.arraycopy(data, 0, larger, 3, data.length);
      Payload view = Payload.newBuilder().setSerializerId(CompactArrays.SERIALIZER_ID)
          .setData(com.google.protobuf.ByteString.copyFrom(larger).substring(3, 3 + data.length)).build();
      Object[] back = CompactArrays.decode(view);
      assertEquals(values.length, back.length);
      for (int i = 0; i < values.length; i++) {
        if (values[i] instanceof byte[] bytes) {
          assertArrayEquals(bytes, (byte[]) back[i]);
        } else {
          assertEquals(values[i], back[i]);
        }
      }
    }
  }

  private static Object[] withString(Object[] values) {
    Object[] mixed = values.clone();
    mixed[mixed.length - 1] = "x";
    return mixed;
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
