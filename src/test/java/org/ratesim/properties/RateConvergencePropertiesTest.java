package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionException;
import org.ratesim.convert.ThresholdBalancing;
import org.ratesim.model.Dataset;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.tensor.Tensor;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.Property;
import org.ratesim.testmodels.ModelBuilder;

/**
 * Rate convergence of the standard conversion ({@link ThresholdBalancing}, method max, IF neurons with reset by
 * subtraction) on generated float ReLU networks: the decoded rate n/T approaches a/λ as T grows.
 *
 * <p>Bound of the first layer: it receives the constant current c = a/λ per step with threshold 1, and an IF neuron
 * with reset by subtraction fed a constant c in [0, 1] fires n = floor(T·c) times, so |n/T − a/λ| < 1/T. The scales
 * come from the same images with method max, so every c ≤ 1. Rounding the per-byte weights and the bias to fixed
 * point adds at most 0.5·255·fanIn + 0.5 units of the threshold, and the float32 ANN adds a relative error far
 * below 10^−5. Deeper layers receive spikes, not constant currents, so their error has no such per-neuron bound,
 * and the second property only checks that the largest error shrinks from T = 16 to T = 1024 where the error at
 * T = 16 is at least 1/32.
 *
 * <p>Each property runs 1/10 of {@code -Dratesim.tries}, 100 tries by default, because each try simulates a whole
 * network at T = 1024.
 */
class RateConvergencePropertiesTest {

    /** Fraction of {@code -Dratesim.tries} that each property runs. */
    private static final int TRIES_DIVISOR = 10;
    /** Largest number of images per try; the scales λ come from the same images. */
    private static final int MAX_IMAGES = 4;
    private static final int COARSE_T = 16;
    private static final int FINE_T = 1024;
    /** Smallest largest error at T = 16 for which the convergence property compares the two windows. */
    private static final double MIN_COARSE_ERROR = 1.0 / 32;

    /**
     * One hidden SNN layer's ANN counterpart: the node whose output it approximates and the relu node whose scale
     * λ divides that output. An average pool keeps the λ of the relu before it.
     */
    record Probe(String annNode, String lambdaNode) {
    }

    /** A generated ReLU network with one probe per hidden SNN layer, in network order. */
    record Network(String description, Model model, List<Probe> probes, int[] imageShape) {

        int imageBytes() {
            return imageShape[0] * imageShape[1] * imageShape[2];
        }
    }

    /** A network, its images and a window T for the first-layer bound. */
    record Case(Network network, int imageCount, byte[] images, int timesteps) {

        Dataset dataset() {
            return new Dataset(images, new int[imageCount], network.imageShape());
        }
    }

    static Gen<Case> cases() {
        Gen<Network> networks = Gen.oneOf(Gen.of(RateConvergencePropertiesTest::denseNetwork),
                Gen.of(RateConvergencePropertiesTest::convNetwork));
        return networks.flatMap(network -> Gen.zip(Gen.integers(1, MAX_IMAGES), Gen.integers(1, FINE_T),
                (count, timesteps) -> new int[] {count, timesteps}).flatMap(choice -> ModelGen.images(
                        network.imageBytes(), choice[0]).map(images -> new Case(network, choice[0], images,
                                choice[1])))).filter(RateConvergencePropertiesTest::convertsAtFineT);
    }

    /**
     * Returns whether the network converts at T = 1024. The converter rejects a layer whose window bound
     * T·(Σ|w| + |b|) + θ could overflow int32, which happens when the images give a tiny λ (few, small positive
     * activations) and so huge weights W/λ. Such cases are drawn again.
     */
    private static boolean convertsAtFineT(Case c) {
        try {
            ThresholdBalancing.convert(c.network().model(), c.dataset(), ThresholdBalancing.Method.MAX, FINE_T,
                    ThresholdBalancing.standardOptions());
            return true;
        } catch (ConversionException e) {
            return false;
        }
    }

    @Test
    void firstLayerErrorWithinBound() {
        // For all generated dense and conv ReLU networks and images, every first-layer neuron's decoded rate n/T
        // lies within 1/T plus the fixed-point rounding of a/λ, at T = 16, 1024 and a drawn T in [1, 1024].
        Property.forAll("first-layer rate error below 1/T plus rounding", cases(), c -> {
            for (int timesteps : new int[] {COARSE_T, FINE_T, c.timesteps()}) {
                maxError(c, timesteps, true);
            }
            return true;
        }, Tries.divided(TRIES_DIVISOR));
    }

