package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files whose declared sizes fit the default limits but not a 64 MiB heap must fail cleanly, not run out of memory. */
class HeapCapIT {

    private static final List<String> SMALL_HEAP = List.of("-Xmx64m");

    @Test
    void hugeHeaderRejectedInSmallHeap(@TempDir Path dir) throws Exception {
        String json = "{\"__metadata__\":{\"format\":\"ratesim\",\"format_version\":\"1\",\"x\":\""
                + "a".repeat(40_000_000) + "\"}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big-header.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
        }

        JarRunner.Result result = JarRunner.run(SMALL_HEAP, 120, "info", file.toString());

        assertEquals(3, result.exitCode(), () -> "stderr: " + result.stderr());
        assertTrue(result.stderr().contains("maxHeaderBytes"), () -> "stderr: " + result.stderr());
    }

    @Test
    void declaredMillionImagesRejectedInSmallHeap(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("bomb-images.gz");
        Path labels = dir.resolve("bomb-labels.gz");
        // Both files declare 1,000,000 entries (784 MB of images) but hold almost nothing: the reader must reject
        // the declared size before it decompresses or allocates.
        writeIdx(images, 0x00000803, new int[] {1_000_000, 28, 28});
        writeIdx(labels, 0x00000801, new int[] {1_000_000});

        JarRunner.Result result = JarRunner.run(SMALL_HEAP, 120, "run", "testdata/fashion_t1_l4.safetensors",
                "--images", images.toString(), "--labels", labels.toString(), "--limit", "2", "--threads", "1");

        assertEquals(4, result.exitCode(), () -> "stderr: " + result.stderr());
        assertTrue(result.stderr().contains("-Xmx"), () -> "stderr names the fix: " + result.stderr());
    }

    private static void writeIdx(Path file, int magic, int[] dims) throws Exception {
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.BIG_ENDIAN).putInt(magic);
        for (int dim : dims) {
            header.putInt(dim);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(header.array());
            out.write(new byte[1024]);
        }
    }
}
