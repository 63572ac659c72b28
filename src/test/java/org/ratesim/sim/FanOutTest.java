package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Synaptic operation counts against fan-outs counted by brute force over every output and kernel tap. */
class FanOutTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);

    /** Returns, per input neuron (channels last), how many output neurons it reaches. */
    private static long[] bruteForceFanOut(SpikingLayer layer) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        long[] fanOut = new long[layer.inputNeurons()];
        boolean pool = layer.type() != LayerType.CONV2D;
        int inPerGroup = pool ? 1 : in[0] / layer.groups();
        int outPerGroup = pool ? 1 : out[0] / layer.groups();
        for (int co = 0; co < out[0]; co++) {
            int group = co / outPerGroup;
            for (int oh = 0; oh < out[1]; oh++) {
                for (int ow = 0; ow < out[2]; ow++) {
                    for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                        for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                            int ih = oh * layer.stride()[0] - layer.padding()[0] + kh * layer.dilation()[0];
                            int iw = ow * layer.stride()[1] - layer.padding()[2] + kw * layer.dilation()[1];
                            if (ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                                continue;
                            }
                            for (int local = 0; local < inPerGroup; local++) {
                                int ci = group * inPerGroup + local;
                                fanOut[(ih * in[2] + iw) * in[0] + ci]++;
                            }
                        }
                    }
                }
            }
        }
        return fanOut;
    }

    @Test
    void convOpsMatchBruteForce() {
        for (int n = 0; n < 300; n++) {
            SplittableRandom random = new SplittableRandom(SEED + n);
            int[] shape = {1 + random.nextInt(4), 1 + random.nextInt(7), 1 + random.nextInt(7)};
            SpikingLayer conv = RandomNetworks.conv(random, "conv", shape, NeuronRule.IF, true);
            checkOps(random, conv, "seed " + (SEED + n) + " groups " + conv.groups());
        }
    }

    @Test
    void poolOpsMatchBruteForce() {
        LayerType[] types = {LayerType.AVG_POOL2D, LayerType.MAX_POOL2D};
        for (int n = 0; n < 100; n++) {
            SplittableRandom random = new SplittableRandom(SEED + 700 + n);
            int[] shape = {1 + random.nextInt(3), 2 + random.nextInt(6), 2 + random.nextInt(6)};
            int[] kernel = {1 + random.nextInt(2), 2 + random.nextInt(Math.min(2, shape[2] - 1))};
            int[] padding = {random.nextInt(kernel[0] / 2 + 1), 0, random.nextInt(kernel[1] / 2 + 1),
                    random.nextInt(kernel[1] / 2 + 1)};
            int[] stride = {1 + random.nextInt(2), 1 + random.nextInt(2)};
            for (LayerType type : types) {
                SpikingLayer pool = Networks.pool(type, shape, kernel, stride, padding, 64,
                        kernel[0] * kernel[1] * 64, NeuronRule.IF);
                checkOps(random, pool, "seed " + (SEED + 700 + n) + " " + type.id());
            }
        }
    }

    private static void checkOps(SplittableRandom random, SpikingLayer layer, String context) {
        int[] shape = layer.inputShape();
        SpikingLayer readout = Networks.readout(layer.outputNeurons(), 1, new int[layer.outputNeurons()], null);
        SnnNetwork network = Networks.vr(3, 3, shape, List.of(layer), readout);
        byte[] image = RandomNetworks.images(random, network, 1);
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        simulator.run(image, 0, simulator.newWorkspace(true), result);

        long[] fanOut = bruteForceFanOut(layer);
        int[] counts = result.inputCounts();
        long expected = 0;
        for (int i = 0; i < counts.length; i++) {
            expected += counts[i] * fanOut[i];
        }
        assertEquals(expected, result.synapticOpsPerLayer()[0], context);
        assertEquals(result.spikesPerLayer()[0] * 1L, result.synapticOpsPerLayer()[1], context);
    }
}
