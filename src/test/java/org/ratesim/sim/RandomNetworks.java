package org.ratesim.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Random spiking networks in integer units, with weights across much of the int16 range, for tests. */
final class RandomNetworks {

    private RandomNetworks() {
    }

    /** Returns a random network whose hidden conv, linear and avg-pool layers use {@code rule}. */
    static SnnNetwork generate(SplittableRandom random, int timesteps, NeuronRule rule) {
        double[] levelChoices = {timesteps, 2.5, 7.75, 3.0 * timesteps, 1};
        double levels = levelChoices[random.nextInt(levelChoices.length)];
        int channels = 1 + random.nextInt(3);
        int height = 2 + random.nextInt(5);
        int width = 2 + random.nextInt(5);
        int[] offsets = random.nextInt(3) == 0 ? new int[] {-1, 0, 1} : new int[] {0};
        Encoder encoder = new Encoder(offsets.length > 1 ? Encoder.Type.ICE : Encoder.Type.VR, levels, offsets,
                new int[] {channels, height, width});
        int[] shape = {channels * offsets.length, height, width};

        List<SpikingLayer> layers = new ArrayList<>();
        int count = 1 + random.nextInt(3);
        for (int l = 0; l < count; l++) {
            int kind = random.nextInt(6);
            SpikingLayer layer;
            if (kind <= 2) {
                layer = conv(random, "conv" + l, shape, rule, false);
            } else if (kind == 3 && shape[1] >= 2 && shape[2] >= 2) {
                layer = pool(random, LayerType.AVG_POOL2D, "avg" + l, shape, rule);
            } else if (kind == 4 && shape[1] >= 2 && shape[2] >= 2) {
                layer = pool(random, LayerType.MAX_POOL2D, "max" + l, shape, rule);
            } else {
                layer = linear(random, "fc" + l, shape, 1 + random.nextInt(8), rule);
            }
            layers.add(layer);
            shape = layer.outputShape();
        }
        int classes = 2 + random.nextInt(4);
        SpikingLayer readout = linear(random, "readout", shape, classes, NeuronRule.ACCUMULATE);
        return new SnnNetwork(timesteps, encoder, layers, readout, 0);
    }

    /** Returns a conv2d layer with random geometry over {@code shape}. */
    static SpikingLayer conv(SplittableRandom random, String name, int[] shape, NeuronRule rule, boolean wide) {
        int inChannels = shape[0];
        int outChannels = 1 + random.nextInt(4);
        int groups = 1;
        if (inChannels % 2 == 0 && outChannels % 2 == 0 && random.nextBoolean()) {
            groups = 2;
        } else if (random.nextInt(4) == 0) {
            groups = inChannels;
            outChannels = inChannels * (1 + random.nextInt(2));
        }
        int maxKernel = wide ? 4 : 3;
        int[] kernel = {1 + random.nextInt(maxKernel), 1 + random.nextInt(maxKernel)};
        int[] stride = {1 + random.nextInt(2), 1 + random.nextInt(3)};
        int[] dilation = {1 + random.nextInt(2), 1 + random.nextInt(2)};
        int[] padding = {random.nextInt(3), random.nextInt(2), random.nextInt(2), random.nextInt(3)};
        int[] out = new int[2];
        for (int axis = 0; axis < 2; axis++) {
            int padded = shape[1 + axis] + padding[2 * axis] + padding[2 * axis + 1];
            if (dilation[axis] * (kernel[axis] - 1) + 1 > padded) {
                kernel[axis] = 1;
                dilation[axis] = 1;
            }
            out[axis] = (padded - dilation[axis] * (kernel[axis] - 1) - 1) / stride[axis] + 1;
        }
        short[] weights = new short[inChannels * kernel[0] * kernel[1] * (outChannels / groups)];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (short) (random.nextInt(4001) - 2000);
        }
        return new SpikingLayer(name, LayerType.CONV2D, shape, new int[] {outChannels, out[0], out[1]}, kernel,
                stride, padding, dilation, groups, rule, randomReset(random), 0, weights, 0,
                randomBias(random, outChannels), randomThreshold(random, outChannels));
    }

    private static SpikingLayer pool(SplittableRandom random, LayerType type, String name, int[] shape,
                                     NeuronRule rule) {
        int[] kernel = {1 + random.nextInt(Math.min(3, shape[1])), 1 + random.nextInt(Math.min(3, shape[2]))};
        int[] stride = {1 + random.nextInt(kernel[0]), 1 + random.nextInt(kernel[1])};
        int[] padding = {random.nextInt(kernel[0] / 2 + 1), random.nextInt(kernel[0] / 2 + 1),
                random.nextInt(kernel[1] / 2 + 1), random.nextInt(kernel[1] / 2 + 1)};
        int outH = (shape[1] + padding[0] + padding[1] - kernel[0]) / stride[0] + 1;
        int outW = (shape[2] + padding[2] + padding[3] - kernel[1]) / stride[1] + 1;
        int window = kernel[0] * kernel[1];
        int[] thresholds = null;
        if (type == LayerType.AVG_POOL2D) {
            thresholds = new int[shape[0]];
            Arrays.fill(thresholds, window * 64);
        }
        return new SpikingLayer(name, type, shape, new int[] {shape[0], outH, outW}, kernel, stride, padding,
                new int[] {1, 1}, shape[0], rule, ResetMode.SUBTRACT, 6, null, 64, null, thresholds);
    }

    private static SpikingLayer linear(SplittableRandom random, String name, int[] shape, int outputs,
                                       NeuronRule rule) {
        int inputs = shape[0] * shape[1] * shape[2];
        short[] weights = new short[inputs * outputs];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (short) (random.nextInt(4001) - 2000);
        }
        int[] threshold = rule == NeuronRule.ACCUMULATE ? null : randomThreshold(random, outputs);
        return new SpikingLayer(name, LayerType.LINEAR, new int[] {inputs, 1, 1}, new int[] {outputs, 1, 1},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, rule,
                randomReset(random), 0, weights, 0, randomBias(random, outputs), threshold);
    }

    private static ResetMode randomReset(SplittableRandom random) {
        return random.nextBoolean() ? ResetMode.SUBTRACT : ResetMode.ZERO;
    }

    private static int[] randomBias(SplittableRandom random, int channels) {
        if (random.nextInt(4) == 0) {
            return null;
        }
        int[] bias = new int[channels];
        for (int c = 0; c < channels; c++) {
            bias[c] = random.nextInt(6001) - 3000;
        }
        return bias;
    }

    private static int[] randomThreshold(SplittableRandom random, int channels) {
        int[] threshold = new int[channels];
        for (int c = 0; c < channels; c++) {
            threshold[c] = 1 + random.nextInt(8000);
        }
        return threshold;
    }

    /** Returns {@code count} random images for {@code network}. */
    static byte[] images(SplittableRandom random, SnnNetwork network, int count) {
        int[] shape = network.encoder().shape();
        byte[] images = new byte[count * shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < images.length; i++) {
            // A quarter of the pixels are black and a quarter white, so saturated counts are common.
            int choice = random.nextInt(4);
            int pixel = random.nextInt(256);
            if (choice == 0) {
                pixel = 0;
            } else if (choice == 1) {
                pixel = 255;
            }
            images[i] = (byte) pixel;
        }
        return images;
    }
}
