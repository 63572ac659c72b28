package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.model.Dataset;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.IntegerReference;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testmodels.RandomModels;

/**
 * Tests the CTT update on hand-built networks whose IF and ASG counts are worked out below, and its determinism on
 * random converted networks.
 *
 * <p>The hand-built network has T = 4, a VR encoder with L = 4 on one 1×1 pixel, and one 1×1 conv layer with
 * threshold θ = 100. Pixel 128 gives min(floor(4·128/255), 4) = 2 input spikes, at steps 2 and 4. Its channels:
 * <ul>
 *   <li>weight 200, bias 0: ASG 400/100 = 4 spikes; IF fires at steps 2, 3, 4 only (no charge at step 1), so it
 *       under-fires by 1.</li>
 *   <li>weight −200, bias 100: ASG (400 − 400)/100 = 0 spikes; IF fires at step 1 on the bias before the
 *       negative input arrives, so it over-fires by 1.</li>
 *   <li>weight 0, bias 50: ASG 200/100 = 2; IF fires at steps 2 and 4, so both agree.</li>
 * </ul>
 * With B = 1 and H·W = 1, D = ±1/4 for the first two channels, so η = 0.1 moves them by round(0.1·100·0.25) =
 * round(2.5) = 3 integer units.
 */
class CttCalibrationTest {

    private static final int THETA = 100;
    private static final byte PIXEL = (byte) 128;
    private static final int[] WEIGHTS = {200, -200, 0};
    private static final int[] BIASES = {0, 100, 50};

    @Test
    void updateDirectionFollowsFiringGap() {
        SnnNetwork network = oneConv(WEIGHTS, BIASES);
        assertReferenceCounts(network, new int[] {4, 0, 2});

        CttCalibration.Result result = calibrate(network, oneImage(), options(0.1, 1));
        int[] threshold = result.network().layers().get(0).threshold();

        assertEquals(THETA - 3, threshold[0], "under-firing channel: threshold must drop by round(η·θ·D) = 3");
        assertEquals(THETA + 3, threshold[1], "over-firing channel: threshold must rise by 3");
        assertEquals(THETA, threshold[2], "channel that matches ASG: threshold must stay");
    }

    @Test
    void calibratedLayersUseIfCtt() {
        CttCalibration.Result result = calibrate(oneConv(WEIGHTS, BIASES), oneImage(), options(0.1, 1));

        assertEquals(NeuronRule.IF_CTT, result.network().layers().get(0).neuron());
        assertEquals(NeuronRule.ACCUMULATE, result.network().readout().neuron());
        assertEquals(1, result.layers().size());
    }

    @Test
    void summaryReportsGapBeforeAndAfter() {
        CttCalibration.Result result = calibrate(oneConv(WEIGHTS, BIASES), oneImage(), options(0.1, 1));
        CttCalibration.LayerSummary summary = result.layers().get(0);

        // Gaps of 1, 1 and 0 spikes over 4 neuron-steps each, averaged over 3 channels.
        assertEquals(2.0 / 3 / 4, summary.rateGapBefore(), 1e-12);
        assertEquals(1.0, summary.meanScaleBefore(), 1e-12);
        assertEquals((97.0 / 100 + 103.0 / 100 + 1.0) / 3, summary.meanScaleAfter(), 1e-12);
        // ASG fires 4 + 0 + 2 spikes over 3 channels × 4 steps.
        assertEquals(6.0 / 12, summary.referenceRate(), 1e-12);
    }

    @Test
    void summaryCoversRequestedImages() {
        // Two copies of the image: the summary of one whole batch measures the same gaps as the summary of both.
        Dataset twoImages = new Dataset(new byte[] {PIXEL, PIXEL}, new int[] {0, 0}, new int[] {1, 1, 1});
        CttCalibration.Result result = calibrate(oneConv(WEIGHTS, BIASES), twoImages,
                options(0.1, 1).withSummaryImages(1));

        assertEquals(2, result.images());
        assertEquals(1, result.summaryImages());
        assertEquals(2.0 / 3 / 4, result.layers().get(0).rateGapBefore(), 1e-12);
    }

    @Test
    void channelsCalibrateIndependently() {
        int[] together = calibrate(oneConv(WEIGHTS, BIASES), oneImage(), options(0.1, 3))
                .network().layers().get(0).threshold();
        for (int c = 0; c < WEIGHTS.length; c++) {
            int[] alone = calibrate(oneConv(new int[] {WEIGHTS[c]}, new int[] {BIASES[c]}), oneImage(),
                    options(0.1, 3)).network().layers().get(0).threshold();
            assertEquals(alone[0], together[c], "channel " + c + " alone vs next to the others");
        }
    }

