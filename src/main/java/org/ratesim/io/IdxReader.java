package org.ratesim.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.ratesim.model.Dataset;
import org.ratesim.model.InputSpec;

/**
 * Reads IDX image and label files (the MNIST distribution format), plain or gzip-compressed.
 *
 * <p>An IDX file is a big-endian header (two zero bytes, the dtype byte, the rank byte, then one 32-bit size per
 * dimension) followed by the data. ratesim reads unsigned bytes (dtype 0x08) only: images of rank 3 [N, H, W]
 * (magic 0x00000803) and labels of rank 1 [N] (magic 0x00000801). Gzip is detected by its magic bytes 1f 8b.
 *
 * <p>The declared data size is checked against {@link ReaderLimits#maxDatasetBytes()} and, for a plain file, against
 * the file size before anything is allocated. A gzip stream is read in growing chunks, so a stream that declares
 * more than it contains allocates no more than twice what it decompressed. Missing or extra data, a bad gzip
 * stream and a corrupt gzip trailer are {@link InvalidDataException}s naming the file.
 */
public final class IdxReader {

    /** Magic number of an unsigned-byte rank-3 image file. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte rank-1 label file. */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int CHUNK_BYTES = 1 << 16;

    /**
     * Decoded IDX data.
     *
     * @param dims the dimensions from the header
     * @param data the unsigned bytes, row-major
     */
    private record Idx(int[] dims, byte[] data) {
    }

    private IdxReader() {
    }

    /**
     * Reads an image file and its label file into a dataset of shape {@code [1, H, W]}.
     *
     * @throws IOException          when a file cannot be opened
     * @throws InvalidDataException when a file is corrupt, exceeds a limit, or the counts differ
     */
    public static Dataset readDataset(Path images, Path labels, ReaderLimits limits) throws IOException {
        Idx imageIdx = read(images, 3, limits);
        Idx labelIdx = read(labels, 1, limits);
        int count = imageIdx.dims[0];
        if (labelIdx.dims[0] != count) {
            throw new InvalidDataException(labels.getFileName() + ": has " + labelIdx.dims[0] + " labels but "
                    + images.getFileName() + " has " + count + " images; use the label file of the same split");
        }
        int[] labelValues = new int[count];
        for (int i = 0; i < count; i++) {
            labelValues[i] = labelIdx.data[i] & 0xFF;
        }
        return new Dataset(imageIdx.data, labelValues, new int[] {1, imageIdx.dims[1], imageIdx.dims[2]});
    }

    /** Reads an IDX image file, returning {@code [N, H, W]} and the pixel bytes. */
    public static byte[] readImages(Path file, int[] dimsOut, ReaderLimits limits) throws IOException {
        Idx idx = read(file, 3, limits);
        System.arraycopy(idx.dims, 0, dimsOut, 0, 3);
        return idx.data;
    }

    /** Reads an IDX label file. */
    public static int[] readLabels(Path file, ReaderLimits limits) throws IOException {
        Idx idx = read(file, 1, limits);
        int[] labels = new int[idx.data.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = idx.data[i] & 0xFF;
        }
        return labels;
    }

    /**
     * Checks that a dataset fits a model input: the same {@code [C, H, W]} and every label below the class count.
     *
     * @param imagesName the image file's name for the message
     * @throws InvalidDataException naming the file and the mismatch
     */
    public static void checkFits(Dataset dataset, InputSpec input, String imagesName) {
        checkFits(dataset, input, imagesName, imagesName);
    }

