package org.ratesim.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the built {@code target/sim.jar} in a child JVM and captures its exit code, stdout and stderr. */
final class JarRunner {

    /** Exit code, stdout and stderr of one run. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private JarRunner() {
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("ratesim.jar", "target/sim.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("jar not found at " + jar + "; run 'mvn package' first");
        }
        return jar;
    }

    /** Runs {@code java [jvmOptions] -jar sim.jar args} and waits up to {@code timeoutSeconds}. */
    static Result run(List<String> jvmOptions, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));

        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread outReader = drain(process.getInputStream(), stdout);
        Thread errReader = drain(process.getErrorStream(), stderr);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("sim.jar " + String.join(" ", args) + " timed out after " + timeoutSeconds + " s");
        }
        outReader.join();
        errReader.join();
        return new Result(process.exitValue(), stdout.toString(StandardCharsets.UTF_8),
                stderr.toString(StandardCharsets.UTF_8));
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream sink) {
        Thread thread = new Thread(() -> {
            try {
                in.transferTo(sink);
            } catch (IOException e) {
                // The process ended; whatever arrived is kept.
            }
        });
        thread.start();
        return thread;
    }
}
