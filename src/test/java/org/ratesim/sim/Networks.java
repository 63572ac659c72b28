package org.ratesim.sim;

import java.util.List;

/** Hand-built spiking networks for tests, in integer units. */
final class Networks {

    private Networks() {
    }

    /** Returns a linear layer with weights given as [In][Out]. */
    static SpikingLayer linear(String name, int inputs, int outputs, int[] weights, int[] bias, int[] threshold,
                               NeuronRule rule, ResetMode reset) {
        short[] shortWeights = new short[weights.length];
        for (int i = 0; i < weights.length; i++) {
            shortWeights[i] = (short) weights[i];
        }
        return new SpikingLayer(name, LayerType.LINEAR, new int[] {inputs, 1, 1}, new int[] {outputs, 1, 1},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, rule, reset, 0,
                shortWeights, 0, bias, threshold);
    }

    /** Returns an accumulating linear readout with weights given as [In][Out]. */
    static SpikingLayer readout(int inputs, int outputs, int[] weights, int[] bias) {
        return linear("readout", inputs, outputs, weights, bias, null, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT);
    }

    /** Returns a pool layer over a [C, H, W] map (weight and threshold are ignored for max pools). */
    static SpikingLayer pool(LayerType type, int[] inputShape, int[] kernel, int[] stride, int[] padding,
                             int weightValue, int threshold, NeuronRule rule) {
        int channels = inputShape[0];
        int outH = (inputShape[1] + padding[0] + padding[1] - kernel[0]) / stride[0] + 1;
        int outW = (inputShape[2] + padding[2] + padding[3] - kernel[1]) / stride[1] + 1;
        int[] thresholds = null;
        if (type == LayerType.AVG_POOL2D) {
            thresholds = new int[channels];
            java.util.Arrays.fill(thresholds, threshold);
        }
        return new SpikingLayer(type.id(), type, inputShape, new int[] {channels, outH, outW}, kernel, stride,
                padding, new int[] {1, 1}, channels, rule, ResetMode.SUBTRACT, 0, null, weightValue, null,
                thresholds);
    }

    /** Returns a VR network over images of {@code imageShape}. */
    static SnnNetwork vr(int timesteps, double levels, int[] imageShape, List<SpikingLayer> layers,
                         SpikingLayer readout) {
        Encoder encoder = new Encoder(Encoder.Type.VR, levels, new int[] {0}, imageShape);
        return new SnnNetwork(timesteps, encoder, layers, readout, 0);
    }
}
