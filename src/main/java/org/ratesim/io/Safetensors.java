package org.ratesim.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader and writer of the safetensors container: an 8-byte little-endian header length N, a JSON header of N
 * bytes, then the tensor data buffer.
 *
 * <p>The reader validates the whole header before it allocates any tensor: N against the file size and
 * {@link ReaderLimits#maxHeaderBytes()}, each dtype against the whitelist, each shape × dtype size (computed with
 * overflow checks) against its byte range, and the ranges against the buffer (contiguous from 0 to the buffer's
 * end, no gaps, no overlaps). So it never allocates more than the file's size or the limits. Errors are
 * {@link InvalidModelException}s whose message starts with the file name.
 */
public final class Safetensors {

    /** The header key of the string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Maximum tensor rank accepted; ratesim's tensors have rank 4 or less. */
    public static final int MAX_RANK = 8;

    /** Tensor element types ratesim reads and writes; every other safetensors dtype is rejected. */
    public enum DType {
        F32(4), I32(4), I16(2), U8(1);

        private final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** Returns the size of one element in bytes. */
        public int bytes() {
            return bytes;
        }

        /** Returns the dtype named {@code id} in a header, or null when ratesim does not support it. */
        public static DType fromId(String id) {
            for (DType type : values()) {
                if (type.name().equals(id)) {
                    return type;
                }
            }
            return null;
        }
    }

    /**
     * One tensor: its element type, shape and little-endian row-major bytes.
     *
     * @param dtype element type
     * @param shape dimensions; {@code []} is a scalar
     * @param data  the raw bytes, shape product × dtype size long
     */
    public record Entry(DType dtype, int[] shape, byte[] data) {