    @Test
    void thresholdNeverDropsBelowOne() {
        // The first channel cannot fire at step 1, so it under-fires at every threshold and keeps dropping.
        CttCalibration.Result result = calibrate(oneConv(WEIGHTS, BIASES), oneImage(), options(10.0, 20));
        int[] threshold = result.network().layers().get(0).threshold();

        assertEquals(1, threshold[0]);
        assertTrue(threshold[1] > THETA, "over-firing channel must end above " + THETA + ", got " + threshold[1]);
    }

    @Test
    void initialScaleSetsStartingThresholds() {
        // A learning rate too small to move any threshold by one unit leaves the initial values.
        CttCalibration.Options options = options(1e-6, 1).withInitialScale(1.5);
        int[] threshold = calibrate(oneConv(WEIGHTS, BIASES), oneImage(), options)
                .network().layers().get(0).threshold();

        assertArrayEquals(new int[] {150, 150, 150}, threshold);
    }

    @Test
    void overflowBoundCoversRaisedThresholds() {
        CttCalibration.Result result = calibrate(oneConv(WEIGHTS, BIASES), oneImage(),
                options(1e-6, 1).withInitialScale(1000));

        // T·(|w| + |b|) + θ of the second channel: 4·(200 + 100) + 100000.
        assertTrue(result.network().overflowBound() >= 4 * 300 + 100_000,
                "overflow bound " + result.network().overflowBound());
    }

