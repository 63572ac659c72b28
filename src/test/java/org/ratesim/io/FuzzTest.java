package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link Fuzzer} in a child JVM with a 64 MiB heap, so a reader that allocates what a hostile header declares
 * fails with OutOfMemoryError instead of passing on a large test heap.
 *
 * <p>{@code -Dratesim.fuzz.iterations=N} sets the mutants per reader (2,000 by default, 100,000 for a long run) and
 * {@code -Dratesim.fuzz.seed=N} the seed (default: {@code ratesim.seed}). Failing inputs land in
 * target/fuzz-failures/; copy them to src/test/resources/fuzz-regressions/ so FuzzRegressionTest replays them.
 */
class FuzzTest {

    @Test
    void mutantsEndInResultOrDocumentedException() throws Exception {
        int iterations = Integer.getInteger("ratesim.fuzz.iterations", 2000);
        long seed = Long.getLong("ratesim.fuzz.seed", Long.getLong("ratesim.seed", 20261204L));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = location(ModelReader.class) + File.pathSeparator + location(Fuzzer.class);
        Path failures = Path.of("target", "fuzz-failures").toAbsolutePath();
        List<String> command = List.of(java, "-Xmx64m", "-cp", classpath, Fuzzer.class.getName(),
                Long.toString(seed), Integer.toString(iterations), failures.toString(),
                Path.of("testdata").toAbsolutePath().toString());

        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Budget: 60 s for JVM start and warm-up plus 50 ms per mutant, far above the roughly 3 ms per mutant
        // measured on a shared 2-core machine, so only a hang reaches it.
        long budgetSeconds = 60 + iterations / 10;
        boolean finished = process.waitFor(budgetSeconds, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(output);
        assertTrue(finished, "fuzzer did not finish within " + budgetSeconds + " s:\n" + output);
        assertEquals(0, process.exitValue(), "fuzzer found failures, saved under " + failures + ":\n" + output);
        assertTrue(output.contains("model reader " + iterations + " mutants"), output);
    }

    private static String location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
