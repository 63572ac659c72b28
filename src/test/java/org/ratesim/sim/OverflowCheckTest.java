package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.ratesim.RatesimException;
import org.ratesim.model.Dataset;

/**
 * Hand-built networks whose int32 membranes overflow, checked against the first violation worked out by hand, and
 * ordinary networks, on which the checked kernels must agree with the unchecked ones.
 */
@Tag("kernels")
class OverflowCheckTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int MAX_WEIGHT = Short.MAX_VALUE;

    private static final SpikeKernels CHECKED = new CheckedSpikeKernels(ScalarSpikeKernels.INSTANCE);

    private static int[] filled(int length, int value) {
        int[] array = new int[length];
        Arrays.fill(array, value);
        return array;
    }

    private static byte[] whiteImage(int pixels) {
        byte[] image = new byte[pixels];
        Arrays.fill(image, (byte) 255);
        return image;
    }

    private static IntegerOverflowException runExpectingOverflow(SnnNetwork network, byte[] image) {
        Simulator simulator = new Simulator(network, CHECKED);
        return assertThrows(IntegerOverflowException.class,
                () -> simulator.run(image, 0, simulator.newWorkspace(), simulator.newResult()));
    }

    /**
     * Builds a network whose hidden IF layer of 257 neurons reaches its threshold from the bias alone every step, so
     * over T = 256 steps the readout receives 65,792 spikes of weight 32,767. After 65,538 spikes its potential is
     * 2,147,483,646, and the next spike would make it 2,147,516,413. This is the int16-weight form of 2,048 spikes of
     * weight 2^20 summed in one int accumulator.
     */
    static SnnNetwork readoutOverflowNetwork() {
        int hidden = 257;
        SpikingLayer firing = Networks.linear("always-on", 1, hidden, new int[hidden], filled(hidden, 1),
                filled(hidden, 1), NeuronRule.IF, ResetMode.SUBTRACT);
        SpikingLayer readout = Networks.readout(hidden, 2, filled(hidden * 2, MAX_WEIGHT), null);
        return Networks.vr(256, 1, new int[] {1, 1, 1}, List.of(firing), readout);
    }

    @Test
    void readoutAccumulateOverflowIsReported() {
        IntegerOverflowException e = runExpectingOverflow(readoutOverflowNetwork(), new byte[1]);

        assertEquals("accumulate", e.operation());
        assertEquals("readout", e.layer());
        assertEquals(0, e.neuron());
        assertEquals(65_538 * MAX_WEIGHT, e.potential());
        assertEquals(2_147_483_646, e.potential());
        assertEquals(1, e.multiplier());
        assertEquals(MAX_WEIGHT, e.weight());
        assertEquals(RatesimException.EXIT_OVERFLOW, e.exitCode());
        assertTrue(e.getMessage().contains("layer 'readout'"), e.getMessage());
        assertTrue(e.getMessage().contains("2147483646 + charge 32767 = 2147516413"), e.getMessage());
    }

    @Test
    void uncheckedKernelsWrapTheSameNetwork() {
        // Shows what the check prevents: 65,792 × 32,767 = 2,155,806,464 wraps to −2,139,160,832 in an int.
        SnnNetwork network = readoutOverflowNetwork();
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        simulator.run(new byte[1], 0, simulator.newWorkspace(), result);

        assertEquals((int) (65_792L * MAX_WEIGHT), result.readout()[0]);
        assertTrue(result.readout()[0] < 0, "readout " + result.readout()[0]);
    }

    @Test
    void asgScaledAccumulateOverflowIsReported() {
        // 17 white pixels with L = T = 4096 each give 4096 spikes, and 16 × 4096 × 32767 = 2,147,418,112 still fits.
        int inputs = 17;
        SpikingLayer asg = Networks.linear("asg", inputs, 1, filled(inputs, MAX_WEIGHT), null,
                new int[] {Integer.MAX_VALUE}, NeuronRule.ASG, ResetMode.SUBTRACT);
        SpikingLayer readout = Networks.readout(1, 2, new int[] {1, 1}, null);
        SnnNetwork network = Networks.vr(4096, 4096, new int[] {1, 1, inputs}, List.of(asg), readout);

        IntegerOverflowException e = runExpectingOverflow(network, whiteImage(inputs));

        assertEquals("accumulateScaled", e.operation());
        assertEquals("asg", e.layer());
        assertEquals(0, e.neuron());
        assertEquals(16 * 4096 * MAX_WEIGHT, e.potential());
        assertEquals(4096, e.multiplier());
        assertEquals(MAX_WEIGHT, e.weight());
    }

    @Test
    void asgBiasProductOverflowIsReported() {
        // The ASG bias is added T times at once: 4 × 2^30 = 2^32 does not fit before any sum is formed.
        SpikingLayer asg = Networks.linear("asg-bias", 1, 3, new int[3], new int[] {1, 1 << 30, 1},
                filled(3, Integer.MAX_VALUE), NeuronRule.ASG, ResetMode.SUBTRACT);
        SpikingLayer readout = Networks.readout(3, 2, new int[6], null);
        SnnNetwork network = Networks.vr(4, 4, new int[] {1, 1, 1}, List.of(asg), readout);

        IntegerOverflowException e = runExpectingOverflow(network, new byte[1]);

        assertEquals("addBias", e.operation());
        assertEquals("asg-bias", e.layer());
        assertEquals(1, e.neuron());
        assertEquals(4, e.multiplier());
        assertEquals(1L << 30, e.weight());
        assertEquals(1L << 32, e.charge());
        assertTrue(e.getMessage().contains("charge 4 × 1073741824 = 4294967296"), e.getMessage());
    }

    @Test
    void ifBiasSumOverflowIsReported() {
        // Bias 2^30 per step under an unreachable threshold: 2^30 after step 1, 2^31 at step 2.
        SpikingLayer bias = Networks.linear("if-bias", 1, 1, new int[1], new int[] {1 << 30},
                new int[] {Integer.MAX_VALUE}, NeuronRule.IF, ResetMode.SUBTRACT);
        SpikingLayer readout = Networks.readout(1, 2, new int[2], null);
        SnnNetwork network = Networks.vr(2, 2, new int[] {1, 1, 1}, List.of(bias), readout);

        IntegerOverflowException e = runExpectingOverflow(network, new byte[1]);

        assertEquals("addBias", e.operation());
        assertEquals("if-bias", e.layer());
        assertEquals(1 << 30, e.potential());
        assertEquals(1, e.multiplier());
        assertEquals(1L << 30, e.weight());
    }

    /** Builds a 2×2 average pool of weight 2^30, so one white pixel fits and a second one overflows. */
    private static SnnNetwork avgPoolNetwork() {
        SpikingLayer pool = Networks.pool(LayerType.AVG_POOL2D, new int[] {1, 2, 2}, new int[] {2, 2},
                new int[] {2, 2}, new int[] {0, 0, 0, 0}, 1 << 30, Integer.MAX_VALUE, NeuronRule.IF);
        SpikingLayer readout = Networks.readout(1, 2, new int[] {1, -1}, null);
        return Networks.vr(1, 1, new int[] {1, 2, 2}, List.of(pool), readout);
    }

    @Test
    void avgPoolOverflowIsReported() {
        IntegerOverflowException e = runExpectingOverflow(avgPoolNetwork(), whiteImage(4));

        assertEquals("avgPool", e.operation());
        assertEquals("avg_pool2d", e.layer());
        assertEquals(0, e.neuron());
        assertEquals(1 << 30, e.potential());
        assertEquals(1L << 30, e.weight());
    }

    /**
     * Membrane 2,147,450,000 (index 1) receives 3 × 32,767 from the second input after 0 × 32,767 from the first,
     * which crosses 2^31 − 1 = 2,147,483,647. The first output stays in range and must be updated.
     */
    @Test
    void denseAccumulateOverflowIsReported() {
        int[] membrane = {5, 2_147_450_000};
        short[] weights = {-7, 1, MAX_WEIGHT, MAX_WEIGHT};

        IntegerOverflowException e = assertThrows(IntegerOverflowException.class,
                () -> CHECKED.accumulateDense(membrane, 0, 2, new int[] {0, 3}, 0, 2, weights, 0, 2));

        assertEquals("accumulateDense", e.operation());
        assertEquals(1, e.neuron());
        assertEquals(2_147_450_000, e.potential());
        assertEquals(5 + 3 * MAX_WEIGHT, membrane[0]);
    }

    @Test
    void checkedDenseAccumulateMatchesScalar() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int trial = 0; trial < 50; trial++) {
            int length = 1 + random.nextInt(70);
            int countLength = random.nextInt(40);
            short[] weights = new short[countLength * length];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (short) random.nextInt(1 << 16);
            }
            int[] counts = new int[countLength];
            for (int j = 0; j < countLength; j++) {
                counts[j] = random.nextInt(9);
            }
            int[] expected = new int[length];
            int[] actual = new int[length];

            ScalarSpikeKernels.INSTANCE.accumulateDense(expected, 0, length, counts, 0, countLength, weights, 0,
                    length);
            CHECKED.accumulateDense(actual, 0, length, counts, 0, countLength, weights, 0, length);

            assertArrayEquals(expected, actual, "trial " + trial + ", seed " + SEED);
        }
    }

    @Test
    void checkedKernelsMatchUncheckedOnRandomNetworks() {
        SpikeKernels[] delegates = {ScalarSpikeKernels.INSTANCE, Kernels.get()};
        for (int trial = 0; trial < 60; trial++) {
            SplittableRandom random = new SplittableRandom(SEED + trial);
            NeuronRule rule = trial % 2 == 0 ? NeuronRule.ASG : NeuronRule.IF;
            SnnNetwork network = RandomNetworks.generate(random, 1 + random.nextInt(8), rule);
            byte[] images = RandomNetworks.images(random, network, 8);
            for (SpikeKernels delegate : delegates) {
                Simulator plain = new Simulator(network, delegate);
                Simulator checked = new Simulator(network, new CheckedSpikeKernels(delegate));
                Simulator.Workspace plainSpace = plain.newWorkspace(true);
                Simulator.Workspace checkedSpace = checked.newWorkspace(true);
                ImageResult expected = plain.newResult();
                ImageResult actual = checked.newResult();
                for (int i = 0; i < 8; i++) {
                    String where = "trial " + trial + ", " + delegate.name() + ", image " + i;
                    plain.run(images, i * plain.imageBytes(), plainSpace, expected);
                    checked.run(images, i * checked.imageBytes(), checkedSpace, actual);
                    assertArrayEquals(expected.readout(), actual.readout(), where);
                    assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer(), where);
                    assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer(), where);
                    for (int l = 0; l < network.layers().size(); l++) {
                        assertArrayEquals(expected.neuronCounts(l), actual.neuronCounts(l), where + ", layer " + l);
                    }
                }
            }
        }
    }

    /** Images of 2×2 pixels where only the listed images have two white pixels, which overflows the pool. */
    private static Dataset poolDataset(int count, int... overflowing) {
        byte[] images = new byte[count * 4];
        for (int i = 0; i < count; i++) {
            images[i * 4 + i % 4] = (byte) 255;
        }
        for (int image : overflowing) {
            images[image * 4] = (byte) 255;
            images[image * 4 + 3] = (byte) 255;
        }
        return new Dataset(images, new int[count], new int[] {1, 2, 2});
    }

    @Test
    void evaluatorReportsLowestOverflowingImage() {
        Dataset data = poolDataset(300, 250, 77, 150, 78);
        for (int threads : new int[] {1, 3, 8}) {
            Evaluator.Options options = new Evaluator.Options(threads, false, null);
            IntegerOverflowException e = assertThrows(IntegerOverflowException.class,
                    () -> Evaluator.evaluate(null, avgPoolNetwork(), data, CHECKED, options));

            assertEquals(77, e.image(), threads + " threads");
            assertEquals("avg_pool2d", e.layer(), threads + " threads");
            assertTrue(e.getMessage().startsWith("integer overflow in layer 'avg_pool2d' at image 77: "),
                    e.getMessage());
        }
    }

    @Test
    void evaluatorCheckedReportEqualsUnchecked() {
        Dataset data = poolDataset(100);
        Evaluator.Options options = new Evaluator.Options(4, false, null);
        EvaluationReport expected = Evaluator.evaluate(null, avgPoolNetwork(), data, ScalarSpikeKernels.INSTANCE,
                options);
        EvaluationReport actual = Evaluator.evaluate(null, avgPoolNetwork(), data, CHECKED, options);

        assertEquals(expected.snnAccuracy(), actual.snnAccuracy());
        assertEquals(expected.inputSpikesPerImage(), actual.inputSpikesPerImage());
        assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer());
        assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer());
        assertEquals("scalar+overflow-check", actual.kernels());
    }
}