    @Test
    void resultIgnoresThreadCount() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 8; trial++) {
            RandomModels.Generated generated = RandomModels.generate(random, 2 + random.nextInt(5), true);
            SnnNetwork network = Converter.convert(generated.model(),
                    ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
            if (CttCalibration.calibratedLayers(network, true).isEmpty()) {
                continue;
            }
            int images = 37;
            byte[] pixels = RandomModels.images(random, images, generated.imageBytes());
            Dataset data = new Dataset(pixels, new int[images], network.encoder().shape());
            CttCalibration.Options options = CttCalibration.Options.defaults().withBatchSize(5)
                    .withLearningRate(0.5).withPasses(2);

            for (CttCalibration.Schedule schedule : CttCalibration.Schedule.values()) {
                SnnNetwork single = CttCalibration.calibrate(network, data, Kernels.scalar(),
                        options.withSchedule(schedule).withThreads(1)).network();
                SnnNetwork parallel = CttCalibration.calibrate(network, data, Kernels.scalar(),
                        options.withSchedule(schedule).withThreads(3)).network();
                for (int l = 0; l < network.layers().size(); l++) {
                    assertArrayEquals(single.layers().get(l).threshold(), parallel.layers().get(l).threshold(),
                            "trial " + trial + ", " + schedule + ", layer " + l);
                }
                assertEquals(single.overflowBound(), parallel.overflowBound());
            }
        }
    }

    @Test
    void referenceCountsMatchIntegerReference() {
        SplittableRandom random = new SplittableRandom(19);
        for (int trial = 0; trial < 20; trial++) {
            RandomModels.Generated generated = RandomModels.generate(random, 1 + random.nextInt(8), true);
            SnnNetwork network = Converter.convert(generated.model(),
                    ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
            int images = 9;
            byte[] pixels = RandomModels.images(random, images, generated.imageBytes());
            Dataset data = new Dataset(pixels, new int[images], network.encoder().shape());

            long[][] expected = new long[network.layers().size()][];
            for (int l = 0; l < expected.length; l++) {
                expected[l] = new long[network.layers().get(l).outputChannels()];
            }
            IntegerReference reference = new IntegerReference(network);
            for (int image = 0; image < images; image++) {
                int[][] counts = reference.evaluate(pixels, image * generated.imageBytes()).layerCounts();
                for (int l = 0; l < expected.length; l++) {
                    for (int i = 0; i < counts[l].length; i++) {
                        expected[l][i % expected[l].length] += counts[l][i];
                    }
                }
            }

            try (ChannelCounter counter = new ChannelCounter(network, data, Kernels.scalar(), images, 2)) {
                long[][] actual = counter.reference(0);
                for (int l = 0; l < expected.length; l++) {
                    assertArrayEquals(expected[l], actual[l], "trial " + trial + ", layer " + l);
                }
            }
        }
    }

    @Test
    void schedulesAgreeOnOneLayer() {
        CttCalibration.Options options = options(0.3, 4);
        int[] layered = calibrate(oneConv(WEIGHTS, BIASES), oneImage(),
                options.withSchedule(CttCalibration.Schedule.LAYER_BY_LAYER)).network().layers().get(0).threshold();
        int[] together = calibrate(oneConv(WEIGHTS, BIASES), oneImage(),
                options.withSchedule(CttCalibration.Schedule.ALL_LAYERS)).network().layers().get(0).threshold();

        assertArrayEquals(together, layered);
    }

    @Test
    void linearLayersFollowIncludeLinear() {
        SnnNetwork network = convAndLinear();

        CttCalibration.Result with = calibrate(network, oneImage(), options(0.1, 1));
        CttCalibration.Result without = calibrate(network, oneImage(), options(0.1, 1).withIncludeLinear(false));

        assertEquals(2, with.layers().size());
        assertEquals(NeuronRule.IF_CTT, with.network().layers().get(1).neuron());
        assertEquals(1, without.layers().size());
        assertEquals(NeuronRule.IF, without.network().layers().get(1).neuron());
        assertArrayEquals(network.layers().get(1).threshold(), without.network().layers().get(1).threshold());
    }

    @Test
    void rejectsMismatchedImages() {
        Dataset wrongShape = new Dataset(new byte[4], new int[1], new int[] {1, 2, 2});
        assertThrows(IllegalArgumentException.class,
                () -> calibrate(oneConv(WEIGHTS, BIASES), wrongShape, options(0.1, 1)));
    }

    @Test
    void rejectsInvalidOptions() {
        CttCalibration.Options defaults = CttCalibration.Options.defaults();
        assertThrows(IllegalArgumentException.class, () -> defaults.withPasses(0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withLearningRate(0.0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withLearningRate(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> defaults.withInitialScale(-1.0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withThreads(0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withSummaryImages(0));
    }

    private static CttCalibration.Result calibrate(SnnNetwork network, Dataset data, CttCalibration.Options options) {
        return CttCalibration.calibrate(network, data, Kernels.scalar(), options);
    }

    private static CttCalibration.Options options(double learningRate, int passes) {
        return CttCalibration.Options.defaults().withBatchSize(1).withLearningRate(learningRate)
                .withPasses(passes);
    }

    private static Dataset oneImage() {
        return new Dataset(new byte[] {PIXEL}, new int[] {0}, new int[] {1, 1, 1});
    }

    private static void assertReferenceCounts(SnnNetwork network, int[] expected) {
        int[] counts = new IntegerReference(network).evaluate(new byte[] {PIXEL}, 0).layerCounts()[0];
        assertArrayEquals(expected, counts, "ASG counts of the hand-built layer");
    }

    /** Returns the network of the class comment with one channel per weight. */
    private static SnnNetwork oneConv(int[] weights, int[] biases) {
        int channels = weights.length;
        int[] threshold = new int[channels];
        java.util.Arrays.fill(threshold, THETA);
        SpikingLayer conv = new SpikingLayer("conv", LayerType.CONV2D, new int[] {1, 1, 1},
                new int[] {channels, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                new int[] {1, 1}, 1, NeuronRule.IF, ResetMode.SUBTRACT, 0, shorts(weights), 0, biases.clone(),
                threshold);
        return network(List.of(conv), channels);
    }

    /** Returns the conv layer of the class comment followed by a 3→2 linear layer of threshold 100. */
    private static SnnNetwork convAndLinear() {
        SpikingLayer conv = oneConv(WEIGHTS, BIASES).layers().get(0);
        SpikingLayer linear = new SpikingLayer("fc", LayerType.LINEAR, new int[] {3, 1, 1}, new int[] {2, 1, 1},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, NeuronRule.IF,
                ResetMode.SUBTRACT, 0, shorts(new int[] {60, -30, 40, 80, 25, 10}), 0, new int[] {-20, 15},
                new int[] {THETA, THETA});
        return network(List.of(conv, linear), 2);
    }

    private static SnnNetwork network(List<SpikingLayer> layers, int readoutInputs) {
        SpikingLayer readout = new SpikingLayer("readout", LayerType.LINEAR, new int[] {readoutInputs, 1, 1},
                new int[] {2, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1},
                1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 0, new short[readoutInputs * 2], 0, new int[2], null);
        Encoder encoder = new Encoder(Encoder.Type.VR, 4, new int[] {0}, new int[] {1, 1, 1});
        return new SnnNetwork(4, encoder, new ArrayList<>(layers), readout, 10_000);
    }

    private static short[] shorts(int[] values) {
        short[] result = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (short) values[i];
        }
        return result;
    }
}
