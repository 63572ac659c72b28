package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.CttCalibration;
import org.ratesim.convert.ThresholdBalancing;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.model.Dataset;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;

/**
 * {@code sweep MODEL... --timesteps LIST}: compares conversion methods over time windows on one test set.
 *
 * <p>A float ReLU model runs standard conversion (threshold balancing by the maximum and by the 99.9th percentile)
 * at every T of the list. A quantized model fixes T in its quantizers, so it runs only at its own T, when the list
 * contains it: VR+IF, VR+IF+CTT and VR+ASG, or VR+ICE+ASG and VR+ICE+IF for an ICE model. VR+IF+CTT uses the
 * thresholds stored by {@code calibrate} when the file has them, and calibrates on the calibration images otherwise.
 */
final class SweepCommand {

    static final Set<String> VALUE_FLAGS = Set.of("--timesteps", "--images", "--labels", "--limit", "--threads",
            "--calibration-images", "--calibration-labels", "--calibration-limit", "--passes", "--learning-rate");
    static final Set<String> SWITCHES = Set.of("--json");
    static final String DEFAULT_TIMESTEPS = "1,2,4,8,16,32,64,128";

    private SweepCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args args = Args.parse("sweep", argv, VALUE_FLAGS, SWITCHES);
        if (args.positionals().isEmpty()) {
            throw new UsageException("sweep needs at least one MODEL file");
        }
        TreeSet<Integer> timesteps = parseTimesteps(args.string("--timesteps", DEFAULT_TIMESTEPS));
        int threads = args.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        CttCalibration.Options cttOptions = CttCalibration.Options.defaults()
                .withPasses(args.integer("--passes", CttCalibration.DEFAULT_PASSES, 1, 1000))
                .withLearningRate(args.number("--learning-rate", CttCalibration.DEFAULT_LEARNING_RATE, 1e-9, 100.0))
                .withThreads(threads);

        List<Map<String, Object>> rows = new ArrayList<>();
        for (String modelName : args.positionals()) {
            ModelFile model = ModelInput.readModel(modelName);
            Dataset data = ModelInput.dataset(args, model, modelName);
            err.println("ratesim: sweep " + modelName + ": float ANN on " + data.size() + " images");
            int[] annPredictions = Evaluator.predictFloat(model.ann(), data, threads);
            double annAccuracy = accuracy(annPredictions, data);
            Evaluator.Options evaluation = new Evaluator.Options(threads, false, null);

            if (isReluModel(model)) {
                Dataset calibration = ModelInput.calibration(args, model, modelName, err);
                for (int t : timesteps) {
                    for (ThresholdBalancing.Method method : ThresholdBalancing.Method.values()) {
                        err.println("ratesim: sweep " + modelName + ": standard conversion (" + method.id()
                                + "), T = " + t);
                        SnnNetwork network = ThresholdBalancing.convert(model.ann(), calibration, method, t,
                                ThresholdBalancing.standardOptions()).network();
                        EvaluationReport report = Evaluator.evaluateAgainst(annPredictions, network, data, Kernels.get(),
                                evaluation);
                        rows.add(row("standard (" + method.id() + ")", modelName, annAccuracy, report, network));
                    }
                }
                continue;
            }

            SnnNetwork asg = ModelInput.convert(model, ConversionOptions.defaults(), modelName).network();
            if (!timesteps.contains(asg.timesteps())) {
                err.println("ratesim: sweep " + modelName + ": skipped, its quantizers fix T = " + asg.timesteps()
                        + ", which --timesteps does not list");
                continue;
            }
            boolean ice = asg.encoder().type() == Encoder.Type.ICE;
            String prefix = ice ? "VR+ICE+" : "VR+";
            SnnNetwork plainIf = ModelInput.convert(model, ConversionOptions.defaults().withNeuron(NeuronRule.IF),
                    modelName).network();

            rows.add(row(prefix + "IF", modelName, annAccuracy,
                    Evaluator.evaluateAgainst(annPredictions, plainIf, data, Kernels.get(), evaluation), plainIf));
            if (!ice && asg.timesteps() > 1) {
                SnnNetwork ctt;
                if (hasCalibratedThresholds(model.snn())) {
                    err.println("ratesim: sweep " + modelName + ": using the CTT thresholds stored in the file");
                    ctt = model.snn();
                } else {
                    Dataset calibration = ModelInput.calibration(args, model, modelName, err);
                    err.println("ratesim: sweep " + modelName + ": CTT calibration on " + calibration.size()
                            + " images");
                    ctt = CttCalibration.calibrate(plainIf, calibration, Kernels.get(), cttOptions).network();
                }
                rows.add(row(prefix + "IF+CTT", modelName, annAccuracy,
                        Evaluator.evaluateAgainst(annPredictions, ctt, data, Kernels.get(), evaluation), ctt));
            }
            if (ice || asg.timesteps() == 1) {
                err.println("ratesim: sweep " + modelName + ": no " + prefix + "IF+CTT row, because "
                        + (ice ? "CTT is run on VR models only" : "at T = 1 plain IF already equals ASG"));
            }
            rows.add(row(prefix + "ASG", modelName, annAccuracy,
                    Evaluator.evaluateAgainst(annPredictions, asg, data, Kernels.get(), evaluation), asg));
        }

