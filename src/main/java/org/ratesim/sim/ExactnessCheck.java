package org.ratesim.sim;

import java.util.Arrays;

/**
 * Compares the simulator with {@link IntegerReference} neuron by neuron. For an ASG network, and for any network
 * with T = 1, every count must match. Plain IF networks with T > 1 generally do not. Networks with analog input
 * (threshold-balanced ReLU networks) have no integer counterpart, so the check does not apply to them.
 */
public final class ExactnessCheck {

    private ExactnessCheck() {
    }

    /**
     * Differences over a set of images.
     *
     * @param images                 images compared
     * @param neuronsPerLayer        neurons of each hidden layer (per image)
     * @param inputMismatches        encoded input counts that differ, summed over images
     * @param mismatchesPerLayer     neuron counts of each hidden layer that differ, summed over images
     * @param readoutMismatches      images whose readout potentials differ
     * @param predictionMismatches   images whose predictions differ
     */
    public record Report(int images, long[] neuronsPerLayer, long inputMismatches, long[] mismatchesPerLayer,
                         int readoutMismatches, int predictionMismatches) {

        /** Returns whether every count, readout and prediction matched. */
        public boolean exact() {
            return inputMismatches == 0 && Arrays.stream(mismatchesPerLayer).allMatch(m -> m == 0)
                    && readoutMismatches == 0 && predictionMismatches == 0;
        }
    }

    /** Returns whether {@code network} has an integer quantized ANN to compare with: false for analog input. */
    public static boolean applicable(SnnNetwork network) {
        return network.encoder().type() != Encoder.Type.ANALOG;
    }

    /**
     * Simulates {@code imageCount} consecutive images of {@code images} with {@code kernels} and compares each with
     * the integer reference.
     *
     * @return the differences, or null when the check does not apply to {@code network} (see {@link #applicable})
     */
    public static Report run(SnnNetwork network, SpikeKernels kernels, byte[] images, int imageCount) {
        if (!applicable(network)) {
            return null;
        }
        Simulator simulator = new Simulator(network, kernels);
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        ImageResult result = simulator.newResult();
        IntegerReference reference = new IntegerReference(network);

        int layers = network.layers().size();
        long[] neurons = new long[layers];
        for (int l = 0; l < layers; l++) {
            neurons[l] = network.layers().get(l).outputNeurons();
        }
        long inputMismatches = 0;
        long[] mismatches = new long[layers];
        int readoutMismatches = 0;
        int predictionMismatches = 0;
        for (int image = 0; image < imageCount; image++) {
            int offset = image * simulator.imageBytes();
            simulator.run(images, offset, workspace, result);
            IntegerReference.Result expected = reference.evaluate(images, offset);
            inputMismatches += countDifferences(result.inputCounts(), expected.inputCounts());
            for (int l = 0; l < layers; l++) {
                mismatches[l] += countDifferences(result.neuronCounts(l), expected.layerCounts()[l]);
            }
            if (!Arrays.equals(result.readout(), expected.readout())) {
                readoutMismatches++;
            }
            if (result.prediction() != expected.prediction()) {
                predictionMismatches++;
            }
        }
        return new Report(imageCount, neurons, inputMismatches, mismatches, readoutMismatches, predictionMismatches);
    }

    private static long countDifferences(int[] actual, int[] expected) {
        long differences = 0;
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != expected[i]) {
                differences++;
            }
        }
        return differences;
    }
}
