package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.ratesim.RatesimException;

/**
 * Runs every error case of {@link CliCases} through the packaged {@code sim.jar} in a child JVM, so the exit code
 * comes from the process and stderr is exactly what a user reads.
 */
class CliErrorPathsIT {

    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    static Path dir;

    private static List<CliCases.Case> cases;

    @BeforeAll
    static void writeBrokenFiles() throws IOException {
        cases = CliCases.build(dir);
    }

    static Stream<CliCases.Case> cases() {
        return cases.stream();
    }

    /** Exit code, stdout and stderr of one child JVM. */
    record Outcome(int exitCode, String stdout, String stderr) {
    }

    static Path jar() {
        String property = System.getProperty("ratesim.jar");
        assertTrue(property != null, "system property ratesim.jar is not set: run through 'mvn verify'");
        Path jar = Path.of(property);
        assertTrue(Files.isRegularFile(jar), jar + " does not exist: run 'mvn package' first");
        return jar;
    }

    /** Runs {@code java [jvmOptions] -jar sim.jar args} with a clean heap limit and returns what it produced. */
    static Outcome runJar(List<String> jvmOptions, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(args);
        Path stdout = Files.createTempFile(dir, "stdout", ".txt");
        Path stderr = Files.createTempFile(dir, "stderr", ".txt");
        Process process = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", args) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return new Outcome(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    private static void assertFails(CliCases.Case c, Outcome outcome) {
        assertEquals(c.exitCode(), outcome.exitCode(), c.name() + ": stderr was:\n" + outcome.stderr());
        CliErrorPathsTest.assertOneErrorLine(c, outcome.stderr());
        assertEquals("", outcome.stdout(), c.name() + ": stdout must carry results only");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void errorCaseExitsWithItsCode(CliCases.Case c) throws Exception {
        assertFails(c, runJar(List.of(), c.args()));
    }

    @Test
    void incubatorWarningIsTolerated() throws Exception {
        List<String> vectorModule = List.of("--add-modules", "jdk.incubator.vector");
        for (CliCases.Case c : cases) {
            boolean representative = c.exitCode() != RatesimException.EXIT_USAGE || c.name().equals("unknown flag");
            if (representative) {
                Outcome outcome = runJar(vectorModule, c.args());
                assertTrue(outcome.stderr().contains("WARNING: Using incubator modules"), outcome.stderr());
                assertFails(c, outcome);
            }
        }
    }

    @Test
    void helpExitsZeroOnStdout() throws Exception {
        Outcome outcome = runJar(List.of(), List.of("--help"));

        assertEquals(0, outcome.exitCode(), outcome.stderr());
        assertTrue(outcome.stdout().contains("Usage:"), outcome.stdout());
        assertTrue(outcome.stdout().contains("--check-overflow"), outcome.stdout());
        assertEquals(List.of(), StderrLines.errors(outcome.stderr()));
    }

    @Test
    void versionNamesKernels() throws Exception {
        Outcome scalar = runJar(List.of(), List.of("--version"));
        Outcome simd = runJar(List.of("--add-modules", "jdk.incubator.vector"), List.of("--version"));

        assertEquals(0, scalar.exitCode(), scalar.stderr());
        assertTrue(scalar.stdout().matches("ratesim \\S+ \\(Java \\S+, kernels scalar\\)\\R"), scalar.stdout());
        assertEquals(List.of(), StderrLines.errors(scalar.stderr()));
        assertEquals(0, simd.exitCode(), simd.stderr());
        assertTrue(simd.stdout().startsWith("ratesim "), simd.stdout());
        assertEquals(List.of(), StderrLines.errors(simd.stderr()));
    }

    @Test
    void validRunExitsZero() throws Exception {
        Outcome outcome = runJar(List.of(), List.of("run", CliCases.MODEL.toString(), "--images",
                CliCases.IMAGES.toString(), "--labels", CliCases.LABELS.toString(), "--limit", "2", "--threads", "2",
                "--check-overflow", "--json"));

        assertEquals(0, outcome.exitCode(), outcome.stderr());
        assertTrue(outcome.stdout().contains("\"images\": 2"), outcome.stdout());
        assertTrue(outcome.stdout().contains("+overflow-check\""), outcome.stdout());
        assertEquals(List.of(), StderrLines.errors(outcome.stderr()));
    }
}