        if (args.has("--json")) {
            out.println(Json.writePretty(Map.of("rows", rows)));
        } else {
            out.print(table(rows));
        }
        return 0;
    }

    static TreeSet<Integer> parseTimesteps(String text) {
        TreeSet<Integer> values = new TreeSet<>();
        for (String part : text.split(",")) {
            try {
                int value = Integer.parseInt(part.trim());
                if (value < 1 || value > 1 << 20) {
                    throw new NumberFormatException();
                }
                values.add(value);
            } catch (NumberFormatException e) {
                throw new UsageException("invalid --timesteps '" + text + "': expected a comma-separated list of "
                        + "whole numbers from 1 to " + (1 << 20) + ", for example 1,2,4,8");
            }
        }
        return values;
    }

    /** Returns whether {@code snn} is a stored network whose IF thresholds came from {@code calibrate}. */
    private static boolean hasCalibratedThresholds(SnnNetwork snn) {
        return snn != null && snn.layers().stream().anyMatch(layer -> layer.neuron() == NeuronRule.IF_CTT);
    }

    /** Returns whether the model is a float ReLU network: no clamp_floor quantizer and no ICE encoder. */
    private static boolean isReluModel(ModelFile model) {
        for (Node node : model.ann().graph().nodes()) {
            if (node.op() == Op.CLAMP_FLOOR || node.op() == Op.INPUT_EXPANSION) {
                return false;
            }
        }
        return true;
    }

    private static double accuracy(int[] predictions, Dataset data) {
        long correct = 0;
        for (int i = 0; i < predictions.length; i++) {
            correct += predictions[i] == data.labels()[i] ? 1 : 0;
        }
        return predictions.length == 0 ? 0.0 : (double) correct / predictions.length;
    }

    private static Map<String, Object> row(String method, String modelName, double annAccuracy,
                                           EvaluationReport report, SnnNetwork network) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("method", method);
        row.put("model", modelName);
        row.put("timesteps", (long) network.timesteps());
        row.put("images", (long) report.images());
        row.put("ann_accuracy", annAccuracy);
        row.put("snn_accuracy", report.snnAccuracy());
        row.put("agreement", report.agreement());
        row.put("input_spikes_per_image", report.inputSpikesPerImage());
        row.put("spikes_per_image", report.spikesPerImage());
        row.put("synaptic_ops_per_image", report.synapticOpsPerImage());
        row.put("window_latency", (long) network.timesteps());
        row.put("streaming_latency", ReportFormat.streamingLatency(network));
        return row;
    }

    private static String table(List<Map<String, Object>> rows) {
        StringBuilder text = new StringBuilder();
        String header = "%-22s %-28s %5s %9s %9s %10s %12s %14s %8s %10s%n";
        text.append(String.format(Locale.ROOT, header, "method", "model", "T", "ANN acc", "SNN acc", "agreement",
                "spikes/img", "syn. ops/img", "window", "streaming"));
        for (Map<String, Object> row : rows) {
            String model = (String) row.get("model");
            model = model.substring(Math.max(model.lastIndexOf('/'), model.lastIndexOf('\\')) + 1);
            text.append(String.format(Locale.ROOT, "%-22s %-28s %5d %8.2f%% %8.2f%% %9.2f%% %12.0f %14.0f %8d %10d%n",
                    row.get("method"), model, row.get("timesteps"), 100 * (double) row.get("ann_accuracy"),
                    100 * (double) row.get("snn_accuracy"), 100 * (double) row.get("agreement"),
                    (double) row.get("spikes_per_image"), (double) row.get("synaptic_ops_per_image"),
                    row.get("window_latency"), row.get("streaming_latency")));
        }
        return text.toString();
    }
}