        public Entry {
            shape = shape.clone();
            long expected = (long) elementCount(shape) * dtype.bytes();
            if (data.length != expected) {
                throw new IllegalArgumentException("tensor data of " + data.length + " bytes does not match "
                        + dtype + " shape " + Arrays.toString(shape) + " (" + expected + " bytes)");
            }
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Creates an F32 entry from floats. */
        public static Entry ofFloats(float[] values, int... shape) {
            ByteBuffer buffer = littleEndian(values.length * 4);
            buffer.asFloatBuffer().put(values);
            return new Entry(DType.F32, shape, buffer.array());
        }

        /** Creates an I32 entry from ints. */
        public static Entry ofInts(int[] values, int... shape) {
            ByteBuffer buffer = littleEndian(values.length * 4);
            buffer.asIntBuffer().put(values);
            return new Entry(DType.I32, shape, buffer.array());
        }

        /** Creates an I16 entry from shorts. */
        public static Entry ofShorts(short[] values, int... shape) {
            ByteBuffer buffer = littleEndian(values.length * 2);
            buffer.asShortBuffer().put(values);
            return new Entry(DType.I16, shape, buffer.array());
        }

        /** Creates a U8 entry from bytes, copying them. */
        public static Entry ofBytes(byte[] values, int... shape) {
            return new Entry(DType.U8, shape, values.clone());
        }

        /** Returns the F32 elements. */
        public float[] floats() {
            requireType(DType.F32);
            float[] values = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return values;
        }

        /** Returns the I32 elements. */
        public int[] ints() {
            requireType(DType.I32);
            int[] values = new int[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values);
            return values;
        }

        /** Returns the I16 elements. */
        public short[] shorts() {
            requireType(DType.I16);
            short[] values = new short[data.length / 2];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(values);
            return values;
        }

        /** Returns a copy of the U8 bytes. */
        public byte[] bytes() {
            requireType(DType.U8);
            return data.clone();
        }

        private void requireType(DType expected) {
            if (dtype != expected) {
                throw new IllegalStateException("tensor is " + dtype + ", not " + expected);
            }
        }

        private static ByteBuffer littleEndian(int bytes) {
            return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * A parsed container.
     *
     * @param tensors  tensors by name, in the order of their byte ranges
     * @param metadata the {@code __metadata__} map (empty when absent)
     */
    public record Container(Map<String, Entry> tensors, Map<String, String> metadata) {

        public Container {
            tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /** Validated position of one tensor in the data buffer. */
    private record Slot(String name, DType dtype, int[] shape, long begin, long end) {
    }

    /** Random-access bytes of a file or an array. */
    private interface Source {
        long size();

        void read(long position, byte[] target) throws IOException;
    }

    private Safetensors() {
    }

    /** Returns the product of a shape's dimensions, which the caller has checked to fit an int. */
    static int elementCount(int[] shape) {
        long count = 1;
        for (int dim : shape) {
            count = Math.multiplyExact(count, (long) dim);
        }
        return Math.toIntExact(count);
    }

    /**
     * Reads a container from a file, never reading past its size or allocating beyond {@code limits}.
     *
     * @throws IOException           when the file cannot be opened or read
     * @throws InvalidModelException when the container is invalid or exceeds a limit
     */
    public static Container read(Path file, ReaderLimits limits) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            Source source = new Source() {
                @Override
                public long size() {
                    return size;
                }

                @Override
                public void read(long position, byte[] target) throws IOException {
                    ByteBuffer buffer = ByteBuffer.wrap(target);
                    while (buffer.hasRemaining()) {
                        int count = channel.read(buffer, position + buffer.position());
                        if (count < 0) {
                            throw new InvalidModelException(file.getFileName() + ": file shrank while reading, at "
                                    + (position + buffer.position()) + " of " + size + " bytes");
                        }
                    }
                }
            };
            return read(source, String.valueOf(file.getFileName()), limits);
        }
    }

    /** Reads a container from bytes; {@code name} labels error messages. */
    public static Container read(byte[] bytes, String name, ReaderLimits limits) {
        Source source = new Source() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void read(long position, byte[] target) {
                System.arraycopy(bytes, (int) position, target, 0, target.length);
            }
        };
        try {
            return read(source, name, limits);
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array cannot fail", e);
        }
    }

    private static Container read(Source source, String name, ReaderLimits limits) throws IOException {
        long size = source.size();
        if (size < 8) {
            throw new InvalidModelException(name + ": file of " + size
                    + " bytes is too short for a safetensors header length (8 bytes)");
        }
        byte[] lengthBytes = new byte[8];
        source.read(0, lengthBytes);
        long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        // The length is unsigned: a negative long is a value of 2^63 or more.
        if (headerLength < 0 || headerLength > limits.maxHeaderBytes()) {
            throw new InvalidModelException(name + ": header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + limits.maxHeaderBytes() + " bytes (ReaderLimits.maxHeaderBytes)");
        }
        if (headerLength > size - 8) {
            throw new InvalidModelException(name + ": header length " + headerLength + " exceeds the "
                    + (size - 8) + " bytes after the length field; the file is truncated or not safetensors");
        }
        if (headerLength < 2) {
            throw new InvalidModelException(name + ": header length " + headerLength
                    + " is too short for a JSON object");
        }
        byte[] headerBytes = new byte[(int) headerLength];
        source.read(8, headerBytes);
        long dataLength = size - 8 - headerLength;
        if (dataLength > limits.maxTotalBytes()) {
            throw new InvalidModelException(name + ": tensor data of " + dataLength + " bytes exceeds the limit of "
                    + limits.maxTotalBytes() + " bytes (ReaderLimits.maxTotalBytes)");
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Slot> slots = parseHeader(headerBytes, name, limits, metadata);
        checkRanges(slots, dataLength, name);

        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (Slot slot : slots) {
            byte[] data = new byte[(int) (slot.end - slot.begin)];
            source.read(8 + headerLength + slot.begin, data);
            tensors.put(slot.name, new Entry(slot.dtype, slot.shape, data));
        }
        return new Container(tensors, metadata);
    }

    private static List<Slot> parseHeader(byte[] headerBytes, String name, ReaderLimits limits,
                                          Map<String, String> metadata) {
        // The header is one JSON object that may be padded with trailing spaces (0x20) and nothing else.
        int last = headerBytes.length - 1;
        while (last > 0 && headerBytes[last] == ' ') {
            last--;
        }
        if (headerBytes[0] != '{' || headerBytes[last] != '}') {
            throw new InvalidModelException(name + ": header must start with '{' and end with '}' followed only by"
                    + " spaces; the file is not safetensors or its header length is wrong");
        }
        Object root;
        try {
            root = Json.parse(headerBytes, limits.jsonLimits(headerBytes.length));
        } catch (Json.JsonException e) {
            throw new InvalidModelException(name + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map)) {
            throw new InvalidModelException(name + ": header must be a JSON object");
        }
        Map<?, ?> header = (Map<?, ?>) root;
        if (header.size() - (header.containsKey(METADATA_KEY) ? 1 : 0) > limits.maxTensors()) {
            throw new InvalidModelException(name + ": header lists more than " + limits.maxTensors()
                    + " tensors (ReaderLimits.maxTensors)");
        }
        List<Slot> slots = new ArrayList<>();
        for (Map.Entry<?, ?> member : header.entrySet()) {
            String key = (String) member.getKey();
            if (key.equals(METADATA_KEY)) {
                parseMetadata(member.getValue(), name, metadata);
            } else {
                slots.add(parseSlot(key, member.getValue(), name, limits));
            }
        }
        return slots;
    }

    private static void parseMetadata(Object value, String name, Map<String, String> metadata) {
        if (!(value instanceof Map)) {
            throw new InvalidModelException(name + ": header " + METADATA_KEY + " must be an object");
        }
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            if (!(entry.getValue() instanceof String)) {
                throw new InvalidModelException(name + ": header " + METADATA_KEY + "." + entry.getKey()
                        + " must be a string (safetensors metadata maps strings to strings)");
            }
            metadata.put((String) entry.getKey(), (String) entry.getValue());
        }
    }

    private static Slot parseSlot(String tensor, Object value, String name, ReaderLimits limits) {
        String where = name + ": tensor \"" + Json.abbreviate(tensor) + "\"";
        if (!(value instanceof Map)) {
            throw new InvalidModelException(where + " must be an object with dtype, shape and data_offsets");
        }
        Map<?, ?> info = (Map<?, ?>) value;
        for (Object key : info.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new InvalidModelException(where + ": unknown field \"" + Json.abbreviate((String) key)
                        + "\"; allowed are dtype, shape, data_offsets");
            }
        }
        Object dtypeValue = info.get("dtype");
        DType dtype = dtypeValue instanceof String ? DType.fromId((String) dtypeValue) : null;
        if (dtype == null) {
            throw new InvalidModelException(where + ": dtype " + describe(dtypeValue)
                    + " is not supported; expected F32, I32, I16 or U8");
        }

        Object shapeValue = info.get("shape");
        if (!(shapeValue instanceof List) || ((List<?>) shapeValue).size() > MAX_RANK) {
            throw new InvalidModelException(where + ": shape must be a list of at most " + MAX_RANK
                    + " non-negative integers, got " + describe(shapeValue));
        }
        List<?> shapeList = (List<?>) shapeValue;
        int[] shape = new int[shapeList.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            Object dim = shapeList.get(i);
            if (!(dim instanceof Long) || (Long) dim < 0 || (Long) dim > Integer.MAX_VALUE) {
                throw new InvalidModelException(where + ": shape[" + i + "] = " + describe(dim)
                        + " is not an integer in 0.." + Integer.MAX_VALUE);
            }
            shape[i] = (int) (long) (Long) dim;
            try {
                elements = Math.multiplyExact(elements, (long) shape[i]);
            } catch (ArithmeticException e) {
                throw new InvalidModelException(where + ": shape " + shapeList + " overflows a 64-bit size");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elements, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new InvalidModelException(where + ": shape " + shapeList + " of " + dtype
                    + " overflows a 64-bit size");
        }
        if (bytes > limits.maxTensorBytes()) {
            throw new InvalidModelException(where + ": " + bytes + " bytes exceed the limit of "
                    + limits.maxTensorBytes() + " bytes per tensor (ReaderLimits.maxTensorBytes)");
        }

        Object offsetsValue = info.get("data_offsets");
        if (!(offsetsValue instanceof List) || ((List<?>) offsetsValue).size() != 2
                || !(((List<?>) offsetsValue).get(0) instanceof Long)
                || !(((List<?>) offsetsValue).get(1) instanceof Long)) {
            throw new InvalidModelException(where + ": data_offsets must be two integers [begin, end], got "
                    + describe(offsetsValue));
        }
        long begin = (Long) ((List<?>) offsetsValue).get(0);
        long end = (Long) ((List<?>) offsetsValue).get(1);
        if (begin < 0 || end < begin) {
            throw new InvalidModelException(where + ": data_offsets [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end");
        }
        if (end - begin != bytes) {
            throw new InvalidModelException(where + ": data_offsets [" + begin + ", " + end + "] cover "
                    + (end - begin) + " bytes but " + dtype + " shape " + shapeList + " needs " + bytes);
        }
        return new Slot(tensor, dtype, shape, begin, end);
    }

    private static void checkRanges(List<Slot> slots, long dataLength, String name) {
        slots.sort(Comparator.comparingLong((Slot slot) -> slot.begin).thenComparingLong(slot -> slot.end));
        long expectedBegin = 0;
        for (Slot slot : slots) {
            if (slot.begin != expectedBegin) {
                String problem = slot.begin < expectedBegin ? "overlaps the previous tensor" : "leaves a gap";
                throw new InvalidModelException(name + ": tensor \"" + Json.abbreviate(slot.name) + "\" starts at "
                        + slot.begin + " but the previous tensor ends at " + expectedBegin + ", so it " + problem
                        + "; byte ranges must be contiguous");
            }
            expectedBegin = slot.end;
        }
        if (expectedBegin != dataLength) {
            throw new InvalidModelException(name + ": tensors cover " + expectedBegin + " bytes but the data buffer"
                    + " has " + dataLength + "; the file is truncated or has trailing bytes");
        }
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null (missing)";
        }
        return Json.preview(value);
    }

    /**
     * Encodes a container as Python's safetensors writes it: the header JSON (metadata first) padded with spaces
     * to a multiple of 8 bytes, then the tensors. Tensors are ordered by decreasing element size and then by name,
     * so every tensor starts aligned to its element size.
     */
    public static byte[] write(Map<String, Entry> tensors, Map<String, String> metadata) {
        List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(Comparator.comparingInt((String tensor) -> -tensors.get(tensor).dtype().bytes())
                .thenComparing(Comparator.naturalOrder()));

        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (String tensor : names) {
            if (tensor.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name " + METADATA_KEY + " is reserved for metadata");
            }
            Entry entry = tensors.get(tensor);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", entry.dtype().name());
            List<Object> shape = new ArrayList<>();
            for (int dim : entry.shape()) {
                shape.add((long) dim);
            }
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + entry.data().length));
            offset += entry.data().length;
            header.put(tensor, info);
        }

        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        long total = 8L + padded + offset;
        if (total > ReaderLimits.MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException("container of " + total + " bytes is too large for one byte array");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (String tensor : names) {
            out.put(tensors.get(tensor).data());
        }
        return out.array();
    }

    /** Writes a container to a file, replacing it. */
    public static void write(Map<String, Entry> tensors, Map<String, String> metadata, Path file)
            throws IOException {
        Files.write(file, write(tensors, metadata));
    }
}