    @Test
    void networkErrorShrinksWithT() {
        // For all generated networks and images whose largest |n/T − a/λ| over all hidden neurons and images is at
        // least 1/32 at T = 16, that largest error is smaller at T = 1024. Below 1/32 the comparison is not informative:
        // activations that happen to lie on multiples of 1/16 give a T = 16 error of 0 or of float32 noise, while
        // one spike missed in a deeper layer costs 1/1024 at T = 1024.
        AtomicInteger compared = new AtomicInteger();
        AtomicInteger tries = new AtomicInteger();
        Property.forAll("largest rate error smaller at T = 1024 than at T = 16", cases(), c -> {
            tries.incrementAndGet();
            double coarse = maxError(c, COARSE_T, false);
            if (coarse < MIN_COARSE_ERROR) {
                return true;
            }
            compared.incrementAndGet();
            double fine = maxError(c, FINE_T, false);
            assertTrue(fine < coarse, c.network().description() + ": largest error " + fine + " at T = " + FINE_T
                    + " is not below " + coarse + " at T = " + COARSE_T);
            return true;
        }, Tries.divided(TRIES_DIVISOR));

        // Most generated networks must reach the comparison, or the property tested less than it claims.
        assertTrue(2 * compared.get() > tries.get(), "only " + compared + " of " + tries
                + " tries had a largest error of at least " + MIN_COARSE_ERROR + " at T = " + COARSE_T);
    }

    /**
     * Returns the largest |n/T − a/λ| over all hidden neurons and images at window {@code timesteps}. With
     * {@code checkFirstLayer}, asserts the first-layer bound for every neuron on the way.
     */
    private static double maxError(Case c, int timesteps, boolean checkFirstLayer) {
        Model model = c.network().model();
        Dataset images = c.dataset();
        Map<String, Double> lambdas = ThresholdBalancing.scales(model, images, ThresholdBalancing.Method.MAX);
        SnnNetwork network = ThresholdBalancing.convert(model, images, ThresholdBalancing.Method.MAX, timesteps,
                ThresholdBalancing.standardOptions()).network();
        Simulator simulator = new Simulator(network, Kernels.scalar());
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        ImageResult result = simulator.newResult();
        FloatExecutor executor = new FloatExecutor(model);

        SpikingLayer first = network.layers().get(0);
        // Rounding of the per-byte weights (at most 255 each) and of the bias, in units of the threshold 2^shift,
        // plus the float32 error of the ANN; fanIn counts every input neuron, more than a conv neuron reads.
        double rounding = (0.5 * 255 * first.inputNeurons() + 0.5) / first.threshold()[0] + 1e-5;
        List<Probe> probes = c.network().probes();
        double worst = 0.0;
        for (int image = 0; image < images.size(); image++) {
            int offset = image * images.pixelsPerImage();
            simulator.run(images.images(), offset, workspace, result);
            Map<String, Tensor> activations = executor.activations(images.images(), offset);
            for (int l = 0; l < probes.size(); l++) {
                Probe probe = probes.get(l);
                double lambda = lambdas.get(probe.lambdaNode());
                float[] ann = activations.get(probe.annNode()).floats();
                int[] counts = result.neuronCounts(l);
                int[] shape = network.layers().get(l).outputShape();
                int positions = shape[1] * shape[2];
                for (int channel = 0; channel < shape[0]; channel++) {
                    for (int position = 0; position < positions; position++) {
                        double expected = ann[channel * positions + position] / lambda;
                        double decoded = counts[position * shape[0] + channel] / (double) timesteps;
                        double error = Math.abs(decoded - expected);
                        if (checkFirstLayer && l == 0) {
                            assertTrue(error < 1.0 / timesteps + rounding, c.network().description() + ", T = "
                                    + timesteps + ", image " + image + ", neuron (" + channel + ", " + position
                                    + "): decoded " + decoded + ", a/λ " + expected + ", error " + error
                                    + " exceeds 1/T + " + rounding);
                        }
                        worst = Math.max(worst, error);
                    }
                }
            }
        }
        return worst;
    }

