package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.ratesim.RatesimException;

/** Runs every error case of {@link CliCases} through {@link Main#run} in this JVM. */
class CliErrorPathsTest {

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

    /** Exit code, stdout and stderr of one in-process run. */
    record Outcome(int exitCode, String stdout, String stderr) {
    }

    static Outcome run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Checks that stderr contains exactly one error line after progress lines, that it contains every expected part,
     * and that no stack trace was printed. Returns the error line.
     */
    static String assertOneErrorLine(CliCases.Case c, String stderr) {
        List<String> lines = StderrLines.errors(stderr);
        assertEquals(1, lines.size(), c.name() + ": stderr was:\n" + stderr);
        String line = lines.get(0);
        assertTrue(line.startsWith("ratesim: "), c.name() + ": " + line);
        for (String part : c.messageParts()) {
            assertTrue(line.contains(part), c.name() + ": expected '" + part + "' in: " + line);
        }
        assertTrue(StderrLines.hasNoStackTrace(stderr), c.name() + ": stack trace in stderr:\n" + stderr);
        return line;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void errorCaseExitsWithItsCode(CliCases.Case c) {
        Outcome outcome = run(c.args());

        assertEquals(c.exitCode(), outcome.exitCode(), c.name() + ": stderr was:\n" + outcome.stderr());
        assertOneErrorLine(c, outcome.stderr());
        assertEquals("", outcome.stdout(), c.name() + ": stdout must carry results only");
    }

    @Test
    void usageErrorsPointToHelp() {
        for (CliCases.Case c : cases) {
            // File-system errors share exit code 2 but are no command-line mistake, so they get no help hint.
            boolean fileSystemError = c.messageParts().contains("I/O error");
            if (c.exitCode() == RatesimException.EXIT_USAGE && !fileSystemError) {
                String line = assertOneErrorLine(c, run(c.args()).stderr());
                assertTrue(line.endsWith("(" + Main.USAGE_HINT + ")"), c.name() + ": " + line);
            }
        }
    }

    @Test
    void helpGoesToStdout() {
        Outcome outcome = run(List.of("--help"));

        assertEquals(0, outcome.exitCode());
        assertTrue(outcome.stdout().contains("Usage:"), outcome.stdout());
        assertTrue(outcome.stdout().contains("--check-overflow"), outcome.stdout());
        assertTrue(outcome.stdout().contains("6  integer overflow found at run time"), outcome.stdout());
        assertEquals("", outcome.stderr());
    }

    @Test
    void versionGoesToStdout() {
        Outcome outcome = run(List.of("--version"));

        assertEquals(0, outcome.exitCode());
        assertTrue(outcome.stdout().startsWith("ratesim "), outcome.stdout());
        assertTrue(outcome.stdout().contains("kernels "), outcome.stdout());
    }

    @Test
    void nulInPathIsUsageError() {
        CliCases.Case c = new CliCases.Case("NUL in path", List.of("run", "model\0.safetensors"),
                RatesimException.EXIT_USAGE, List.of("model: invalid path 'model\\0.safetensors'"));
        Outcome outcome = run(c.args());

        assertEquals(RatesimException.EXIT_USAGE, outcome.exitCode(), outcome.stderr());
        assertOneErrorLine(c, outcome.stderr());
    }

    @Test
    void unreadableModelIsUsageError() throws IOException {
        Path model = dir.resolve("unreadable.safetensors");
        Files.copy(CliCases.MODEL, model);
        Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("---------"));
        // root reads any file, so the case exists only for other users.
        assumeFalse(Files.isReadable(model), "this user can read a file with mode 000");
        CliCases.Case c = new CliCases.Case("unreadable model", List.of("run", model.toString()),
                RatesimException.EXIT_USAGE, List.of("model: file is not readable", "unreadable.safetensors"));
        Outcome outcome = run(c.args());

        assertEquals(RatesimException.EXIT_USAGE, outcome.exitCode(), outcome.stderr());
        assertOneErrorLine(c, outcome.stderr());
    }

    @Test
    void debugPrintsStackTrace() {
        Outcome outcome = run(List.of("run", dir.resolve("absent.safetensors").toString(), "--debug"));

        assertEquals(RatesimException.EXIT_USAGE, outcome.exitCode());
        assertTrue(outcome.stderr().contains("\tat org.ratesim.cli."), outcome.stderr());
    }
}
