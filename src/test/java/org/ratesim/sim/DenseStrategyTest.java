package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs ASG and IF networks once with the dense strategy forced on every layer and once with event-driven delivery only, and
 * requires identical readouts, spike counts and synaptic-op counts: integer sums do not depend on their order.
 * Tagged "kernels" so that it also runs with the SIMD kernels at 512 and 256 bits.
 */
@Tag("kernels")
class DenseStrategyTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int NEVER = 0;
    private static final int ALWAYS = Integer.MAX_VALUE;

    @Test
    void randomAsgNetworksMatchEventDelivery() {
        for (int trial = 0; trial < 150; trial++) {
            SplittableRandom random = new SplittableRandom(SEED + trial);
            SnnNetwork network = RandomNetworks.generate(random, 1 + random.nextInt(8), NeuronRule.ASG);
            byte[] images = RandomNetworks.images(random, network, 6);
            assertSameResults(network, images, 6, "ASG trial " + trial);
        }
    }

    @Test
    void randomIfNetworksMatchEventDelivery() {
        for (int trial = 0; trial < 150; trial++) {
            SplittableRandom random = new SplittableRandom(SEED + 1000 + trial);
            NeuronRule rule = trial % 2 == 0 ? NeuronRule.IF : NeuronRule.IF_CTT;
            SnnNetwork network = RandomNetworks.generate(random, 1 + random.nextInt(8), rule);
            byte[] images = RandomNetworks.images(random, network, 6);
            assertSameResults(network, images, 6, rule + " trial " + trial);
        }
    }

    /**
     * Uses 40 and 90 output channels, so the SIMD kernel runs its blocks of 4, 2 and 1 vectors and its scalar tail
     * at 8 and at 16 lanes. The first layer pads every side, and the second has stride 2 in both axes.
     */
    @Test
    void wideConvLayersMatchEventDelivery() {
        SplittableRandom random = new SplittableRandom(SEED);
        Encoder encoder = new Encoder(Encoder.Type.VR, 4, new int[] {0}, new int[] {3, 9, 8});
        SpikingLayer first = conv(random, "conv0", new int[] {3, 9, 8}, new int[] {40, 9, 8}, new int[] {3, 3},
                new int[] {1, 1}, new int[] {1, 1, 1, 1});
        SpikingLayer second = conv(random, "conv1", new int[] {40, 9, 8}, new int[] {90, 5, 4}, new int[] {3, 2},
                new int[] {2, 2}, new int[] {1, 1, 0, 1});
        short[] readoutWeights = new short[90 * 5 * 4 * 3];
        for (int i = 0; i < readoutWeights.length; i++) {
            readoutWeights[i] = (short) (random.nextInt(401) - 200);
        }
        SpikingLayer readout = new SpikingLayer("readout", LayerType.LINEAR, new int[] {1800, 1, 1},
                new int[] {3, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1},
                1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 0, readoutWeights, 0, null, null);
        SnnNetwork network = new SnnNetwork(4, encoder, List.of(first, second), readout, 0);
        byte[] images = RandomNetworks.images(random, network, 5);

        long hiddenSpikes = assertSameResults(network, images, 5, "wide conv network");

        assertTrue(hiddenSpikes > 0, "the test network emitted no hidden spikes, so it compared only zeros");
    }

    private static SpikingLayer conv(SplittableRandom random, String name, int[] in, int[] out, int[] kernel,
                                     int[] stride, int[] padding) {
        short[] weights = new short[in[0] * kernel[0] * kernel[1] * out[0]];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (short) (random.nextInt(4001) - 1800);
        }
        int[] bias = new int[out[0]];
        int[] threshold = new int[out[0]];
        for (int c = 0; c < out[0]; c++) {
            bias[c] = random.nextInt(2001) - 1000;
            threshold[c] = 1000 + random.nextInt(20_000);
        }
        return new SpikingLayer(name, LayerType.CONV2D, in, out, kernel, stride, padding, new int[] {1, 1}, 1,
                NeuronRule.ASG, ResetMode.SUBTRACT, 0, weights, 0, bias, threshold);
    }

    /** Compares forced-dense and event-only runs with each kernel set and returns the hidden spikes counted. */
    private static long assertSameResults(SnnNetwork network, byte[] images, int count, String name) {
        long hiddenSpikes = 0;
        for (SpikeKernels kernels : new SpikeKernels[] {Kernels.scalar(), Kernels.get()}) {
            Simulator events = new Simulator(network, kernels, NEVER);
            Simulator dense = new Simulator(network, kernels, ALWAYS);
            Simulator.Workspace eventSpace = events.newWorkspace(true);
            Simulator.Workspace denseSpace = dense.newWorkspace(true);
            ImageResult expected = events.newResult();
            ImageResult actual = dense.newResult();
            for (int i = 0; i < count; i++) {
                String where = name + ", " + kernels.name() + ", image " + i + ", seed " + SEED;
                events.run(images, i * events.imageBytes(), eventSpace, expected);
                dense.run(images, i * dense.imageBytes(), denseSpace, actual);
                assertArrayEquals(expected.readout(), actual.readout(), where);
                assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer(), where);
                assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer(), where);
                for (int l = 0; l < network.layers().size(); l++) {
                    assertArrayEquals(expected.neuronCounts(l), actual.neuronCounts(l), where + ", layer " + l);
                }
                hiddenSpikes += expected.hiddenSpikes();
            }
        }
        return hiddenSpikes;
    }
}
