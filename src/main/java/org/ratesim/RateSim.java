package org.ratesim;

import java.io.IOException;
import java.nio.file.Path;
import org.ratesim.convert.Conversion;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Dataset;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;

/**
 * The embedding API: load a model file, convert its ANN, classify images and evaluate datasets.
 *
 * <pre>{@code
 * ModelFile file = RateSim.load(Path.of("testdata/fashion_t4_l8.safetensors"));
 * SnnNetwork snn = RateSim.convert(file, ConversionOptions.defaults()).network();
 * RateSim.Classifier classifier = RateSim.classifier(snn);
 * int label = classifier.classify(imageBytes);   // one image, C × H × W bytes, channels first
 * }</pre>
 *
 * <p>A {@link Classifier} reuses its buffers, so classifying allocates nothing once warm; it is for one thread at a
 * time. Networks are immutable and may be shared by any number of classifiers.
 */
public final class RateSim {

    private RateSim() {
    }

    /**
     * Reads and validates a model file.
     *
     * @throws org.ratesim.io.InvalidModelException when the file violates the format
     */
    public static ModelFile load(Path file) throws IOException {
        return ModelReader.read(file);
    }

    /** Writes a model file, with its spiking network when {@code file.snn()} is not null. */
    public static void save(ModelFile file, Path path) throws IOException {
        ModelWriter.write(file, path);
    }

    /**
     * Converts the file's ANN into a spiking network.
     *
     * @throws org.ratesim.convert.ConversionException when the graph is unsupported or could overflow int32
     */
    public static Conversion convert(ModelFile file, ConversionOptions options) {
        return Converter.convert(file.ann(), options);
    }

    /** Returns a single-threaded classifier for {@code network} on the kernels chosen for this JVM. */
    public static Classifier classifier(SnnNetwork network) {
        return new Classifier(network);
    }

    /**
     * Evaluates {@code data} on {@code network} against the file's float ANN and the integer quantized ANN, on
     * {@code threads} threads.
     */
    public static EvaluationReport evaluate(ModelFile file, SnnNetwork network, Dataset data, int threads) {
        return Evaluator.evaluate(file.ann(), network, data, Kernels.get(),
                new Evaluator.Options(threads, true, null));
    }

    /** Simulates one image at a time with reusable buffers; not thread-safe. */
    public static final class Classifier {

        private final Simulator simulator;
        private final Simulator.Workspace workspace;
        private final ImageResult result;

        private Classifier(SnnNetwork network) {
            this.simulator = new Simulator(network, Kernels.get());
            this.workspace = simulator.newWorkspace();
            this.result = simulator.newResult();
        }

        /** Returns the predicted class of one image of C × H × W bytes. */
        public int classify(byte[] image) {
            return simulate(image, 0).prediction();
        }

        /**
         * Simulates the image starting at {@code offset} and returns its statistics: prediction, readout, spikes and
         * synaptic operations per layer. The result is overwritten by the next call.
         */
        public ImageResult simulate(byte[] images, int offset) {
            if (offset < 0 || images.length - offset < simulator.imageBytes()) {
                throw new IllegalArgumentException("image needs " + simulator.imageBytes() + " bytes from offset "
                        + offset + ", array has " + images.length);
            }
            simulator.run(images, offset, workspace, result);
            return result;
        }
    }
}
