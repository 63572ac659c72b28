package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    /** Builds a container by hand: the header JSON as given, then {@code dataBytes} zero bytes. */
    static byte[] container(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return container(json.length, json, dataBytes);
    }

    static byte[] container(long declaredLength, byte[] json, int dataBytes) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(declaredLength).put(json);
        return buffer.array();
    }

    private static String rejection(byte[] file) {
        String message = assertThrows(InvalidModelException.class,
                () -> Safetensors.read(file, "t.safetensors", ReaderLimits.DEFAULTS)).getMessage();
        assertTrue(message.startsWith("t.safetensors: "), message);
        assertFalse(message.contains("\n"), message);
        return message;
    }

    @Test
    void roundTripKeepsTensorsAndMetadata() throws Exception {
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put("u", Safetensors.Entry.ofBytes(new byte[] {1, 2, 3}, 3));
        tensors.put("f", Safetensors.Entry.ofFloats(new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f}, 2, 2));
        tensors.put("i", Safetensors.Entry.ofInts(new int[] {Integer.MIN_VALUE, 7}, 2));
        tensors.put("s", Safetensors.Entry.ofShorts(new short[] {-32768, 32767, 0}, 3, 1));
        tensors.put("scalar", Safetensors.Entry.ofFloats(new float[] {2f}));
        tensors.put("empty", Safetensors.Entry.ofInts(new int[0], 0, 5));
        Map<String, String> metadata = Map.of("key", "value \"quoted\"\n");
        Path path = dir.resolve("t.safetensors");
        Safetensors.write(tensors, metadata, path);

        Safetensors.Container read = Safetensors.read(path, ReaderLimits.DEFAULTS);

        assertEquals(metadata, read.metadata());
        assertEquals(tensors.keySet(), read.tensors().keySet());
        assertArrayEquals(new float[] {1.5f, -0f, Float.MIN_VALUE, 3e38f}, read.tensors().get("f").floats());
        assertArrayEquals(new int[] {2, 2}, read.tensors().get("f").shape());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, 7}, read.tensors().get("i").ints());
        assertArrayEquals(new short[] {-32768, 32767, 0}, read.tensors().get("s").shorts());
        assertArrayEquals(new byte[] {1, 2, 3}, read.tensors().get("u").bytes());
        assertArrayEquals(new int[0], read.tensors().get("scalar").shape());
        assertArrayEquals(new int[] {0, 5}, read.tensors().get("empty").shape());
    }

    @Test
    void writerLayoutMatchesPythonSafetensors() {
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put("b", Safetensors.Entry.ofBytes(new byte[] {9}, 1));
        tensors.put("a", Safetensors.Entry.ofShorts(new short[] {1}, 1));
        tensors.put("c", Safetensors.Entry.ofFloats(new float[] {1f}, 1));
        byte[] file = Safetensors.write(tensors, Map.of("m", "x"));
        long headerLength = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to a multiple of 8");
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"m\":\"x\"},\"c\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[6,7]}}"), header);
        assertTrue(header.endsWith("}") || header.endsWith(" "));
        assertEquals(8 + headerLength + 7, file.length);
    }

    @Test
    void rejectsShortFile() {
        assertTrue(rejection(new byte[5]).contains("too short"));
    }

    @Test
    void rejectsHeaderLengthExtremes() {
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
        assertTrue(rejection(container(-1L, json, 0)).contains("header length 18446744073709551615 exceeds the limit"));
        assertTrue(rejection(container(Long.MIN_VALUE, json, 0)).contains("9223372036854775808"));
        assertTrue(rejection(container(1L << 40, json, 0)).contains("exceeds the limit"));
        assertTrue(rejection(container(3, json, 0)).contains("header length 3 exceeds the 2 bytes"));
        assertTrue(rejection(container(0, json, 0)).contains("too short for a JSON object"));
    }

    @Test
    void headerLimitIsConfigurable() {
        byte[] file = container("{\"__metadata__\": {\"a\": \"" + "x".repeat(100) + "\"}}", 0);
        Safetensors.read(file, "t", ReaderLimits.DEFAULTS);
        ReaderLimits small = ReaderLimits.DEFAULTS.withMaxHeaderBytes(64);
        assertThrows(InvalidModelException.class, () -> Safetensors.read(file, "t", small));
    }

    @Test
    void rejectsUnsupportedDtypes() {
        for (String dtype : List.of("F16", "BF16", "F64", "I8", "I64", "BOOL", "f32")) {
            String header = "{\"x\": {\"dtype\": \"" + dtype + "\", \"shape\": [1], \"data_offsets\": [0, 2]}}";
            assertTrue(rejection(container(header, 2)).contains("dtype \"" + dtype + "\" is not supported"), dtype);
        }
    }

    @Test
    void rejectsRangeThatDiffersFromShape() {
        String header = "{\"x\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}";
        assertTrue(rejection(container(header, 20)).contains("cover 20 bytes but F32 shape [2, 3] needs 24"));
    }

    @Test
    void rejectsShapeOverflow() {
        String header = "{\"x\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647],"
                + " \"data_offsets\": [0, 4]}}";
        assertTrue(rejection(container(header, 4)).contains("overflows a 64-bit size"));
        String large = "{\"x\": {\"dtype\": \"F32\", \"shape\": [1073741824], \"data_offsets\": [0, 4]}}";
        assertTrue(rejection(container(large, 4)).contains("exceed the limit of 1073741824 bytes per tensor"));
    }

    @Test
    void rejectsNegativeOrNonIntegerShape() {
        for (String shape : List.of("[-1]", "[1.0]", "[\"1\"]", "[2147483648]", "3", "[1,1,1,1,1,1,1,1,1]")) {
            String header = "{\"x\": {\"dtype\": \"U8\", \"shape\": " + shape + ", \"data_offsets\": [0, 1]}}";
            assertTrue(rejection(container(header, 1)).contains("shape"), shape);
        }
    }

    @Test
    void rejectsBadOffsets() {
        for (String offsets : List.of("[1, 0]", "[-1, 0]", "[0]", "[0, 1, 2]", "[0, 1.0]", "null")) {
            String header = "{\"x\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": " + offsets + "}}";
            assertTrue(rejection(container(header, 1)).contains("data_offsets"), offsets);
        }
    }

    @Test
    void rejectsGapOverlapAndTrailingBytes() {
        String gap = "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
                + " \"b\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [2, 3]}}";
        assertTrue(rejection(container(gap, 3)).contains("leaves a gap"));
        String overlap = "{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]},"
                + " \"b\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [1, 3]}}";
        assertTrue(rejection(container(overlap, 3)).contains("overlaps the previous tensor"));
        String same = "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
                + " \"b\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}";
        assertTrue(rejection(container(same, 1)).contains("overlaps"));
        String one = "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}";
        assertTrue(rejection(container(one, 2)).contains("cover 1 bytes but the data buffer has 2"));
        assertTrue(rejection(container(one, 0)).contains("cover 1 bytes but the data buffer has 0"));
        String late = "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1000000, 1000001]}}";
        assertTrue(rejection(container(late, 1)).contains("leaves a gap"));
    }

    @Test
    void rejectsBadHeaderJson() {
        assertTrue(rejection(container("[]", 0)).contains("must start with '{'"));
        assertTrue(rejection(container(" {}", 0)).contains("must start with '{'"));
        assertTrue(rejection(container("{}\n", 0)).contains("followed only by spaces"));
        assertTrue(rejection(container("{} x", 0)).contains("followed only by spaces"));
        assertTrue(rejection(container("{}}", 0)).contains("not valid JSON"));
        Safetensors.read(container("{}      ", 0), "t", ReaderLimits.DEFAULTS);
        assertTrue(rejection(container("{\"a\": 1, \"a\": 2}", 0)).contains("duplicate key"));
        assertTrue(rejection(container("{\"__metadata__\": {\"k\": 1}}", 0)).contains("must be a string"));
        assertTrue(rejection(container("{\"__metadata__\": []}", 0)).contains("must be an object"));
        assertTrue(rejection(container("{\"x\": 5}", 0)).contains("must be an object with dtype"));
        assertTrue(rejection(container("{\"x\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [0, 0],"
                + " \"extra\": 1}}", 0)).contains("unknown field \"extra\""));
        String deep = "{\"a\": " + "[".repeat(100) + "]".repeat(100) + "}";
        assertTrue(rejection(container(deep, 0)).contains("nesting deeper than 64"));
        byte[] invalidUtf8 = {'{', '"', (byte) 0xFE, '"', ':', '1', '}', ' '};
        assertTrue(rejection(container(invalidUtf8.length, invalidUtf8, 0)).contains("invalid UTF-8"));
    }

    @Test
    void rejectsTensorCountAboveLimit() {
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < 5; i++) {
            header.append(i > 0 ? "," : "").append("\"t").append(i)
                    .append("\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [0, 0]}");
        }
        byte[] file = container(header.append('}').toString(), 0);
        assertEquals(5, Safetensors.read(file, "t", ReaderLimits.DEFAULTS).tensors().size());
        assertThrows(InvalidModelException.class,
                () -> Safetensors.read(file, "t", ReaderLimits.DEFAULTS.withMaxTensors(4)));
    }

    @Test
    void totalDataLimitIsCheckedBeforeParsing() {
        byte[] file = container("{\"a\": {\"dtype\": \"U8\", \"shape\": [64], \"data_offsets\": [0, 64]}}", 64);
        String message = assertThrows(InvalidModelException.class,
                () -> Safetensors.read(file, "t", ReaderLimits.DEFAULTS.withMaxTotalBytes(63))).getMessage();
        assertTrue(message.contains("maxTotalBytes"), message);
    }

    @Test
    void pathReaderRejectsTruncatedFile() throws Exception {
        byte[] valid = Safetensors.write(Map.of("a", Safetensors.Entry.ofInts(new int[100], 100)), Map.of());
        Path path = dir.resolve("cut.safetensors");
        Files.write(path, java.util.Arrays.copyOf(valid, valid.length - 1));
        String message = assertThrows(InvalidModelException.class,
                () -> Safetensors.read(path, ReaderLimits.DEFAULTS)).getMessage();
        assertTrue(message.startsWith("cut.safetensors: "), message);
        assertTrue(message.contains("the data buffer has 399"), message);
    }
}
