package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.ratesim.io.Json;

/**
 * Runs the packaged jar as a user would, with a 64 MiB heap: the evaluation must stream through the dataset
 * without keeping per-image state.
 */
class JarLowHeapIT {

    private static final Path JAR = Path.of(System.getProperty("ratesim.jar", "target/sim.jar"));
    private static final Path MODEL = Path.of("testdata", "fashion_t1_l4.safetensors");
    private static final Path IMAGES = Path.of("testdata", "t10k-images-idx3-ubyte.gz");
    private static final Path LABELS = Path.of("testdata", "t10k-labels-idx1-ubyte.gz");
    private static final long TIMEOUT_SECONDS = 300;

    /** Output and exit code of one jar run. */
    private record Outcome(int exitCode, String stdout, String stderr) {
    }

    private static Outcome runJar(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx64m");
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(arguments));
        Path stdout = Files.createTempFile("ratesim-it", ".out");
        Path stderr = Files.createTempFile("ratesim-it", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile()).start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("jar timed out after " + TIMEOUT_SECONDS + " s: " + command);
            }
            return new Outcome(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Outcome outcome) {
        assertEquals(0, outcome.exitCode(), "exit code; stderr: " + outcome.stderr());
        return (Map<String, Object>) Json.parse(outcome.stdout(), new Json.Limits(1 << 20, 16, 4096, 10_000));
    }

    @Test
    void runChecksT10kSliceIn64MiB() throws Exception {
        Map<String, Object> report = json(runJar("run", MODEL.toString(), "--images", IMAGES.toString(),
                "--labels", LABELS.toString(), "--limit", "300", "--json"));
        assertEquals(300, ((Number) report.get("images")).intValue());
        assertEquals(0, ((Number) report.get("exact_mismatch_neurons")).longValue());
        assertEquals(1.0, ((Number) report.get("int_agreement")).doubleValue());
        assertTrue(((Number) report.get("snn_accuracy")).doubleValue() > 0.7, "snn_accuracy " + report);
    }

    @Test
    void benchReportsEveryKey() throws Exception {
        Map<String, Object> report = json(runJar("bench", MODEL.toString(), "--limit", "20", "--json"));
        for (String key : List.of("single_thread_images_per_second", "all_threads_images_per_second",
                "synaptic_ops_per_second", "cold_start_seconds")) {
            assertNotNull(report.get(key), key);
            assertTrue(((Number) report.get(key)).doubleValue() > 0, key + " = " + report.get(key));
        }
        // Without usable SIMD hardware the kernels are scalar, and there is no SIMD/scalar ratio to report.
        boolean simd = ((String) report.get("kernels")).startsWith("panama-");
        assertEquals(simd, report.get("simd_over_scalar") != null, "simd_over_scalar " + report);
        assertTrue(report.containsKey("limit_fraction"), "limit_fraction missing");
        assertEquals(20, ((Number) report.get("images")).intValue());
        assertEquals(System.getProperty("java.version"), report.get("java_version"));
        assertTrue(((Number) report.get("threads")).intValue() >= 1, "threads " + report.get("threads"));
    }
}
