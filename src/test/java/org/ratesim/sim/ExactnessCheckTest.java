package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExactnessCheckTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int NETWORKS = 300;

    @Test
    void asgNetworksMatchReference() {
        for (int n = 0; n < NETWORKS; n++) {
            SplittableRandom random = new SplittableRandom(SEED + n);
            int timesteps = 1 + random.nextInt(12);
            SnnNetwork network = RandomNetworks.generate(random, timesteps, NeuronRule.ASG);
            byte[] images = RandomNetworks.images(random, network, 3);
            ExactnessCheck.Report report = ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, images, 3);
            assertTrue(report.exact(), "seed " + (SEED + n) + ": " + report);
        }
    }

    @Test
    void singleStepIfNetworksMatchReference() {
        for (int n = 0; n < NETWORKS; n++) {
            SplittableRandom random = new SplittableRandom(SEED + 5000 + n);
            SnnNetwork network = RandomNetworks.generate(random, 1, NeuronRule.IF);
            byte[] images = RandomNetworks.images(random, network, 3);
            ExactnessCheck.Report report = ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, images, 3);
            assertTrue(report.exact(), "seed " + (SEED + 5000 + n) + ": " + report);
        }
    }

    @Test
    void checkReportsIfOrderDependence() {
        // Input A (2 spikes, t = 1, 2) has weight +10 and input B (1 spike, t = 2) weight −20, θ = 10: IF fires at
        // t = 1 before B's charge arrives, while the integer reference gives floor((20 − 20) / 10) = 0.
        SpikingLayer hidden = Networks.linear("hidden", 2, 1, new int[] {10, -20}, null, new int[] {10},
                NeuronRule.IF, ResetMode.SUBTRACT);
        SnnNetwork network = Networks.vr(2, 2, new int[] {2, 1, 1}, List.of(hidden),
                Networks.readout(1, 1, new int[] {1}, null));
        byte[] image = {(byte) 255, (byte) 128};
        ExactnessCheck.Report report = ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, image, 1);
        assertFalse(report.exact());
        assertArrayEquals(new long[] {1}, report.mismatchesPerLayer());
        assertEquals(1, report.readoutMismatches());
        assertEquals(0, report.inputMismatches());

        IntegerReference.Result reference = new IntegerReference(network).evaluate(image, 0);
        assertArrayEquals(new int[] {2, 1}, reference.inputCounts());
        assertArrayEquals(new int[] {0}, reference.layerCounts()[0]);
    }

    @Test
    void referenceComputesHandCheckedConv() {
        // 1×2×2 input counts [1, 2, 3, 4] (T = 4, L = 4), conv 2×2 to one channel with weights [1, 2, 3, 4]
        // in input-major order, bias 1, θ = 8: (1 + 4 + 9 + 16 + 4·1) / 8 = 34 / 8 → 4 (clamped to T = 4).
        SpikingLayer conv = new SpikingLayer("conv", LayerType.CONV2D, new int[] {1, 2, 2}, new int[] {1, 1, 1},
                new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, NeuronRule.ASG,
                ResetMode.SUBTRACT, 0, new short[] {1, 2, 3, 4}, 0, new int[] {1}, new int[] {8});
        SnnNetwork network = Networks.vr(4, 4, new int[] {1, 2, 2}, List.of(conv),
                Networks.readout(1, 2, new int[] {3, -1}, new int[] {-2, 0}));
        byte[] image = {64, (byte) 128, (byte) 192, (byte) 255};
        IntegerReference.Result reference = new IntegerReference(network).evaluate(image, 0);
        assertArrayEquals(new int[] {4}, reference.layerCounts()[0]);
        // Readout: 3·4 − 2·4 = 4 and −1·4 + 0 = −4.
        assertArrayEquals(new long[] {4, -4}, reference.readout());
        assertEquals(0, reference.prediction());
        assertTrue(ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, image, 1).exact());
    }

    @Test
    void referenceSumsBeyondIntRangeInLong() {
        // T = L = 65536 and two bright pixels give counts of 65536 each. The hidden sum 2 · 32767 · 65536 =
        // 4294836224 exceeds 2^31 − 1, so an int sum would wrap negative and give count 0; the long sum gives
        // floor(4294836224 / 65534) = 65536 = T.
        int timesteps = 65536;
        SpikingLayer hidden = Networks.linear("hidden", 2, 1, new int[] {32767, 32767}, null, new int[] {65534},
                NeuronRule.ASG, ResetMode.SUBTRACT);
        SnnNetwork network = Networks.vr(timesteps, timesteps, new int[] {2, 1, 1}, List.of(hidden),
                Networks.readout(1, 1, new int[] {-3}, null));
        byte[] image = {(byte) 255, (byte) 255};
        IntegerReference.Result reference = new IntegerReference(network).evaluate(image, 0);
        assertArrayEquals(new int[] {timesteps, timesteps}, reference.inputCounts());
        assertArrayEquals(new int[] {timesteps}, reference.layerCounts()[0]);
        assertArrayEquals(new long[] {-3L * timesteps}, reference.readout());
    }
}
