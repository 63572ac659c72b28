package org.ratesim.sim;

/**
 * One converted layer in integer units of 2^−shift, stored for event-driven simulation.
 *
 * <p>Neurons are indexed channels last: neuron (c, h, w) of a {@code [C, H, W]} map has index (h·W + w)·C + c.
 * Convolution weights are input-major, {@code [Cin][KH][KW][Cout/groups]}, so one input neuron's fan-out to the
 * output channels at one kernel position is a contiguous run. Linear weights are {@code [In][Out]}, with the input
 * index channel-last.
 *
 * @param name        name of the ANN node the layer came from
 * @param type        synaptic structure
 * @param inputShape  {@code [C, H, W]} of the input map ({@code [N, 1, 1]} for a vector)
 * @param outputShape {@code [C, H, W]} of the output map ({@code [N, 1, 1]} for a vector)
 * @param kernel      {@code [KH, KW]} (ones for linear)
 * @param stride      {@code [SH, SW]}
 * @param padding     {@code [top, bottom, left, right]}
 * @param dilation    {@code [DH, DW]}
 * @param groups      convolution groups
 * @param neuron      neuron rule
 * @param reset       reset mode of IF neurons
 * @param shift       integer units are 2^−shift of the real value
 * @param weights     input-major int16 weights, or null for pools
 * @param weightValue the weight of every synapse of an average pool (0 for other types)
 * @param bias        one bias per output channel (zeros when the ANN layer had none; null for pools)
 * @param threshold   one threshold per output channel (null for max pools and the readout)
 */
public record SpikingLayer(
        String name,
        LayerType type,
        int[] inputShape,
        int[] outputShape,
        int[] kernel,
        int[] stride,
        int[] padding,
        int[] dilation,
        int groups,
        NeuronRule neuron,
        ResetMode reset,
        int shift,
        short[] weights,
        int weightValue,
        int[] bias,
        int[] threshold) {

    public int inputNeurons() {
        return inputShape[0] * inputShape[1] * inputShape[2];
    }

    public int outputNeurons() {
        return outputShape[0] * outputShape[1] * outputShape[2];
    }

    public int outputChannels() {
        return outputShape[0];
    }

    /** Returns a copy of this layer with another neuron rule and thresholds, as CTT and {@code --neuron} need. */
    public SpikingLayer withNeuron(NeuronRule newNeuron, ResetMode newReset, int[] newThreshold) {
        return new SpikingLayer(name, type, inputShape, outputShape, kernel, stride, padding, dilation, groups,
                newNeuron, newReset, shift, weights, weightValue, bias, newThreshold);
    }
}