    /** Draws {@code flatten → (linear → relu){1..3} → linear} on a 1 to 2 channel image of 2 to 5 pixels a side. */
    private static Network denseNetwork(SplittableRandom random) {
        int[] imageShape = {1 + random.nextInt(2), 2 + random.nextInt(4), 2 + random.nextInt(4)};
        int classes = 2 + random.nextInt(3);
        int hiddenLayers = 1 + random.nextInt(3);
        ModelBuilder builder = new ModelBuilder(imageShape[0], imageShape[1], imageShape[2], classes)
                .flatten("flat", "chw");
        List<Probe> probes = new ArrayList<>();
        StringBuilder description = new StringBuilder("dense " + shapeText(imageShape));
        int features = imageShape[0] * imageShape[1] * imageShape[2];
        for (int h = 0; h < hiddenLayers; h++) {
            int width = 2 + random.nextInt(11);
            String name = "fc" + h;
            builder.linear(name, weights(random, width * features, features), width, features,
                    uniform(random, width, -0.1, 0.3));
            builder.relu(name + "_relu");
            probes.add(new Probe(name + "_relu", name + "_relu"));
            description.append(" -> ").append(width);
            features = width;
        }
        builder.linear("out", weights(random, classes * features, features), classes, features,
                uniform(random, classes, -0.1, 0.1));
        description.append(" -> ").append(classes);
        return new Network(description.toString(), builder.build(), probes, imageShape);
    }

    /**
     * Draws {@code (conv [batch_norm] relu [avg_pool]){1..2} → flatten → [linear → relu] → linear} on a 1 to 3
     * channel image of 4 to 7 pixels a side: 2 to 4 weighted layers.
     */
    private static Network convNetwork(SplittableRandom random) {
        int[] imageShape = {1 + random.nextInt(3), 4 + random.nextInt(4), 4 + random.nextInt(4)};
        int classes = 2 + random.nextInt(3);
        int convLayers = 1 + random.nextInt(2);
        ModelBuilder builder = new ModelBuilder(imageShape[0], imageShape[1], imageShape[2], classes);
        List<Probe> probes = new ArrayList<>();
        StringBuilder description = new StringBuilder("conv " + shapeText(imageShape));
        int[] shape = imageShape.clone();
        for (int k = 0; k < convLayers; k++) {
            String name = "conv" + k;
            int outChannels = 1 + random.nextInt(4);
            int kernel = 1 + random.nextInt(Math.min(3, Math.min(shape[1], shape[2])));
            int pad = random.nextInt(2);
            int fanIn = shape[0] * kernel * kernel;
            builder.conv(name, weights(random, outChannels * fanIn, fanIn),
                    new int[] {outChannels, shape[0], kernel, kernel}, uniform(random, outChannels, -0.1, 0.3),
                    "padding", new int[] {pad, pad, pad, pad});
            shape = new int[] {outChannels, shape[1] + 2 * pad - kernel + 1, shape[2] + 2 * pad - kernel + 1};

            description.append(" -> conv").append(kernel).append('x').append(kernel).append(' ')
                    .append(shapeText(shape));
            if (random.nextInt(3) == 0) {
                builder.batchNorm(name + "_bn", uniform(random, outChannels, 0.5, 1.5),
                        uniform(random, outChannels, -0.1, 0.2), uniform(random, outChannels, -0.2, 0.2),
                        uniform(random, outChannels, 0.5, 2), 1e-5);
                description.append(" bn");
            }
            builder.relu(name + "_relu");
            probes.add(new Probe(name + "_relu", name + "_relu"));

            if (shape[1] >= 2 && shape[2] >= 2 && random.nextBoolean()) {
                builder.avgPool(name + "_pool", new int[] {2, 2}, null, null);
                probes.add(new Probe(name + "_pool", name + "_relu"));
                shape = new int[] {shape[0], shape[1] / 2, shape[2] / 2};
                description.append(" -> avg_pool ").append(shapeText(shape));
            }
            if (random.nextInt(4) == 0) {
                builder.dropout(name + "_drop");
            }
        }

        builder.flatten("flat", "chw");
        int features = shape[0] * shape[1] * shape[2];
        if (random.nextBoolean()) {
            int width = 2 + random.nextInt(7);
            builder.linear("fc", weights(random, width * features, features), width, features,
                    uniform(random, width, -0.1, 0.3));
            builder.relu("fc_relu");
            probes.add(new Probe("fc_relu", "fc_relu"));
            description.append(" -> ").append(width);
            features = width;
        }
        builder.linear("out", weights(random, classes * features, features), classes, features, null);
        description.append(" -> ").append(classes);
        return new Network(description.toString(), builder.build(), probes, imageShape);
    }

    /** Draws weights uniform in ±1.5/√fanIn, so the typical pre-activation stays of order 1 at any fan-in. */
    private static float[] weights(SplittableRandom random, int count, int fanIn) {
        double limit = 1.5 / Math.sqrt(fanIn);
        return uniform(random, count, -limit, limit);
    }

    private static float[] uniform(SplittableRandom random, int count, double low, double high) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return values;
    }

    private static String shapeText(int[] shape) {
        return shape[0] + "x" + shape[1] + "x" + shape[2];
    }
}
