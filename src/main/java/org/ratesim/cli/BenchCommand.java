package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.model.Dataset;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikeKernels;

/**
 * {@code bench MODEL}: measures the spiking engine alone (no float ANN, no exactness check) on one dataset.
 *
 * <p>It reports images per second one image at a time on one thread, images per second on all threads, synaptic
 * operations per second on all threads, the SIMD/scalar speed ratio on one thread over the same images, the
 * fraction of the machine's limit (cores × SIMD int32 lanes × clock) that the synaptic operation rate reaches, and
 * the cold start: the wall time of a fresh {@code java -jar} process of this jar that evaluates one embedded sample.
 */
final class BenchCommand {

    static final Set<String> VALUE_FLAGS = Set.of("--images", "--labels", "--limit", "--threads");
    static final Set<String> SWITCHES = Set.of("--json");

    /** Images run untimed before each single-thread measurement so the JIT has compiled the hot loops. */
    private static final int WARMUP_IMAGES = 200;
    /** The cold-start child process is killed after this many seconds. */
    private static final long COLD_START_TIMEOUT_SECONDS = 300;
    static final String CLOCK_SOURCE = "max \"cpu MHz\" of /proc/cpuinfo";
    static final String COLD_START_METHOD = "wall time from spawning 'java -jar' of this jar with 'run MODEL "
            + "--limit 1 --threads 1 --no-check --json' until the process exits";

    private BenchCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args args = Args.parse("bench", argv, VALUE_FLAGS, SWITCHES);
        if (args.positionals().size() != 1) {
            throw new UsageException("bench needs exactly one MODEL file, got " + args.positionals().size());
        }
        int threads = args.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String modelName = args.positionals().get(0);
        ModelFile model = ModelInput.readModel(modelName);
        Dataset data = ModelInput.dataset(args, model, modelName);
        SnnNetwork network = ModelInput.network(args, model, modelName);
        SpikeKernels selected = Kernels.get();
        SpikeKernels simd = selected == Kernels.scalar() ? null : selected;
        err.println("ratesim: bench " + modelName + ": " + data.size() + " images, T = " + network.timesteps()
                + ", " + Evaluator.threadsFor(threads, data.size()) + " threads, kernels " + selected.name());

        double singleThread = imagesPerSecondOneThread(network, selected, data);
        Double simdOverScalar = null;
        if (simd != null) {
            double scalar = imagesPerSecondOneThread(network, Kernels.scalar(), data);
            simdOverScalar = singleThread / scalar;
        }
        EvaluationReport parallel = Evaluator.evaluate(null, network, data, selected,
                new Evaluator.Options(threads, false, null));
        double opsPerSecond = parallel.synapticOpsPerImage() * parallel.images() / parallel.seconds();

        int cores = Runtime.getRuntime().availableProcessors();
        int lanes = selected.intLanes();
        Double clockMhz = cpuMhz();
        Double limitFraction = clockMhz == null ? null : opsPerSecond / (cores * (double) lanes * clockMhz * 1e6);
        Double coldStart = coldStartSeconds(args, model, modelName, err);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", modelName);
        result.put("images", data.size());
        result.put("timesteps", network.timesteps());
        result.put("single_thread_images_per_second", singleThread);
        result.put("all_threads_images_per_second", parallel.imagesPerSecond());
        result.put("synaptic_ops_per_image", parallel.synapticOpsPerImage());
        result.put("synaptic_ops_per_second", opsPerSecond);
        result.put("simd_over_scalar", simdOverScalar);
        result.put("limit_fraction", limitFraction);
        result.put("cores", cores);
        result.put("simd_int_lanes", lanes);
        result.put("clock_mhz", clockMhz);
        result.put("clock_source", CLOCK_SOURCE);
        result.put("cold_start_seconds", coldStart);
        result.put("cold_start_method", COLD_START_METHOD);
        result.put("kernels", selected.name());
        result.put("threads", parallel.threads());
        result.put("java_version", System.getProperty("java.version"));

        if (args.has("--json")) {
            out.println(Json.writePretty(result));
        } else {
            out.print(table(result));
        }
        return 0;
    }

    /**
     * Simulates every image once after a warm-up and returns images per second on the calling thread. Buffers are
     * created once, so the timed loop allocates nothing.
     */
    static double imagesPerSecondOneThread(SnnNetwork network, SpikeKernels kernels, Dataset data) {
        Simulator simulator = new Simulator(network, kernels);
        Simulator.Workspace workspace = simulator.newWorkspace();
        ImageResult result = simulator.newResult();
        byte[] images = data.images();
        int pixels = data.pixelsPerImage();
        long checksum = 0;
        for (int i = 0; i < WARMUP_IMAGES; i++) {
            simulator.run(images, (i % data.size()) * pixels, workspace, result);
            checksum += result.prediction();
        }
        long start = System.nanoTime();
        for (int i = 0; i < data.size(); i++) {
            simulator.run(images, i * pixels, workspace, result);
            checksum += result.prediction();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // The checksum keeps the JIT from discarding runs whose result is unused.
        if (checksum < 0) {
            throw new IllegalStateException("negative prediction sum " + checksum);
        }
        return data.size() / seconds;
    }

    /** Returns the largest "cpu MHz" of /proc/cpuinfo, or null where the file or the field is missing (non-Linux). */
    static Double cpuMhz() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return null;
        }
        try {
            Double largest = null;
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                if (line.startsWith("cpu MHz")) {
                    double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                    largest = largest == null ? mhz : Math.max(largest, mhz);
                }
            }
            return largest;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * Spawns this jar on one image and returns the seconds until the process exits, or null when it cannot be
     * spawned or fails. The child reads the embedded samples when the model has them, else the same --images and
     * --labels as this run.
     */
    private static Double coldStartSeconds(Args args, ModelFile model, String modelName, PrintStream err) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Kernels.vectorModulePresent()) {
            command.add("--add-modules");
            command.add("jdk.incubator.vector");
        }
        Path code;
        try {
            code = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            err.println("ratesim: cold start not measured: the location of the ratesim classes is unknown (" + e
                    + ")");
            return null;
        }
        if (Files.isRegularFile(code)) {
            command.add("-jar");
            command.add(code.toString());
        } else {
            command.add("-cp");
            command.add(code.toString());
            command.add(Main.class.getName());
        }
        command.addAll(List.of("run", modelName, "--limit", "1", "--threads", "1", "--no-check", "--json"));
        if (model.ann().samples() == null) {
            command.addAll(List.of("--images", args.string("--images", ""), "--labels", args.string("--labels", "")));
        }

        long start = System.nanoTime();
        try {
            Process process = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!process.waitFor(COLD_START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                err.println("ratesim: cold start not measured: the child process ran over "
                        + COLD_START_TIMEOUT_SECONDS + " s: " + String.join(" ", command));
                return null;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (process.exitValue() != 0) {
                err.println("ratesim: cold start not measured: the child process failed with exit code "
                        + process.exitValue() + ": " + String.join(" ", command));
                return null;
            }
            return seconds;
        } catch (IOException e) {
            err.println("ratesim: cold start not measured: cannot start " + command.get(0) + ": " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String table(Map<String, Object> result) {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, Object> entry : result.entrySet()) {
            Object value = entry.getValue();
            String formatted;
            if (value == null) {
                formatted = "not measured";
            } else if (value instanceof Double) {
                formatted = String.format(Locale.ROOT, "%.4g", (Double) value);
            } else {
                formatted = value.toString();
            }
            text.append(String.format(Locale.ROOT, "%-32s %s%n", entry.getKey().replace('_', ' '), formatted));
        }
        return text.toString();
    }
}
