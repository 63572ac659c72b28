package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import org.ratesim.RatesimException;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.model.Dataset;
import org.ratesim.model.Macs;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.CheckedSpikeKernels;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.IntegerOverflowException;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikeKernels;

/** {@code run MODEL...}: evaluates each model's spiking network against its integer and float ANNs. */
final class RunCommand {

    static final Set<String> VALUE_FLAGS = Set.of("--images", "--labels", "--limit", "--threads", "--neuron",
            "--reset", "--epsilon", "--method", "--timesteps", "--calibration-images", "--calibration-labels",
            "--calibration-limit", "--predictions");
    static final Set<String> SWITCHES = Set.of("--json", "--no-check", "--check-overflow");

    private RunCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args args = Args.parse("run", argv, VALUE_FLAGS, SWITCHES);
        if (args.positionals().isEmpty()) {
            throw new UsageException("run needs at least one MODEL file");
        }
        int threads = args.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        boolean check = !args.has("--no-check");
        SpikeKernels kernels = args.has("--check-overflow") ? new CheckedSpikeKernels(Kernels.get()) : Kernels.get();
        if (args.has("--predictions") && args.positionals().size() != 1) {
            throw new UsageException("--predictions needs exactly one MODEL, got " + args.positionals().size());
        }
        if (args.has("--predictions")) {
            java.nio.file.Path target = java.nio.file.Path.of(args.string("--predictions", "")).toAbsolutePath();
            java.nio.file.Path parent = target.getParent();
            if (java.nio.file.Files.isDirectory(target) || parent == null || !java.nio.file.Files.isDirectory(parent)) {
                throw new UsageException("--predictions " + args.string("--predictions", "") + ": cannot write a"
                        + " file there; give a file path in an existing folder");
            }
        }
        // Validate every option before the first long run starts.
        if (args.has("--method")) {
            ModelInput.balancingOptions(args);
        } else {
            ModelInput.conversionOptions(args);
        }

        List<Map<String, Object>> documents = new ArrayList<>();
        for (String modelName : args.positionals()) {
            ModelFile model = ModelInput.readModel(modelName);
            Dataset data = ModelInput.dataset(args, model, modelName);
            SnnNetwork network = ModelInput.network(args, model, modelName, err);
            long macs = Macs.of(model.ann()).total();

            err.println("ratesim: " + modelName + ": " + data.size() + " images, T = " + network.timesteps()
                    + ", " + Evaluator.threadsFor(threads, data.size()) + " threads, kernels " + kernels.name());
            Evaluator.Options options = new Evaluator.Options(threads, check, progress(err, modelName, data.size()));
            EvaluationReport report;
            try {
                report = Evaluator.evaluate(model.ann(), network, data, kernels, options);
            } catch (IntegerOverflowException e) {
                throw new RatesimException(e.exitCode(), modelName + ": " + e.getMessage(), e);
            }
            documents.add(ReportFormat.toJson(modelName, report, network, macs));
            if (args.has("--predictions")) {
                PredictionsFile.write(java.nio.file.Path.of(args.string("--predictions", "")), network, data);
            }
        }

        if (args.has("--json")) {
            Object document = documents.size() == 1 ? documents.get(0) : Map.of("runs", documents);
            out.println(Json.writePretty(document));
        } else {
            out.print(ReportFormat.table(documents));
        }
        return 0;
    }

    /** Prints progress to stderr at most every two seconds, so short runs stay quiet. */
    private static IntConsumer progress(PrintStream err, String modelName, int total) {
        long start = System.nanoTime();
        long[] lastPrint = {start};
        return done -> {
            synchronized (lastPrint) {
                long now = System.nanoTime();
                if (now - lastPrint[0] >= 2_000_000_000L && done < total) {
                    lastPrint[0] = now;
                    double seconds = (now - start) / 1e9;
                    err.printf(java.util.Locale.ROOT, "ratesim: %s: %d/%d images, %.0f images/s%n", modelName, done,
                            total, done / seconds);
                }
            }
        };
    }

    static Map<String, Object> keyed(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
