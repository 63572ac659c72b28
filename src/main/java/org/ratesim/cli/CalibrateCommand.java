package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.convert.CttCalibration;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Dataset;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;

/**
 * {@code calibrate MODEL --images IDX --labels IDX -o OUT}: converts the ANN to plain IF neurons, calibrates one
 * threshold per channel with CTT, and writes the model with the calibrated network.
 */
final class CalibrateCommand {

    static final Set<String> VALUE_FLAGS = Set.of("-o", "--output", "--images", "--labels", "--limit", "--passes",
            "--learning-rate", "--batch", "--initial-scale", "--threads", "--reset", "--epsilon", "--schedule",
            "--summary-images");
    static final Set<String> SWITCHES = Set.of("--no-linear");

    private CalibrateCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args args = Args.parse("calibrate", argv, VALUE_FLAGS, SWITCHES);
        if (args.positionals().size() != 1) {
            throw new UsageException("calibrate needs exactly one MODEL file, got " + args.positionals().size());
        }
        String output = args.string("-o", args.string("--output", null));
        if (output == null) {
            throw new UsageException("calibrate needs -o OUT, the file to write");
        }
        if (!args.has("--images")) {
            throw new UsageException("calibrate needs --images and --labels: the calibration images, "
                    + "preferably training images");
        }
        CttCalibration.Options options = options(args);
        // The converter runs with plain IF neurons; --reset and --epsilon set its reset mode and threshold margin.
        ConversionOptions conversion = ModelInput.conversionOptions(args).withNeuron(NeuronRule.IF);

        String modelName = args.positionals().get(0);
        ModelFile model = ModelInput.readModel(modelName);
        Dataset data = ModelInput.dataset(args, model, modelName);
        SnnNetwork network = Converter.convert(model.ann(), conversion).network();

        err.println("ratesim: calibrating " + modelName + " on " + data.size() + " images: T = "
                + network.timesteps() + ", passes " + options.passes() + ", batch " + options.batchSize()
                + ", learning rate " + options.learningRate() + ", threads " + options.threads());
        CttCalibration.Result result = CttCalibration.calibrate(network, data, Kernels.get(),
                options.withProgress(progress(err)));

        ModelWriter.write(new ModelFile(model.ann(), result.network(), model.extraMetadata()), Path.of(output));
        out.print(summary(result));
        err.println("ratesim: wrote " + output + "; evaluate it with 'sim.jar run " + output
                + " --neuron if-ctt --images IDX --labels IDX'");
        return 0;
    }

    static CttCalibration.Options options(Args args) {
        int passes = args.integer("--passes", CttCalibration.DEFAULT_PASSES, 1, 1000);
        int batch = args.integer("--batch", CttCalibration.DEFAULT_BATCH, 1, Integer.MAX_VALUE);
        double learningRate = args.number("--learning-rate", CttCalibration.DEFAULT_LEARNING_RATE, 1e-9, 100.0);
        double initialScale = args.number("--initial-scale", 1.0, 1e-3, 1e3);
        int threads = args.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String schedule = args.choice("--schedule", "layer", "layer", "all");
        int summaryImages = args.integer("--summary-images", CttCalibration.DEFAULT_SUMMARY_IMAGES, 1,
                Integer.MAX_VALUE);
        return CttCalibration.Options.defaults()
                .withPasses(passes)
                .withBatchSize(batch)
                .withLearningRate(learningRate)
                .withInitialScale(initialScale)
                .withIncludeLinear(!args.has("--no-linear"))
                .withSchedule(schedule.equals("all") ? CttCalibration.Schedule.ALL_LAYERS
                        : CttCalibration.Schedule.LAYER_BY_LAYER)
                .withThreads(threads)
                .withSummaryImages(summaryImages);
    }

    /** Formats one line per calibrated layer: threshold scale and firing-rate gap before and after. */
    static String summary(CttCalibration.Result result) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-24s %-11s %8s %8s %8s %10s %10s%n", "layer", "type",
                "channels", "θ before", "θ after", "gap before", "gap after"));
        for (CttCalibration.LayerSummary layer : result.layers()) {
            text.append(String.format(Locale.ROOT, "%-24s %-11s %8d %8.4f %8.4f %10.5f %10.5f%n", layer.name(),
                    layer.type().id(), layer.channels(), layer.meanScaleBefore(), layer.meanScaleAfter(),
                    layer.rateGapBefore(), layer.rateGapAfter()));
        }
        text.append(String.format(Locale.ROOT, "θ: mean per-channel threshold / converted threshold; gap: mean "
                + "per-channel |rate ASG − rate IF| in spikes per neuron and step, over the first %d of %d "
                + "calibration images%n", result.summaryImages(), result.images()));
        return text.toString();
    }

    /** Prints progress to stderr at most every two seconds. */
    private static CttCalibration.Progress progress(PrintStream err) {
        long start = System.nanoTime();
        long[] lastPrint = {start};
        return (done, total) -> {
            long now = System.nanoTime();
            if (now - lastPrint[0] >= 2_000_000_000L && done < total) {
                lastPrint[0] = now;
                err.printf(Locale.ROOT, "ratesim: calibrate: %d/%d batches, %.0f s%n", done, total,
                        (now - start) / 1e9);
            }
        };
    }
}
