package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.ratesim.RatesimException;
import org.ratesim.convert.Conversion;
import org.ratesim.convert.ConversionException;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.convert.ThresholdBalancing;
import org.ratesim.io.IdxReader;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ReaderLimits;
import org.ratesim.model.Dataset;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SnnNetwork;

/** Shared steps of the commands: reading models and datasets, and choosing the spiking network to run. */
final class ModelInput {

    static final java.util.Set<String> CONVERSION_FLAGS = java.util.Set.of("--neuron", "--reset", "--epsilon");
    /** Flags of the standard conversion of float ReLU networks by threshold balancing. */
    static final java.util.Set<String> BALANCING_FLAGS = java.util.Set.of("--method", "--timesteps",
            "--calibration-images", "--calibration-labels", "--calibration-limit");

    private ModelInput() {
    }

    static ModelFile readModel(String text) throws IOException {
        Path path = Args.readable(text, "model");
        return ModelReader.read(path, modelLimits());
    }

    /**
     * Returns the reader limits for model files: the defaults, with the JSON header capped at 1/16 of the JVM's
     * maximum heap. Parsing a header costs an estimated several times its size in objects, so a hostile header in a
     * small heap fails with exit code 3 instead of running out of memory. Real headers are a few kilobytes.
     */
    static ReaderLimits modelLimits() {
        long cap = Math.max(Runtime.getRuntime().maxMemory() / 16, 1L << 20);
        return ReaderLimits.DEFAULTS.withMaxHeaderBytes(Math.min(ReaderLimits.DEFAULTS.maxHeaderBytes(), cap));
    }

