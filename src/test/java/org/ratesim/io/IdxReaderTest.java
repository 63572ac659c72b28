package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ratesim.model.Dataset;
import org.ratesim.model.InputSpec;

class IdxReaderTest {

    @TempDir
    Path dir;

    /** Returns an IDX image file of {@code count} images of 2×3 pixels, pixel j of image i being 10·i + j. */
    static byte[] images(int count) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + count * 6);
        buffer.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(2).putInt(3);
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < 6; j++) {
                buffer.put((byte) (10 * i + j));
            }
        }
        return buffer.array();
    }

    static byte[] labels(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + values.length);
        buffer.putInt(IdxReader.LABELS_MAGIC).putInt(values.length);
        for (int value : values) {
            buffer.put((byte) value);
        }
        return buffer.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path path = dir.resolve(name);
        Files.write(path, bytes);
        return path;
    }

    private Dataset read(byte[] images, byte[] labels) throws IOException {
        return IdxReader.readDataset(file("images", images), file("labels", labels), ReaderLimits.DEFAULTS);
    }

    private String rejection(byte[] images, byte[] labels) {
        String message = assertThrows(InvalidDataException.class, () -> read(images, labels)).getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    @Test
    void readsPlainFiles() throws IOException {
        Dataset dataset = read(images(3), labels(4, 0, 255));
        assertArrayEquals(new int[] {1, 2, 3}, dataset.shape());
        assertArrayEquals(new int[] {4, 0, 255}, dataset.labels());
        assertEquals(3, dataset.size());
        assertEquals(25, dataset.images()[2 * 6 + 5]);
    }

    @Test
    void readsGzipFiles() throws IOException {
        Dataset plain = read(images(4), labels(1, 2, 3, 4));
        Dataset packed = read(gzip(images(4)), gzip(labels(1, 2, 3, 4)));
        assertArrayEquals(plain.images(), packed.images());
        assertArrayEquals(plain.labels(), packed.labels());
    }

    @Test
    void rejectsCountMismatch() {
        String message = rejection(images(3), labels(1, 2));
        assertTrue(message.contains("labels: has 2 labels but images has 3 images"), message);
    }

    @Test
    void rejectsWrongMagicDtypeAndRank() {
        byte[] swapped = images(1);
        assertTrue(rejection(labels(1), swapped).contains("images: IDX magic 0x00000801 is not 0x00000803"));
        byte[] floats = images(1);
        floats[2] = 0x0D;
        assertTrue(rejection(floats, labels(1)).contains("magic 0x00000d03"));
        byte[] rank2 = images(1);
        rank2[3] = 2;
        assertTrue(rejection(rank2, labels(1)).contains("magic 0x00000802"));
        byte[] text = "hello, not an idx file".getBytes();
        assertTrue(rejection(text, labels(1)).startsWith("images: IDX magic"));
    }

    @Test
    void rejectsTruncatedHeaderAndData() {
        assertTrue(rejection(Arrays.copyOf(images(2), 10), labels(1, 2)).contains("ends inside the IDX header"));
        String message = rejection(Arrays.copyOf(images(2), 20), labels(1, 2));
        assertTrue(message.contains("file has 20 bytes but its IDX header declares 28"), message);
        assertTrue(message.contains("truncated"), message);
        byte[] extra = Arrays.copyOf(labels(1, 2), 11);
        assertTrue(rejection(images(2), extra).contains("followed by extra bytes"));
    }

    @Test
    void rejectsTruncatedAndCorruptGzip() throws IOException {
        byte[] packed = gzip(images(50));
        String cut = rejection(Arrays.copyOf(packed, packed.length / 2), labels(new int[50]));
        assertTrue(cut.startsWith("images: "), cut);
        byte[] badCrc = packed.clone();
        badCrc[badCrc.length - 6] ^= 0x55;
        assertTrue(rejection(badCrc, labels(new int[50])).startsWith("images: corrupt or truncated gzip"));
        byte[] noTrailer = Arrays.copyOf(packed, packed.length - 8);
        assertTrue(rejection(noTrailer, labels(new int[50])).startsWith("images: corrupt or truncated gzip"));
        byte[] badDeflate = packed.clone();
        for (int i = 12; i < 20; i++) {
            badDeflate[i] = (byte) 0xFF;
        }
        assertTrue(rejection(badDeflate, labels(new int[50])).startsWith("images: "));
    }

    @Test
    void rejectsGzipWithMoreDataThanDeclared() throws IOException {
        byte[] longer = Arrays.copyOf(images(2), 16 + 12 + 5);
        String message = rejection(gzip(longer), labels(1, 2));
        assertTrue(message.contains("extra bytes after the 12 data bytes"), message);
    }

    @Test
    void rejectsDeclaredSizeAboveLimitBeforeAllocating() throws IOException {
        ByteBuffer huge = ByteBuffer.allocate(16);
        huge.putInt(IdxReader.IMAGES_MAGIC).putInt(0x7FFFFFFF).putInt(0x7FFFFFFF).putInt(0x7FFFFFFF);
        String message = rejection(gzip(huge.array()), labels(1));
        assertTrue(message.contains("exceed the limit of 1073741824 bytes"), message);
        ByteBuffer negative = ByteBuffer.allocate(16);
        negative.putInt(IdxReader.IMAGES_MAGIC).putInt(1).putInt(-1).putInt(1);
        assertTrue(rejection(negative.array(), labels(1)).contains("dimension 1 = 4294967295"));
        Path images = file("images", images(4));
        Path labels = file("labels", labels(1, 2, 3, 4));
        ReaderLimits small = ReaderLimits.DEFAULTS.withMaxDatasetBytes(23);
        assertThrows(InvalidDataException.class, () -> IdxReader.readDataset(images, labels, small));
    }

    @Test
    void truncatedGzipDoesNotAllocateDeclaredSize() throws IOException {
        // 10^9 declared bytes fit the default limit but not the 512 MiB test heap, so an up-front allocation fails.
        ByteBuffer header = ByteBuffer.allocate(16 + 10);
        header.putInt(IdxReader.IMAGES_MAGIC).putInt(1000).putInt(1000).putInt(1000);
        String message = rejection(gzip(header.array()), labels(new int[1000]));
        assertTrue(message.contains("data is truncated: 10 of 1000000000 bytes present"), message);
    }

    @Test
    void gzipBombStopsAtDeclaredSize() throws IOException {
        byte[] bomb = Arrays.copyOf(images(1), 16 + 6 + (8 << 20));
        String message = rejection(gzip(bomb), labels(1));
        assertTrue(message.contains("extra bytes"), message);
    }

    @Test
    void checkFitsComparesShapeAndClasses() throws IOException {
        Dataset dataset = read(images(2), labels(0, 9));
        IdxReader.checkFits(dataset, InputSpec.ofBytes("x", new int[] {1, 2, 3}, 10), "images");
        String shape = assertThrows(InvalidDataException.class, () -> IdxReader.checkFits(dataset,
                InputSpec.ofBytes("x", new int[] {1, 28, 28}, 10), "t10k-images")).getMessage();
        assertTrue(shape.startsWith("t10k-images: images have shape [1, 2, 3] but the model input is [1, 28, 28]"),
                shape);
        String channels = assertThrows(InvalidDataException.class, () -> IdxReader.checkFits(dataset,
                InputSpec.ofBytes("x", new int[] {3, 2, 3}, 10), "images")).getMessage();
        assertTrue(channels.contains("[3, 2, 3]"), channels);
        String classes = assertThrows(InvalidDataException.class, () -> IdxReader.checkFits(dataset,
                InputSpec.ofBytes("x", new int[] {1, 2, 3}, 9), "images")).getMessage();
        assertTrue(classes.contains("label 9 of image 1 is outside the model's classes 0..8"), classes);
    }

    @Test
    void checkFitsNamesLabelFile() throws IOException {
        Dataset dataset = read(images(2), labels(0, 9));
        String classes = assertThrows(InvalidDataException.class, () -> IdxReader.checkFits(dataset,
                InputSpec.ofBytes("x", new int[] {1, 2, 3}, 9), "t10k-images", "t10k-labels")).getMessage();
        assertTrue(classes.startsWith("t10k-labels: label 9 of image 1 is outside the model's classes 0..8"), classes);
        String shape = assertThrows(InvalidDataException.class, () -> IdxReader.checkFits(dataset,
                InputSpec.ofBytes("x", new int[] {1, 2, 4}, 10), "t10k-images", "t10k-labels")).getMessage();
        assertTrue(shape.startsWith("t10k-images: images have shape [1, 2, 3]"), shape);
    }
}
