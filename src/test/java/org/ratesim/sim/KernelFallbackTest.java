package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts child JVMs with vectors capped by {@code -XX:MaxVectorSize}, which reaches the width check of
 * {@link PanamaSpikeKernels} on a wider x86 CPU. At 128 bits the kernels must fail to load, so {@code auto} falls back
 * to scalar with the reason on stderr and {@code on} fails. At 256 bits they must load.
 */
@Tag("kernels")
class KernelFallbackTest {

    /** Prints the name of the kernels that {@link Kernels#get()} selects. */
    static final class PrintSelectedKernels {
        public static void main(String[] args) {
            System.out.println(Kernels.get().name());
        }
    }

    private static final class ChildResult {
        final int exitCode;
        final String stdout;
        final String stderr;

        ChildResult(int exitCode, String stdout, String stderr) {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }

    private static void assumeX86WithModule() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"),
                "the 256-bit floor applies to x86 only, and os.arch is " + arch);
        Assumptions.assumeTrue(Kernels.vectorModulePresent(),
                "module jdk.incubator.vector is not loaded in this run, so child JVMs are not started");
    }

    private static ChildResult runChild(Path directory, String simdMode, String maxVectorBytes)
            throws IOException, InterruptedException {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx64m",
                "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=" + maxVectorBytes,
                "-Dratesim.simd=" + simdMode, "-cp", System.getProperty("java.class.path"),
                PrintSelectedKernels.class.getName()));
        Path stdout = directory.resolve("stdout-" + simdMode + ".txt");
        Path stderr = directory.resolve("stderr-" + simdMode + ".txt");
        Process child = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child JVM timed out after 60 s: " + command);
        }
        return new ChildResult(child.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8).trim(),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    @Test
    void autoFallsBackBelow256Bits(@TempDir Path directory) throws Exception {
        assumeX86WithModule();

        ChildResult result = runChild(directory, "auto", "16");

        assertEquals(0, result.exitCode, result.stderr);
        assertEquals("scalar", result.stdout, result.stderr);
        assertTrue(result.stderr.contains("using scalar kernels"), result.stderr);
        assertTrue(result.stderr.contains("128 bits, below the 256 bits"), result.stderr);
    }

    @Test
    void onFailsBelow256Bits(@TempDir Path directory) throws Exception {
        assumeX86WithModule();

        ChildResult result = runChild(directory, "on", "16");

        assertNotEquals(0, result.exitCode, result.stdout);
        assertTrue(result.stderr.contains("-Dratesim.simd=on are unavailable"), result.stderr);
        assertTrue(result.stderr.contains("128 bits, below the 256 bits"), result.stderr);
    }

    @Test
    void onLoadsSimdAt256Bits(@TempDir Path directory) throws Exception {
        assumeX86WithModule();

        ChildResult result = runChild(directory, "on", "32");

        assertEquals(0, result.exitCode, result.stderr);
        assertEquals("panama-256", result.stdout, result.stderr);
    }
}
