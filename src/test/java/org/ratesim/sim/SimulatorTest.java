package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {

    private static final int[] ONE_PIXEL = {1, 1, 1};

    /** Builds one hidden neuron driven only by its bias and read out with weight 1; feed it a dark pixel. */
    private static SnnNetwork biasDriven(int timesteps, int bias, int threshold, NeuronRule rule, ResetMode reset) {
        SpikingLayer hidden = Networks.linear("hidden", 1, 1, new int[] {0}, new int[] {bias},
                new int[] {threshold}, rule, reset);
        return Networks.vr(timesteps, timesteps, ONE_PIXEL, List.of(hidden),
                Networks.readout(1, 1, new int[] {1}, new int[] {0}));
    }

    private static int[] hiddenSpikeTimes(SnnNetwork network, byte[] image, int stage, int neuron) {
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        simulator.run(image, 0, workspace, simulator.newResult());
        return workspace.spikeTimes(stage, neuron);
    }

    private static ImageResult run(SnnNetwork network, byte[] image) {
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        simulator.run(image, 0, simulator.newWorkspace(true), result);
        return result;
    }

    @Test
    void ifResetSubtractSpikeTimes() {
        byte[] dark = {0};
        assertArrayEquals(new int[] {2, 4, 5},
                hiddenSpikeTimes(biasDriven(5, 6, 10, NeuronRule.IF, ResetMode.SUBTRACT), dark, 1, 0));
        assertArrayEquals(new int[] {2, 4, 5, 7, 9, 10},
                hiddenSpikeTimes(biasDriven(10, 6, 10, NeuronRule.IF, ResetMode.SUBTRACT), dark, 1, 0));
    }

    @Test
    void ifResetZeroSpikeTimes() {
        byte[] dark = {0};
        assertArrayEquals(new int[] {2, 4},
                hiddenSpikeTimes(biasDriven(5, 6, 10, NeuronRule.IF, ResetMode.ZERO), dark, 1, 0));
        assertArrayEquals(new int[] {2, 4, 6, 8, 10},
                hiddenSpikeTimes(biasDriven(10, 6, 10, NeuronRule.IF, ResetMode.ZERO), dark, 1, 0));
    }

    @Test
    void ifCountReachesReadout() {
        ImageResult result = run(biasDriven(10, 6, 10, NeuronRule.IF, ResetMode.SUBTRACT), new byte[] {0});
        assertEquals(6, result.spikesPerLayer()[0]);
        assertEquals(6, result.readout()[0]);
        assertEquals(6, result.synapticOpsPerLayer()[1]);
    }

    @Test
    void asgSpikeTimesFollowConstantCurrent() {
        // V = T·b = 57 and θ = 30: V/θ = 1.9, so one spike where floor(t·57/90) first increases (t = 2).
        assertArrayEquals(new int[] {2},
                hiddenSpikeTimes(biasDriven(3, 19, 30, NeuronRule.ASG, ResetMode.SUBTRACT), new byte[] {0}, 1, 0));
        // V = 8·6 = 48, θ = 10: 4 spikes where floor(t·48/80) increases.
        assertArrayEquals(new int[] {2, 4, 5, 7},
                hiddenSpikeTimes(biasDriven(8, 6, 10, NeuronRule.ASG, ResetMode.SUBTRACT), new byte[] {0}, 1, 0));
    }

    @Test
    void asgClampsToWindow() {
        ImageResult saturated = run(biasDriven(4, 25, 10, NeuronRule.ASG, ResetMode.SUBTRACT), new byte[] {0});
        assertEquals(4, saturated.neuronCounts(0)[0]);
        ImageResult negative = run(biasDriven(4, -25, 10, NeuronRule.ASG, ResetMode.SUBTRACT), new byte[] {0});
        assertEquals(0, negative.neuronCounts(0)[0]);
    }

    @Test
    void biasIsInjectedEveryStep() {
        // 8 input spikes of weight 2 plus bias 2 per step: current 4 = θ/2, so spikes at t = 2, 4, 6, 8.
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.IF, NeuronRule.ASG}) {
            SpikingLayer hidden = Networks.linear("hidden", 1, 1, new int[] {2}, new int[] {2}, new int[] {8}, rule,
                    ResetMode.SUBTRACT);
            SnnNetwork network = Networks.vr(8, 8, ONE_PIXEL, List.of(hidden),
                    Networks.readout(1, 1, new int[] {1}, new int[] {0}));
            assertArrayEquals(new int[] {2, 4, 6, 8}, hiddenSpikeTimes(network, new byte[] {(byte) 255}, 1, 0),
                    rule.id());
        }
    }

    @Test
    void missingBiasEqualsZeroBias() {
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.IF, NeuronRule.ASG}) {
            SpikingLayer withZeros = Networks.linear("hidden", 2, 2, new int[] {3, -1, 2, 5}, new int[] {0, 0},
                    new int[] {4, 4}, rule, ResetMode.SUBTRACT);
            SpikingLayer withNull = Networks.linear("hidden", 2, 2, new int[] {3, -1, 2, 5}, null,
                    new int[] {4, 4}, rule, ResetMode.SUBTRACT);
            SpikingLayer readout = Networks.readout(2, 1, new int[] {1, 1}, null);
            byte[] image = {(byte) 200, 90};
            ImageResult zeros = run(Networks.vr(6, 6, new int[] {2, 1, 1}, List.of(withZeros), readout), image);
            ImageResult none = run(Networks.vr(6, 6, new int[] {2, 1, 1}, List.of(withNull), readout), image);
            assertArrayEquals(zeros.neuronCounts(0), none.neuronCounts(0), rule.id());
            assertArrayEquals(zeros.readout(), none.readout(), rule.id());
        }
    }

    @Test
    void largeBiasCrossesThresholdAtSecondStep() {
        // Bias 4095·2^5 = 131040 and θ = 2^17: no spike after step 1 (a 16-bit store would give −32 and never fire).
        assertArrayEquals(new int[] {2},
                hiddenSpikeTimes(biasDriven(2, 131040, 131072, NeuronRule.IF, ResetMode.SUBTRACT), new byte[] {0},
                        1, 0));
        assertArrayEquals(new int[0],
                hiddenSpikeTimes(biasDriven(1, 131040, 131072, NeuronRule.IF, ResetMode.SUBTRACT), new byte[] {0},
                        1, 0));
    }

    @Test
    void zeroDelayChainFiresFromFirstStep() {
        // input → L1 → L2 → L3 with every weight equal to θ and the input firing every step.
        List<SpikingLayer> chain = new java.util.ArrayList<>();
        for (int l = 1; l <= 3; l++) {
            chain.add(Networks.linear("L" + l, 1, 1, new int[] {10}, null, new int[] {10}, NeuronRule.IF,
                    ResetMode.SUBTRACT));
        }
        SnnNetwork network = Networks.vr(10, 10, ONE_PIXEL, chain, Networks.readout(1, 1, new int[] {1}, null));
        int[] times = hiddenSpikeTimes(network, new byte[] {(byte) 255}, 3, 0);
        assertEquals(10, times.length);
        assertEquals(1, times[0]);
        assertEquals(10, run(network, new byte[] {(byte) 255}).readout()[0]);
    }

    @Test
    void readoutKeepsNegativeLogits() {
        SnnNetwork network = Networks.vr(10, 10, ONE_PIXEL, List.of(),
                Networks.readout(1, 2, new int[] {0, 0}, new int[] {-1, -2}));
        ImageResult result = run(network, new byte[] {0});
        assertArrayEquals(new long[] {-10, -20}, result.readout());
        assertEquals(0, result.prediction());
        assertEquals(-1.0, result.logit(0), 0.0);
        assertEquals(-2.0, result.logit(1), 0.0);
    }

    @Test
    void readoutTiesPickLowestIndex() {
        SnnNetwork twoTied = Networks.vr(4, 4, ONE_PIXEL, List.of(),
                Networks.readout(1, 2, new int[] {0, 0}, new int[] {3, 3}));
        assertEquals(0, run(twoTied, new byte[] {0}).prediction());
        SnnNetwork laterTied = Networks.vr(4, 4, ONE_PIXEL, List.of(),
                Networks.readout(1, 3, new int[] {0, 0, 0}, new int[] {1, 5, 5}));
        assertEquals(1, run(laterTied, new byte[] {0}).prediction());
    }

    @Test
    void maxPoolGatesOnLargestCount() {
        // Counts 4 (spikes at 2, 4, 6, 8) and 3 (spikes at 3, 6, 8) over T = 8: an OR of spikes would give 5.
        SpikingLayer pool = Networks.pool(LayerType.MAX_POOL2D, new int[] {1, 1, 2}, new int[] {1, 2},
                new int[] {1, 2}, new int[] {0, 0, 0, 0}, 0, 0, NeuronRule.IF);
        SnnNetwork network = Networks.vr(8, 8, new int[] {1, 1, 2}, List.of(pool),
                Networks.readout(1, 1, new int[] {1}, null));
        byte[] image = {(byte) 128, 96};
        assertArrayEquals(new int[] {2, 4, 6, 8}, hiddenSpikeTimes(network, image, 0, 0));
        assertArrayEquals(new int[] {3, 6, 8}, hiddenSpikeTimes(network, image, 0, 1));
        assertArrayEquals(new int[] {2, 4, 6, 8}, hiddenSpikeTimes(network, image, 1, 0));
    }

    @Test
    void maxPoolKeepsChannelsApart() {
        // Channel 0: left pixel fires every step; channel 1: right pixel fires every step.
        SpikingLayer pool = Networks.pool(LayerType.MAX_POOL2D, new int[] {2, 1, 2}, new int[] {1, 2},
                new int[] {1, 2}, new int[] {0, 0, 0, 0}, 0, 0, NeuronRule.ASG);
        SnnNetwork network = Networks.vr(4, 4, new int[] {2, 1, 2}, List.of(pool),
                Networks.readout(2, 1, new int[] {1, 1}, null));
        ImageResult result = run(network, new byte[] {(byte) 255, 0, 0, (byte) 255});
        assertArrayEquals(new int[] {4, 4}, result.neuronCounts(0));
    }

    @Test
    void avgPoolCountIsFloorOfMean() {
        // Input counts 1, 2, 3, 4 in one 2×2 window: floor(10 / 4) = 2.
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SpikingLayer pool = Networks.pool(LayerType.AVG_POOL2D, new int[] {1, 2, 2}, new int[] {2, 2},
                    new int[] {2, 2}, new int[] {0, 0, 0, 0}, 4096, 4 * 4096, rule);
            SnnNetwork network = Networks.vr(4, 4, new int[] {1, 2, 2}, List.of(pool),
                    Networks.readout(1, 1, new int[] {1}, null));
            ImageResult result = run(network, new byte[] {64, (byte) 128, (byte) 192, (byte) 255});
            assertArrayEquals(new int[] {1, 2, 3, 4}, result.inputCounts(), rule.id());
            assertEquals(2, result.neuronCounts(0)[0], rule.id());
        }
    }

    @Test
    void synapticOpsCountPaddedFanOut() {
        // Input of length 3, kernel 3, stride 1: fan-out [2, 3, 2] with padding 1 and [1, 1, 1] without.
        long[][] expected = {{35, 15}, {140, 60}};
        int[] channelCounts = {1, 4};
        for (int k = 0; k < channelCounts.length; k++) {
            int channels = channelCounts[k];
            for (int padded = 0; padded < 2; padded++) {
                int[] padding = padded == 0 ? new int[] {0, 0, 1, 1} : new int[] {0, 0, 0, 0};
                int outWidth = padded == 0 ? 3 : 1;
                int[] thresholds = new int[channels];
                java.util.Arrays.fill(thresholds, 1);
                SpikingLayer conv = new SpikingLayer("conv", LayerType.CONV2D, new int[] {1, 1, 3},
                        new int[] {channels, 1, outWidth}, new int[] {1, 3}, new int[] {1, 1}, padding,
                        new int[] {1, 1}, 1, NeuronRule.IF, ResetMode.SUBTRACT, 0, new short[3 * channels], 0,
                        null, thresholds);
                SpikingLayer readout = Networks.readout(channels * outWidth, 1, new int[channels * outWidth], null);
                SnnNetwork network = Networks.vr(5, 5, new int[] {1, 1, 3}, List.of(conv), readout);
                ImageResult result = run(network, new byte[] {(byte) 255, (byte) 255, (byte) 255});
                assertEquals(15, result.inputSpikes());
                assertEquals(expected[k][padded], result.synapticOpsPerLayer()[0],
                        channels + " channels, padding " + java.util.Arrays.toString(padding));
            }
        }
    }

    @Test
    void workspaceReuseGivesSameResult() {
        SpikingLayer hidden = Networks.linear("hidden", 2, 2, new int[] {3, -1, 2, 5}, new int[] {1, -1},
                new int[] {4, 3}, NeuronRule.IF, ResetMode.SUBTRACT);
        SnnNetwork network = Networks.vr(6, 6, new int[] {2, 1, 1}, List.of(hidden),
                Networks.readout(2, 2, new int[] {1, -2, 3, 1}, new int[] {2, 0}));
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        Simulator.Workspace workspace = simulator.newWorkspace();
        byte[] images = {(byte) 200, 90, (byte) 255, (byte) 255};
        ImageResult first = simulator.newResult();
        simulator.run(images, 0, workspace, first);
        long[] firstReadout = first.readout().clone();
        long[] firstSpikes = first.spikesPerLayer().clone();
        ImageResult reused = simulator.newResult();
        simulator.run(images, 2, workspace, reused);
        simulator.run(images, 0, workspace, reused);
        assertArrayEquals(firstReadout, reused.readout());
        assertArrayEquals(firstSpikes, reused.spikesPerLayer());

        ImageResult recorded = simulator.newResult();
        simulator.run(images, 0, simulator.newWorkspace(true), recorded);
        assertArrayEquals(firstReadout, recorded.readout());
    }

    @Test
    void runRejectsImageOutsideArray() {
        SnnNetwork network = Networks.vr(2, 2, new int[] {1, 2, 2}, List.of(),
                Networks.readout(4, 1, new int[4], null));
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        assertThrows(IndexOutOfBoundsException.class,
                () -> simulator.run(new byte[6], 3, simulator.newWorkspace(), simulator.newResult()));
    }

    @Test
    void runRejectsForeignWorkspace() {
        SnnNetwork network = Networks.vr(2, 2, ONE_PIXEL, List.of(), Networks.readout(1, 1, new int[1], null));
        Simulator first = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        Simulator second = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        assertThrows(IllegalArgumentException.class,
                () -> first.run(new byte[1], 0, second.newWorkspace(), first.newResult()));
    }
}