    /**
     * Checks that a dataset fits a model input, like {@link #checkFits(Dataset, InputSpec, String)}, naming the image
     * file in a shape error and the label file in a label error.
     */
    public static void checkFits(Dataset dataset, InputSpec input, String imagesName, String labelsName) {
        int[] shape = dataset.shape();
        if (!Arrays.equals(shape, input.shape())) {
            throw new InvalidDataException(imagesName + ": images have shape " + Arrays.toString(shape)
                    + " but the model input is " + Arrays.toString(input.shape()) + "; use a dataset made for this"
                    + " model");
        }
        int[] labels = dataset.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= input.classes()) {
                throw new InvalidDataException(labelsName + ": label " + labels[i] + " of image " + i
                        + " is outside the model's classes 0.." + (input.classes() - 1)
                        + "; use the label file made for this model");
            }
        }
    }

    private static Idx read(Path file, int rank, ReaderLimits limits) throws IOException {
        String name = String.valueOf(file.getFileName());
        long fileSize = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            if (gzip) {
                try (InputStream in = new GZIPInputStream(raw, CHUNK_BYTES)) {
                    return read(in, name, rank, limits, -1);
                } catch (ZipException | EOFException e) {
                    throw new InvalidDataException(name + ": corrupt or truncated gzip stream (" + e.getMessage()
                            + "); download the file again", e);
                }
            }
            return read(raw, name, rank, limits, fileSize);
        }
    }

    /** Reads one IDX stream; {@code plainSize} is the file size of an uncompressed file, or −1 for gzip. */
    private static Idx read(InputStream in, String name, int rank, ReaderLimits limits, long plainSize)
            throws IOException {
        int expectedMagic = rank == 3 ? IMAGES_MAGIC : LABELS_MAGIC;
        String kind = rank == 3 ? "image" : "label";
        byte[] header = new byte[4 + 4 * rank];
        // The magic is checked before the sizes, so a file of the wrong kind gets the clearer message.
        int magicBytes = readFully(in, header, 0, 4);
        int magic = readInt(header, 0);
        if (magicBytes == 4 && magic != expectedMagic) {
            throw new InvalidDataException(name + ": IDX magic " + String.format("0x%08x", magic) + " is not "
                    + String.format("0x%08x", expectedMagic) + " (unsigned bytes, rank " + rank + "); expected an IDX "
                    + kind + " file");
        }
        if (magicBytes < 4 || readFully(in, header, 4, header.length - 4) < header.length - 4) {
            throw new InvalidDataException(name + ": file ends inside the IDX header; it is truncated or not an IDX "
                    + kind + " file");
        }
        int[] dims = new int[rank];
        long bytes = 1;
        for (int i = 0; i < rank; i++) {
            long dim = readInt(header, 4 + 4 * i) & 0xFFFFFFFFL;
            if (dim > Integer.MAX_VALUE || (i > 0 && dim == 0)) {
                throw new InvalidDataException(name + ": IDX dimension " + i + " = " + dim + " is outside 1.."
                        + Integer.MAX_VALUE);
            }
            dims[i] = (int) dim;
            bytes *= dim; // each factor is below 2^31 and the running product is capped below 2^31 next
            if (bytes > limits.maxDatasetBytes()) {
                throw new InvalidDataException(name + ": IDX sizes " + describeDims(header, rank) + " exceed the "
                        + "limit of " + limits.maxDatasetBytes() + " bytes (ReaderLimits.maxDatasetBytes; the command line "
                        + "allows half the JVM heap, so raise it with -Xmx if the file is genuine)");
            }
        }
        if (plainSize >= 0 && plainSize != header.length + bytes) {
            String problem = plainSize < header.length + bytes ? "truncated" : "followed by extra bytes";
            throw new InvalidDataException(name + ": file has " + plainSize + " bytes but its IDX header declares "
                    + (header.length + bytes) + "; the data is " + problem);
        }
        byte[] data = readExactly(in, (int) bytes, name);
        if (in.read() != -1) {
            throw new InvalidDataException(name + ": extra bytes after the " + bytes + " data bytes its IDX header"
                    + " declares");
        }
        return new Idx(dims, data);
    }

    /**
     * Reads {@code count} bytes into a buffer that grows with the data, so a false header cannot force a large
     * allocation.
     */
    private static byte[] readExactly(InputStream in, int count, String name) throws IOException {
        byte[] buffer = new byte[Math.min(count, CHUNK_BYTES)];
        int filled = 0;
        while (filled < count) {
            if (filled == buffer.length) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(count, 2L * buffer.length));
            }
            int read = in.read(buffer, filled, buffer.length - filled);
            if (read < 0) {
                throw new InvalidDataException(name + ": data is truncated: " + filled + " of " + count
                        + " bytes present");
            }
            filled += read;
        }
        return buffer;
    }

    /** Reads up to {@code length} bytes into {@code target} at {@code offset}; returns how many were read. */
    private static int readFully(InputStream in, byte[] target, int offset, int length) throws IOException {
        int filled = 0;
        while (filled < length) {
            int read = in.read(target, offset + filled, length - filled);
            if (read < 0) {
                break;
            }
            filled += read;
        }
        return filled;
    }

    private static int readInt(byte[] bytes, int offset) {
        return ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16) | ((bytes[offset + 2] & 0xFF) << 8)
                | (bytes[offset + 3] & 0xFF);
    }

    private static String describeDims(byte[] header, int rank) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < rank; i++) {
            text.append(i > 0 ? ", " : "").append(readInt(header, 4 + 4 * i) & 0xFFFFFFFFL);
        }
        return text.append(']').toString();
    }
}
