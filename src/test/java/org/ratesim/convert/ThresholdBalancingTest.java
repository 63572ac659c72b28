package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.model.Dataset;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.ExactnessCheck;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.IntegerReference;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.ScalarSpikeKernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testmodels.ModelBuilder;

class ThresholdBalancingTest {

    private static InputSpec input(int channels, int height, int width, double scale, int classes) {
        double[] zeros = new double[channels];
        double[] ones = new double[channels];
        Arrays.fill(ones, 1.0);
        return new InputSpec("input", new int[] {channels, height, width}, scale, zeros, ones, classes);
    }

    private static Dataset single(byte[] image, int[] shape) {
        return new Dataset(image, new int[] {0}, shape);
    }

    private static Simulator.Workspace run(Simulator simulator, byte[] image, ImageResult result) {
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        simulator.run(image, 0, workspace, result);
        return workspace;
    }

    // ---- bias normalization ----

    /**
     * Builds the bias-normalization case: x = b/64, so byte 128 is x = 2 (λ0 = 2); h1 = 2x without bias gives 4 and
     * h2 = 0.5x + 1 gives 2, so the layer's λ1 = 4.
     */
    private static Model biasModel() {
        return new ModelBuilder(input(1, 1, 1, 1.0 / 64, 2))
                .flatten("flat", "chw")
                .linear("hidden", new float[] {2, 0.5f}, 2, 1, new float[] {0, 1})
                .relu("hidden_relu")
                .linear("out", new float[] {1, 0, 0, 1}, 2, 2, null)
                .build();
    }

