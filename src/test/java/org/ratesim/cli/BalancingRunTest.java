package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Dataset;
import org.ratesim.model.Model;
import org.ratesim.testmodels.ModelBuilder;

class BalancingRunTest {

    @TempDir
    Path dir;

    /** One 2×2 pixel image per class: class c is bright in pixel c. */
    private static final byte[] IMAGES = {(byte) 200, 0, 0, 0, 0, (byte) 200, 0, 0};
    private static final int[] LABELS = {0, 1};

    /** Writes a ReLU network whose logits copy the first two pixels, with the two images embedded as samples. */
    private Path reluModel() throws IOException {
        Model model = new ModelBuilder(1, 2, 2, 2)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 0, 0, 0, 0, 1, 0, 0}, 2, 4, null)
                .relu("fc_relu")
                .linear("out", new float[] {1, 0, 0, 1}, 2, 2, null)
                .build();
        Model withSamples = new Model(model.graph(), model.params(), new Dataset(IMAGES, LABELS, new int[] {1, 2, 2}));
        Path file = dir.resolve("relu.safetensors");
        ModelWriter.write(ModelFile.of(withSamples), file);
        return file;
    }

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path idx(String name, int magic, int[] dims, byte[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        buffer.put(data);
        Path file = dir.resolve(name);
        Files.write(file, buffer.array());
        return file;
    }

    @Test
    void runWithMethodReportsNoExactness() throws IOException {
        Outcome outcome = run("run", reluModel().toString(), "--method", "p99.9", "--timesteps", "32", "--json",
                "--threads", "1");
        assertEquals(0, outcome.code(), outcome.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(outcome.out(),
                new Json.Limits(1 << 20, 64, 1 << 16, 1 << 16));
        assertEquals(1.0, ((Number) json.get("snn_accuracy")).doubleValue(), 0.0);
        assertNull(json.get("int_ann_accuracy"));
        assertNull(json.get("exact_mismatch_neurons"));
        assertNull(json.get("levels"));
        assertEquals("analog", json.get("input_encoding"));
        assertEquals("if", json.get("neuron"));
        assertTrue(outcome.err().contains("calibrating on the embedded samples"), outcome.err());
    }

    @Test
    void runWithCalibrationFiles() throws IOException {
        Path images = idx("train-images", 0x00000803, new int[] {2, 2, 2}, IMAGES);
        Path labels = idx("train-labels", 0x00000801, new int[] {2}, new byte[] {0, 1});
        Outcome outcome = run("run", reluModel().toString(), "--method", "max", "--timesteps", "8",
                "--calibration-images", images.toString(), "--calibration-labels", labels.toString(),
                "--calibration-limit", "1", "--json");
        assertEquals(0, outcome.code(), outcome.err());
        assertTrue(!outcome.err().contains("warning"), outcome.err());
    }

    @Test
    void convertedNetworkRoundTrips() throws IOException {
        Path model = reluModel();
        Path converted = dir.resolve("converted.safetensors");
        Outcome convert = run("convert", model.toString(), "-o", converted.toString(), "--method", "max",
                "--timesteps", "16");
        assertEquals(0, convert.code(), convert.err());

        Outcome fresh = run("run", model.toString(), "--method", "max", "--timesteps", "16", "--json");
        Outcome stored = run("run", converted.toString(), "--json");
        assertEquals(0, stored.code(), stored.err());
        Map<String, Object> freshJson = parse(fresh.out());
        Map<String, Object> storedJson = parse(stored.out());
        for (String key : new String[] {"snn_accuracy", "spikes_per_image", "synaptic_ops_per_image",
                "input_encoding", "overflow_bound"}) {
            assertEquals(freshJson.get(key), storedJson.get(key), key);
        }
        assertEquals(2, run("convert", model.toString(), "-o", converted.toString(), "--timesteps", "16").code());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String json) {
        return (Map<String, Object>) Json.parse(json, new Json.Limits(1 << 20, 64, 1 << 16, 1 << 16));
    }

    @Test
    void balancingFlagsNeedMethod() throws IOException {
        Path model = reluModel();
        assertEquals(2, run("run", model.toString(), "--timesteps", "8").code());
        assertEquals(2, run("run", model.toString(), "--method", "max").code());
        assertEquals(2, run("run", model.toString(), "--method", "p99", "--timesteps", "8").code());
        assertEquals(2, run("run", model.toString(), "--method", "max", "--timesteps", "8", "--epsilon",
                "0.01").code());
        assertEquals(2, run("run", model.toString(), "--method", "max", "--timesteps", "8",
                "--calibration-labels", model.toString()).code());
        Outcome plain = run("run", model.toString());
        assertEquals(5, plain.code(), plain.err());
        assertTrue(plain.err().contains("--method"), plain.err());
    }
}
