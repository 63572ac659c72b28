package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ratesim.io.Json;

/**
 * Runs the built jar on the bundled Fashion-MNIST models and test images, and checks what the main job promises:
 * zero exactness mismatches for ASG and for T = 1, an SNN accuracy equal to the integer quantized ANN's, and
 * agreement with the float ANN.
 */
class EndToEndIT {

    private static final String IMAGES = "testdata/t10k-images-idx3-ubyte.gz";
    private static final String LABELS = "testdata/t10k-labels-idx1-ubyte.gz";
    private static final List<String> SIMD = List.of("--add-modules", "jdk.incubator.vector");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> runJson(String... args) throws Exception {
        JarRunner.Result result = JarRunner.run(SIMD, 600, args);
        assertEquals(0, result.exitCode(), () -> "exit code; stderr: " + result.stderr());
        return (Map<String, Object>) Json.parse(result.stdout(), new Json.Limits(1 << 20, 64, 1 << 16, 1 << 16));
    }

    private static double number(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).doubleValue();
    }

    private static void assertExactRun(Map<String, Object> json, double minimumAccuracy) {
        assertEquals(0L, ((Number) json.get("exact_mismatch_neurons")).longValue(), "exactness mismatches");
        assertEquals(number(json, "int_ann_accuracy"), number(json, "snn_accuracy"),
                "SNN accuracy must equal the integer quantized ANN's");
        assertEquals(1.0, number(json, "int_agreement"), "SNN and integer ANN predictions");
        assertTrue(number(json, "agreement") >= 0.99, () -> "agreement with the float ANN " + json.get("agreement"));
        assertTrue(number(json, "snn_accuracy") >= minimumAccuracy,
                () -> "SNN accuracy " + json.get("snn_accuracy") + " below " + minimumAccuracy);
        assertTrue(number(json, "synaptic_ops_per_image") > 0, "synaptic operations counted");
        assertTrue(number(json, "spikes_per_image") > 0, "hidden spikes counted");
    }

    @Test
    void timestepOneModelIsExactOnTestImages() throws Exception {
        Map<String, Object> json = runJson("run", "testdata/fashion_t1_l4.safetensors", "--images", IMAGES,
                "--labels", LABELS, "--limit", "1000", "--json");
        assertEquals(1000L, ((Number) json.get("images")).longValue());
        assertEquals(1L, ((Number) json.get("timesteps")).longValue());
        assertExactRun(json, 0.80);
    }

    @Test
    void timestepOneModelIsExactWithIfNeurons() throws Exception {
        Map<String, Object> json = runJson("run", "testdata/fashion_t1_l4.safetensors", "--images", IMAGES,
                "--labels", LABELS, "--limit", "300", "--neuron", "if", "--json");
        assertEquals("if", json.get("neuron"));
        assertExactRun(json, 0.80);
    }

    @Test
    void asgModelIsExactOnTestImages() throws Exception {
        Path model = Path.of("testdata/fashion_t4_l8.safetensors");
        Map<String, Object> json = runJson("run", model.toString(), "--images", IMAGES, "--labels", LABELS,
                "--limit", "500", "--json");
        assertEquals(4L, ((Number) json.get("timesteps")).longValue());
        assertEquals("asg", json.get("neuron"));
        assertExactRun(json, 0.80);
    }

    @Test
    void embeddedSamplesRunWithoutArguments() throws Exception {
        JarRunner.Result result = JarRunner.run(SIMD, 600, "testdata/fashion_t1_l4.safetensors");
        assertEquals(0, result.exitCode(), () -> "stderr: " + result.stderr());
        assertTrue(result.stdout().contains("SNN accuracy"), () -> "table on stdout: " + result.stdout());
        String imagesRow = result.stdout().lines().filter(l -> l.startsWith("images")).findFirst().orElse("");
        assertTrue(imagesRow.trim().endsWith("256"), () -> "256 embedded samples: " + result.stdout());
    }

    @Test
    void threadCountDoesNotChangeResults() throws Exception {
        String[] base = {"run", "testdata/fashion_t1_l4.safetensors", "--images", IMAGES, "--labels", LABELS,
            "--limit", "200", "--json", "--threads"};
        Map<String, Object> one = runJson(concat(base, "1"));
        Map<String, Object> three = runJson(concat(base, "3"));
        for (String key : List.of("snn_accuracy", "ann_accuracy", "agreement", "exact_mismatch_neurons",
                "input_spikes_per_image", "spikes_per_image", "synaptic_ops_per_image", "layers")) {
            assertEquals(one.get(key), three.get(key), key);
        }
    }

    @Test
    void convertedFileRunsWithoutConverting() throws Exception {
        Path out = Files.createTempFile("ratesim-converted", ".safetensors");
        try {
            JarRunner.Result convert = JarRunner.run(List.of(), 300, "convert",
                    "testdata/fashion_t1_l4.safetensors", "-o", out.toString());
            assertEquals(0, convert.exitCode(), () -> "stderr: " + convert.stderr());
            Map<String, Object> stored = runJson("run", out.toString(), "--limit", "100", "--json");
            Map<String, Object> fresh = runJson("run", "testdata/fashion_t1_l4.safetensors", "--limit", "100",
                    "--json");
            assertEquals(fresh.get("snn_accuracy"), stored.get("snn_accuracy"));
            assertEquals(fresh.get("synaptic_ops_per_image"), stored.get("synaptic_ops_per_image"));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String[] concat(String[] head, String last) {
        String[] all = java.util.Arrays.copyOf(head, head.length + 1);
        all[head.length] = last;
        return all;
    }
}
