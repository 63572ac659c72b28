package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.model.Dataset;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.ScalarSpikeKernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.tensor.Tensor;
import org.ratesim.testmodels.ModelBuilder;

/**
 * Rate convergence of the standard conversion on random ReLU networks: decoded rates n/T·λ approach the ANN
 * activations as T grows.
 *
 * <p>Bound of the first layer: it receives the constant current c = a/λ per step (threshold 1), and an IF neuron
 * with reset by subtraction fed a constant c in [0, 1] fires n = floor(T·c) times, so |n/T·λ − a| < λ/T. Scales
 * come from the same images with method max, so every c <= 1. Rounding adds at most half a unit per weight times
 * the byte (at most 255) plus half a unit of bias, relative to the threshold 2^shift, and the float32 ANN adds a
 * relative error far below 10^−5. Deeper layers receive spikes, not constant currents, so their error has no such
 * per-neuron bound; the test checks that their largest error shrinks from T = 16 to T = 1024.
 */
class ThresholdBalancingConvergenceTest {

    /** One hidden SNN layer and the ANN node whose output it approximates, with that output's scale λ. */
    private record Probe(String annNode, double lambda) {
    }

    private static float[] uniform(SplittableRandom random, int n, double low, double high) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return values;
    }

    private static Model denseModel(SplittableRandom random) {
        return new ModelBuilder(1, 4, 4, 3)
                .flatten("flat", "chw")
                .linear("fc1", uniform(random, 12 * 16, -0.5, 0.5), 12, 16, uniform(random, 12, -0.1, 0.3))
                .relu("fc1_relu")
                .linear("fc2", uniform(random, 10 * 12, -0.6, 0.6), 10, 12, uniform(random, 10, -0.1, 0.3))
                .relu("fc2_relu")
                .linear("out", uniform(random, 3 * 10, -1, 1), 3, 10, uniform(random, 3, -0.1, 0.1))
                .build();
    }

    private static Model convModel(SplittableRandom random) {
        return new ModelBuilder(2, 6, 6, 3)
                .conv("conv1", uniform(random, 4 * 2 * 9, -0.4, 0.4), new int[] {4, 2, 3, 3},
                        uniform(random, 4, -0.1, 0.3), "padding", new int[] {1, 1, 1, 1})
                .batchNorm("bn1", uniform(random, 4, 0.5, 1.5), uniform(random, 4, -0.1, 0.2),
                        uniform(random, 4, -0.2, 0.2), uniform(random, 4, 0.5, 2), 1e-5)
                .relu("conv1_relu")
                .avgPool("pool", new int[] {2, 2}, null, null)
                .conv("conv2", uniform(random, 5 * 4 * 4, -0.5, 0.5), new int[] {5, 4, 2, 2},
                        uniform(random, 5, -0.1, 0.3))
                .relu("conv2_relu")
                .dropout("drop")
                .flatten("flat", "chw")
                .linear("out", uniform(random, 3 * 20, -1, 1), 3, 20, null)
                .build();
    }

    private static Dataset randomImages(SplittableRandom random, int count, int[] shape) {
        int pixels = shape[0] * shape[1] * shape[2];
        byte[] images = new byte[count * pixels];
        random.nextBytes(images);
        return new Dataset(images, new int[count], shape);
    }

    @Test
    void denseRatesConverge() {
        for (long seed = 1; seed <= 4; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            Model model = denseModel(random);
            Dataset images = randomImages(random, 6, new int[] {1, 4, 4});
            Map<String, Double> lambdas = ThresholdBalancing.scales(model, images, ThresholdBalancing.Method.MAX);
            List<Probe> probes = List.of(new Probe("fc1_relu", lambdas.get("fc1_relu")),
                    new Probe("fc2_relu", lambdas.get("fc2_relu")));
            checkConvergence(model, images, probes, "dense seed " + seed);
        }
    }

    @Test
    void convRatesConverge() {
        for (long seed = 1; seed <= 4; seed++) {
            SplittableRandom random = new SplittableRandom(100 + seed);
            Model model = convModel(random);
            Dataset images = randomImages(random, 6, new int[] {2, 6, 6});
            Map<String, Double> lambdas = ThresholdBalancing.scales(model, images, ThresholdBalancing.Method.MAX);
            double first = lambdas.get("conv1_relu");
            List<Probe> probes = List.of(new Probe("conv1_relu", first), new Probe("pool", first),
                    new Probe("conv2_relu", lambdas.get("conv2_relu")));
            checkConvergence(model, images, probes, "conv seed " + seed);
        }
    }

    /** Checks the first-layer bound at T = 16 and 1024, and that the network's largest error shrinks. */
    private static void checkConvergence(Model model, Dataset images, List<Probe> probes, String label) {
        double coarse = maxError(model, images, probes, 16, label);
        double fine = maxError(model, images, probes, 1024, label);
        assertTrue(fine < coarse, label + ": largest error " + fine + " at T = 1024 is not below " + coarse
                + " at T = 16");
    }

    /** Returns the largest |n/T·λ − a| / λ over all hidden neurons and images. */
    private static double maxError(Model model, Dataset images, List<Probe> probes, int timesteps, String label) {
        SnnNetwork network = ThresholdBalancing.convert(model, images, ThresholdBalancing.Method.MAX, timesteps,
                ThresholdBalancing.standardOptions()).network();
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        ImageResult result = simulator.newResult();
        FloatExecutor executor = new FloatExecutor(model);

        SpikingLayer first = network.layers().get(0);
        int fanIn = first.inputNeurons();
        double rounding = (0.5 * 255 * fanIn + 0.5) / first.threshold()[0] + 1e-5;
        double worst = 0.0;
        for (int image = 0; image < images.size(); image++) {
            int offset = image * images.pixelsPerImage();
            simulator.run(images.images(), offset, workspace, result);
            Map<String, Tensor> activations = executor.activations(images.images(), offset);
            for (int l = 0; l < probes.size(); l++) {
                Probe probe = probes.get(l);
                float[] ann = activations.get(probe.annNode()).floats();
                int[] counts = result.neuronCounts(l);
                int[] shape = network.layers().get(l).outputShape();
                for (int c = 0; c < shape[0]; c++) {
                    for (int position = 0; position < shape[1] * shape[2]; position++) {
                        double expected = ann[c * shape[1] * shape[2] + position] / probe.lambda();
                        double decoded = counts[position * shape[0] + c] / (double) timesteps;
                        double error = Math.abs(decoded - expected);
                        if (l == 0) {
                            // Relative to λ: |n/T − a/λ| < 1/T plus rounding.
                            assertTrue(error < 1.0 / timesteps + rounding, label + ", T = " + timesteps
                                    + ", image " + image + ", neuron (" + c + ", " + position + "): error " + error
                                    + " exceeds 1/T + " + rounding);
                        }
                        worst = Math.max(worst, error);
                    }
                }
            }
        }
        return worst;
    }
}
