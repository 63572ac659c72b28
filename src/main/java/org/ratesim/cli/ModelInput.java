package org.ratesim.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.ratesim.RatesimException;
import org.ratesim.convert.Conversion;
import org.ratesim.convert.ConversionException;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
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

    private ModelInput() {
    }

    static ModelFile readModel(String text) throws IOException {
        Path path = Args.readable(text, "model");
        return ModelReader.read(path);
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
            data = IdxReader.readDataset(images, labels, ReaderLimits.DEFAULTS);
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
     * Returns the network to simulate: the stored one when the file holds a spiking network and no conversion
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