    /** Returns the dataset of {@code --images}/{@code --labels}, or the model's embedded samples. */
    static Dataset dataset(Args args, ModelFile model, String modelName) throws IOException {
        Path images = args.readablePath("--images");
        Path labels = args.readablePath("--labels");
        Dataset data;
        String imagesName;
        String labelsName;
        if (images != null || labels != null) {
            if (images == null || labels == null) {
                throw new UsageException("--images and --labels must be given together");
            }
            data = IdxReader.readDataset(images, labels, datasetLimits());
            imagesName = images.toString();
            labelsName = labels.toString();
        } else {
            data = model.ann().samples();
            imagesName = modelName + " (embedded samples)";
            labelsName = imagesName;
            if (data == null) {
                throw new UsageException("model " + modelName + " has no embedded samples; pass --images and --labels");
            }
        }
        IdxReader.checkFits(data, model.ann().graph().input(), imagesName, labelsName);
        int limit = args.integer("--limit", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        return data.limit(limit);
    }

    /**
     * Returns the reader limits for datasets: the defaults, with the dataset size capped at half the JVM's maximum
     * heap, so that a file declaring more images than fit fails with exit code 4 instead of running out of memory.
     */
    static ReaderLimits datasetLimits() {
        long half = Runtime.getRuntime().maxMemory() / 2;
        return ReaderLimits.DEFAULTS.withMaxDatasetBytes(Math.min(ReaderLimits.DEFAULTS.maxDatasetBytes(),
                Math.max(half, 1L << 20)));
    }

    static ConversionOptions conversionOptions(Args args) {
        String neuron = args.choice("--neuron", "asg", "asg", "if", "if-ctt");
        String reset = args.choice("--reset", "subtract", "subtract", "zero");
        double epsilon = args.number("--epsilon", 0.0, 0.0, 1e6);
        NeuronRule rule = neuron.equals("asg") ? NeuronRule.ASG : NeuronRule.IF;
        return ConversionOptions.defaults()
                .withNeuron(rule)
                .withReset(reset.equals("zero") ? ResetMode.ZERO : ResetMode.SUBTRACT)
                .withEpsilon(epsilon);
    }

    /**
     * Returns the network to simulate. With {@code --method} it is the threshold-balanced conversion of a float
     * ReLU network, calibrated on {@code --calibration-images} or else on the embedded samples (with a warning on
     * {@code err}, because those are usually test images); otherwise see {@link #network(Args, ModelFile, String)}.
     */
    static SnnNetwork network(Args args, ModelFile model, String modelName, PrintStream err) throws IOException {
        if (!args.has("--method")) {
            for (String flag : BALANCING_FLAGS) {
                if (args.has(flag)) {
                    throw new UsageException(flag + " applies only with --method max|p99.9, which converts float "
                            + "ReLU networks; quantized models fix T in their quantizers");
                }
            }
            return network(args, model, modelName);
        }
        return balancedConversion(args, model, modelName, err).network();
    }

    /** Converts the float ReLU network of {@code model} by threshold balancing, as {@code --method} requests. */
    static Conversion balancedConversion(Args args, ModelFile model, String modelName, PrintStream err)
            throws IOException {
        ThresholdBalancing.Method method = ThresholdBalancing.Method.parse(args.choice("--method", "max", "max",
                "p99.9"));
        if (!args.has("--timesteps")) {
            throw new UsageException("--method needs --timesteps T: ReLU networks have no quantizer that fixes T");
        }
        int timesteps = args.integer("--timesteps", 0, 1, 1 << 20);
        Dataset calibration = calibration(args, model, modelName, err);
        return ThresholdBalancing.convert(model.ann(), calibration, method, timesteps, balancingOptions(args));
    }

    /** Returns the IF rule (or {@code --neuron asg}) and {@code --reset}; threshold balancing needs epsilon 0. */
    static ConversionOptions balancingOptions(Args args) {
        String neuron = args.choice("--neuron", "if", "if", "asg");
        String reset = args.choice("--reset", "subtract", "subtract", "zero");
        if (args.number("--epsilon", 0.0, 0.0, 1e6) != 0.0) {
            throw new UsageException("invalid --epsilon " + args.string("--epsilon", "") + " with --method: "
                    + "balanced thresholds are 1, so leave --epsilon out");
        }
        return ThresholdBalancing.standardOptions()
                .withNeuron(neuron.equals("asg") ? NeuronRule.ASG : NeuronRule.IF)
                .withReset(reset.equals("zero") ? ResetMode.ZERO : ResetMode.SUBTRACT);
    }

    /** Returns the first {@code --calibration-limit} calibration images, or the embedded samples. */
    static Dataset calibration(Args args, ModelFile model, String modelName, PrintStream err)
            throws IOException {
        Path images = args.readablePath("--calibration-images");
        Path labels = args.readablePath("--calibration-labels");
        Dataset data;
        String imagesName;
        if (images != null || labels != null) {
            if (images == null || labels == null) {
                throw new UsageException("--calibration-images and --calibration-labels must be given together");
            }
            data = IdxReader.readDataset(images, labels, datasetLimits());
            imagesName = images.toString();
        } else {
            data = model.ann().samples();
            imagesName = modelName + " (embedded samples)";
            if (data == null) {
                throw new UsageException("model " + modelName + " has no embedded samples to calibrate on; pass "
                        + "--calibration-images and --calibration-labels");
            }
            err.println("ratesim: warning: " + modelName + ": calibrating on the embedded samples; pass training "
                    + "images with --calibration-images, because scales taken from test images inflate accuracy");
        }
        IdxReader.checkFits(data, model.ann().graph().input(), imagesName);
        return data.limit(args.integer("--calibration-limit", Integer.MAX_VALUE, 1, Integer.MAX_VALUE));
    }

    /**
     * Returns the network to simulate: the stored one when the file contains a spiking network and no conversion
     * option asks for another, else a fresh conversion of the ANN.
     */
    static SnnNetwork network(Args args, ModelFile model, String modelName) {
        boolean asksConversion = CONVERSION_FLAGS.stream().anyMatch(args::has);
        boolean wantsCtt = args.string("--neuron", "").equals("if-ctt");
        if (wantsCtt) {
            if (model.snn() == null || model.snn().layers().stream().noneMatch(l -> l.neuron() == NeuronRule.IF_CTT)) {
                throw new UsageException("--neuron if-ctt needs calibrated thresholds, but " + modelName
                        + " holds none; run 'sim.jar calibrate' first");
            }
            return model.snn();
        }
        if (model.snn() != null && !asksConversion) {
            return model.snn();
        }
        return convert(model, conversionOptions(args), modelName).network();
    }

    /** Converts the ANN of {@code model}, naming the file in the message of a conversion error. */
    static Conversion convert(ModelFile model, ConversionOptions options, String modelName) {
        try {
            return Converter.convert(model.ann(), options);
        } catch (ConversionException e) {
            throw new RatesimException(e.exitCode(), modelName + ": " + e.getMessage(), e);
        }
    }
}