    @Test
    void biasDividedByOwnScale() {
        byte[] image = {(byte) 128};
        Dataset calibration = single(image, new int[] {1, 1, 1});
        assertEquals(Map.of("hidden_relu", 4.0), ThresholdBalancing.scales(biasModel(), calibration,
                ThresholdBalancing.Method.MAX));

        SnnNetwork network = ThresholdBalancing.convert(biasModel(), calibration, ThresholdBalancing.Method.MAX, 8,
                ThresholdBalancing.standardOptions()).network();
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        Simulator.Workspace workspace = run(simulator, image, result);

        // h1: current 2·2/4 = 1 per step, 8 spikes, decodes to 8/8·4 = 4.
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, workspace.spikeTimes(1, 0));
        // h2: current 0.5·2/4 + 1/4 = 0.5, 4 spikes, decodes to 4/8·4 = 2.0.
        assertArrayEquals(new int[] {2, 4, 6, 8}, workspace.spikeTimes(1, 1));
        assertEquals(2.0, result.neuronCounts(0)[1] / 8.0 * 4.0, 0.0);
        // Readout: W·λ·n/T with identity W gives the decoded activations [4, 2].
        assertArrayEquals(new double[] {4.0, 2.0}, result.logits(), 0.0);
    }

    @Test
    void faultyBiasScalingsFireMore() {
        byte[] image = {(byte) 128};
        SnnNetwork network = ThresholdBalancing.convert(biasModel(), single(image, new int[] {1, 1, 1}),
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()).network();
        SpikingLayer hidden = network.layers().get(0);
        int unit = hidden.threshold()[0];
        assertEquals(unit / 4, hidden.bias()[1], "bias 1/λ1 = 0.25 in units of the threshold");

        // Bias scaled like a weight, 1·λ0/λ1 = 0.5: current 0.75, 6 spikes, decodes to 3.0.
        int[] likeWeight = withBias(network, hidden, unit / 2);
        assertEquals(6, likeWeight.length);
        assertArrayEquals(new int[] {2, 3, 4, 6, 7, 8}, likeWeight);
        // Bias not scaled, 1: current 1.25, saturated at 8 spikes, decodes to 4.0.
        assertEquals(8, withBias(network, hidden, unit).length);
    }

    /** Returns the spike times of h2 when its bias is replaced by {@code bias} integer units. */
    private static int[] withBias(SnnNetwork network, SpikingLayer hidden, int bias) {
        int[] biases = hidden.bias().clone();
        biases[1] = bias;
        SpikingLayer faulty = new SpikingLayer(hidden.name(), hidden.type(), hidden.inputShape(),
                hidden.outputShape(), hidden.kernel(), hidden.stride(), hidden.padding(), hidden.dilation(),
                hidden.groups(), hidden.neuron(), hidden.reset(), hidden.shift(), hidden.weights(),
                hidden.weightValue(), biases, hidden.threshold());
        SnnNetwork faultyNetwork = new SnnNetwork(network.timesteps(), network.encoder(), List.of(faulty),
                network.readout(), network.overflowBound());
        Simulator simulator = new Simulator(faultyNetwork, ScalarSpikeKernels.INSTANCE);
        return run(simulator, new byte[] {(byte) 128}, simulator.newResult()).spikeTimes(1, 1);
    }

    // ---- percentiles ----

    @Test
    void nearestRankOfMethods() {
        assertEquals(1, ThresholdBalancing.Method.MAX.rank(1));
        assertEquals(1000, ThresholdBalancing.Method.MAX.rank(1000));
        assertEquals(1, ThresholdBalancing.Method.P99_9.rank(1));
        assertEquals(999, ThresholdBalancing.Method.P99_9.rank(1000));
        assertEquals(1000, ThresholdBalancing.Method.P99_9.rank(1001));
        assertEquals(1998, ThresholdBalancing.Method.P99_9.rank(2000));
        assertEquals(1999, ThresholdBalancing.Method.P99_9.rank(2001));
        assertThrows(IllegalArgumentException.class, () -> ThresholdBalancing.Method.MAX.rank(0));
    }

    @Test
    void methodParsesCommandLineNames() {
        assertEquals(ThresholdBalancing.Method.MAX, ThresholdBalancing.Method.parse("max"));
        assertEquals(ThresholdBalancing.Method.P99_9, ThresholdBalancing.Method.parse("p99.9"));
        assertThrows(IllegalArgumentException.class, () -> ThresholdBalancing.Method.parse("p99"));
    }

    @Test
    void topValuesMatchFullSort() {
        SplittableRandom random = new SplittableRandom(11);
        int[] sizes = {1, 2, 999, 1000, 1001, 2500, 20000};
        for (int n : sizes) {
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values, so ties sit at the percentile rank too.
                values[i] = random.nextInt(n / 3 + 2) * 0.5;
            }
            for (ThresholdBalancing.Method method : ThresholdBalancing.Method.values()) {
                ThresholdBalancing.TopValues top = new ThresholdBalancing.TopValues(
                        ThresholdBalancing.capacity(method, n));
                for (double value : values) {
                    top.add(value);
                }
                double[] sorted = values.clone();
                Arrays.sort(sorted);
                double expected = sorted[(int) method.rank(n) - 1];
                assertEquals(expected, top.percentile(method), 0.0, method.id() + " of " + n + " values");
            }
        }
    }

    @Test
    void scalesCountOnlyPositiveActivations() {
        // One pixel x = b/255 and a = relu(x − 0.5): bytes 0..255 give 127 zeros and 128 positive values.
        Model model = new ModelBuilder(1, 1, 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, new float[] {-0.5f})
                .relu("fc_relu")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        int n = 256;
        byte[] images = new byte[n];
        for (int b = 0; b < n; b++) {
            images[b] = (byte) b;
        }
        Dataset calibration = new Dataset(images, new int[n], new int[] {1, 1, 1});
        List<Double> positives = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            float x = (float) (b / 255.0);
            float a = Math.max(0.0f, x - 0.5f);
            if (a > 0.0f) {
                positives.add((double) a);
            }
        }
        positives.sort(null);
        assertEquals(128, positives.size());

        double max = ThresholdBalancing.scales(model, calibration, ThresholdBalancing.Method.MAX).get("fc_relu");
        assertEquals(positives.get(127), max, 0.0);
        // Rank ⌈0.999·128⌉ = 128 counts positives only; with the 127 zeros it would be ⌈0.999·255⌉ = 255 of 255.
        double p999 = ThresholdBalancing.scales(model, calibration, ThresholdBalancing.Method.P99_9).get("fc_relu");
        assertEquals(positives.get(127), p999, 0.0);

        // Doubling the zeros must not move λ: 256 extra black images.
        Dataset moreZeros = new Dataset(Arrays.copyOf(images, 2 * n), new int[2 * n], new int[] {1, 1, 1});
        assertEquals(max, ThresholdBalancing.scales(model, moreZeros, ThresholdBalancing.Method.MAX)
                .get("fc_relu"), 0.0);
    }

    @Test
    void p999SkipsRareOutlier() {
        // 2000 images: 1999 give activation b/255 for b in 1..200, one gives 1.0. Rank ⌈0.999·2000⌉ = 1998.
        Model model = new ModelBuilder(1, 1, 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, null)
                .relu("fc_relu")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        int n = 2000;
        byte[] images = new byte[n];
        double[] activations = new double[n];
        for (int i = 0; i < n; i++) {
            int b = i == 0 ? 255 : 1 + i % 200;
            images[i] = (byte) b;
            activations[i] = (float) (b / 255.0);
        }
        Arrays.sort(activations);
        Dataset calibration = new Dataset(images, new int[n], new int[] {1, 1, 1});
        double p999 = ThresholdBalancing.scales(model, calibration, ThresholdBalancing.Method.P99_9).get("fc_relu");
        assertEquals(activations[1997], p999, 0.0);
        assertEquals((float) (200 / 255.0), p999, 0.0);
    }

    // ---- hand-checked network ----

    @Test
    void tinyConvNetworkMatchesHandValues() {
        // x = b/64 on a 3×3 image:      conv ch0 = 0.5·x[h][w] + 0.5·x[h+1][w+1]   conv ch1 = x[h+1][w] − 0.25
        //   1    2    0                   (0,0) 1     (0,1) 2                      (0,0) 0.25  (0,1) 0.75
        //   0.5  1    2                   (1,0) 0.375 (1,1) 1                      (1,0) 0     (1,1) 0
        //   0    0.25 1
        // λ = max = 2, so the constant currents are a/2 and T = 16 gives floor(16·a/2) spikes:
        // ch0 [8, 16, 3, 8], ch1 [2, 6, 0, 0]. The 2×2 average pool emits floor(Σn/4): ch0 35/4 → 8, ch1 8/4 → 2.
        // Readout W·λ·n/T + b with W = [[1, 0], [1, −1]], b = [0.5, −0.25]: [1·2·8/16 + 0.5, (8 − 2)·2/16 − 0.25].
        Model model = new ModelBuilder(input(1, 3, 3, 1.0 / 64, 2))
                .conv("conv", new float[] {0.5f, 0, 0, 0.5f, 0, 0, 1, 0}, new int[] {2, 1, 2, 2},
                        new float[] {0, -0.25f})
                .relu("conv_relu")
                .avgPool("pool", new int[] {2, 2}, null, null)
                .flatten("flat", "chw")
                .linear("out", new float[] {1, 0, 1, -1}, 2, 2, new float[] {0.5f, -0.25f})
                .build();
        byte[] image = {64, (byte) 128, 0, 32, 64, (byte) 128, 0, 16, 64};
        Dataset calibration = single(image, new int[] {1, 3, 3});
        assertEquals(2.0, ThresholdBalancing.scales(model, calibration, ThresholdBalancing.Method.P99_9)
                .get("conv_relu"), 0.0);

        SnnNetwork network = ThresholdBalancing.convert(model, calibration, ThresholdBalancing.Method.MAX, 16,
                ThresholdBalancing.standardOptions()).network();
        assertEquals(Encoder.Type.ANALOG, network.encoder().type());
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        run(simulator, image, result);

        // Channels last: position (h, w) contains [ch0, ch1].
        assertArrayEquals(new int[] {8, 2, 16, 6, 3, 0, 8, 0}, result.neuronCounts(0));
        assertArrayEquals(new int[] {8, 2}, result.neuronCounts(1));
        assertArrayEquals(new double[] {1.5, 0.5}, result.logits(), 0.0);
        assertEquals(0, result.prediction());
        assertEquals(0, result.inputSpikes());
        // First-layer MACs per step: 7 non-zero pixels reach 1+2+2+4+2+2+1 = 14 positions × 2 channels; × T = 16.
        assertEquals(28L * 16, result.synapticOpsPerLayer()[0]);
    }

    @Test
    void asgIgnoresResetOnAnalogInput() {
        Model model = new ModelBuilder(input(1, 3, 3, 1.0 / 64, 2))
                .conv("conv", new float[] {0.5f, 0, 0, 0.5f, 0, 0, 1, 0}, new int[] {2, 1, 2, 2},
                        new float[] {0, -0.25f})
                .relu("conv_relu")
                .avgPool("pool", new int[] {2, 2}, null, null)
                .flatten("flat", "chw")
                .linear("out", new float[] {1, 0, 1, -1}, 2, 2, new float[] {0.5f, -0.25f})
                .build();
        byte[] image = {64, (byte) 128, 0, 32, 64, (byte) 128, 0, 16, 64};
        Dataset calibration = single(image, new int[] {1, 3, 3});

        // ASG emits floor(T·c) for a constant current c whatever the reset, as IF with subtraction does.
        ConversionOptions asgZero = ThresholdBalancing.standardOptions().withNeuron(NeuronRule.ASG)
                .withReset(ResetMode.ZERO);
        SnnNetwork asg = ThresholdBalancing.convert(model, calibration, ThresholdBalancing.Method.MAX, 16, asgZero)
                .network();
        Simulator asgSimulator = new Simulator(asg, ScalarSpikeKernels.INSTANCE);
        ImageResult asgResult = asgSimulator.newResult();
        run(asgSimulator, image, asgResult);
        assertArrayEquals(new int[] {8, 2, 16, 6, 3, 0, 8, 0}, asgResult.neuronCounts(0));
        assertArrayEquals(new int[] {8, 2}, asgResult.neuronCounts(1));

        // IF with reset to zero loses the excess: c = 0.1875 reaches 1.125 every 6 steps, so 2 spikes, not 3.
        SnnNetwork ifZero = ThresholdBalancing.convert(model, calibration, ThresholdBalancing.Method.MAX, 16,
                ThresholdBalancing.standardOptions().withReset(ResetMode.ZERO)).network();
        Simulator ifSimulator = new Simulator(ifZero, ScalarSpikeKernels.INSTANCE);
        ImageResult ifResult = ifSimulator.newResult();
        run(ifSimulator, image, ifResult);
        assertEquals(2, ifResult.neuronCounts(0)[4]);
    }

    @Test
    void maxPoolPassesLargestCount() {
        // x = b/64 on a 1×2×2 image and a 1×1 conv with weight 1: activations [1, 2, 0.5, 0.25], λ = 2, T = 8,
        // counts floor(8·a/2) = [4, 8, 2, 1]. The 2×2 max pool emits the largest count, 8, and keeps λ = 2.
        Model model = new ModelBuilder(input(1, 2, 2, 1.0 / 64, 1))
                .conv("conv", new float[] {1}, new int[] {1, 1, 1, 1}, null)
                .relu("conv_relu")
                .maxPool("pool", new int[] {2, 2}, null, null)
                .flatten("flat", "chw")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        byte[] image = {64, (byte) 128, 32, 16};
        SnnNetwork network = ThresholdBalancing.convert(model, single(image, new int[] {1, 2, 2}),
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()).network();
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        run(simulator, image, result);

        assertArrayEquals(new int[] {4, 8, 2, 1}, result.neuronCounts(0));
        assertArrayEquals(new int[] {8}, result.neuronCounts(1));
        // Readout 1·λ·8/8 = 2, the ANN's max-pooled activation.
        assertArrayEquals(new double[] {2.0}, result.logits(), 0.0);
    }

    @Test
    void activationAboveScaleSaturates() {
        // λ from the first image only (a = 1); the second image gives a = 2, which clips to rate 1: T spikes, and
        // the readout decodes λ = 1 instead of 2.
        Model model = new ModelBuilder(input(1, 1, 1, 1.0 / 64, 1))
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, null)
                .relu("fc_relu")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        SnnNetwork network = ThresholdBalancing.convert(model, single(new byte[] {64}, new int[] {1, 1, 1}),
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()).network();
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        run(simulator, new byte[] {(byte) 128}, result);

        assertArrayEquals(new int[] {8}, result.neuronCounts(0));
        assertArrayEquals(new double[] {1.0}, result.logits(), 0.0);
    }

    @Test
    void analogCurrentExactFromBytes() {
        // x = b/255 is not dyadic, but the per-byte weight w/(255·λ) is rounded once, so the current is Σ w_int·b.
        Model model = new ModelBuilder(1, 1, 2, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {0.75f, -0.5f}, 1, 2, new float[] {0.125f})
                .relu("fc_relu")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        byte[] image = {(byte) 200, 37};
        Conversion conversion = ThresholdBalancing.convert(model, single(image, new int[] {1, 1, 2}),
                ThresholdBalancing.Method.MAX, 64, ThresholdBalancing.standardOptions());
        SpikingLayer fc = conversion.network().layers().get(0);
        long current = (long) fc.weights()[0] * 200 + (long) fc.weights()[1] * 37 + fc.bias()[0];
        long theta = fc.threshold()[0];
        // The calibration image itself sets λ, so its current is one threshold up to rounding of the weights.
        assertTrue(Math.abs(current - theta) <= 255, "current " + current + " vs threshold " + theta);

        Simulator simulator = new Simulator(conversion.network(), ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        run(simulator, image, result);
        long expected = Math.min(64, Math.max(0, Math.floorDiv(64 * current, theta)));
        assertEquals(expected, result.neuronCounts(0)[0]);
    }

    // ---- exactness ----

    @Test
    void exactnessNotApplicableToAnalog() {
        byte[] image = {(byte) 128};
        Dataset data = single(image, new int[] {1, 1, 1});
        SnnNetwork network = ThresholdBalancing.convert(biasModel(), data, ThresholdBalancing.Method.MAX, 8,
                ThresholdBalancing.standardOptions()).network();

        assertFalse(ExactnessCheck.applicable(network));
        assertNull(ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, image, 1));
        assertThrows(IllegalArgumentException.class, () -> new IntegerReference(network));

        EvaluationReport report = Evaluator.evaluate(biasModel(), network, data, ScalarSpikeKernels.INSTANCE,
                Evaluator.Options.defaults());
        assertEquals(-1, report.exactMismatchNeurons());
        assertTrue(Double.isNaN(report.intAnnAccuracy()));
        assertTrue(Double.isNaN(report.intAgreement()));
        // Logits [4, 2]: class 0, the label, and the float ANN agrees.
        assertEquals(1.0, report.snnAccuracy(), 0.0);
        assertEquals(1.0, report.agreement(), 0.0);
        assertEquals(0.0, report.inputSpikesPerImage(), 0.0);
    }

    // ---- rejections ----

    @Test
    void rejectsQuantizedAndUnsupportedGraphs() {
        byte[] image = {1, 2, 3, 4};
        Dataset calibration = single(image, new int[] {1, 2, 2});
        Model quantized = new ModelBuilder(1, 2, 2, 1)
                .clampFloor("encode", 4, 4)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 1, 1, 1}, 1, 4, null)
                .build();
        assertThrows(ConversionException.class, () -> ThresholdBalancing.convert(quantized, calibration,
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()));

        Model noHidden = new ModelBuilder(1, 2, 2, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 1, 1, 1}, 1, 4, null)
                .build();
        assertThrows(ConversionException.class, () -> ThresholdBalancing.convert(noHidden, calibration,
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()));

        Model poolFirst = new ModelBuilder(1, 2, 2, 1)
                .avgPool("pool", new int[] {2, 2}, null, null)
                .relu("pool_relu")
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertThrows(ConversionException.class, () -> ThresholdBalancing.convert(poolFirst, calibration,
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions()));

        Model ok = new ModelBuilder(1, 2, 2, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 1, 1, 1}, 1, 4, null)
                .relu("fc_relu")
                .linear("out", new float[] {1}, 1, 1, null)
                .build();
        assertThrows(IllegalArgumentException.class, () -> ThresholdBalancing.convert(ok, calibration,
                ThresholdBalancing.Method.MAX, 0, ThresholdBalancing.standardOptions()));
        assertThrows(IllegalArgumentException.class, () -> ThresholdBalancing.convert(ok, calibration,
                ThresholdBalancing.Method.MAX, 8, ThresholdBalancing.standardOptions().withEpsilon(0.001)));
    }
}
