package org.ratesim.properties;

import org.ratesim.sim.LayerType;
import org.ratesim.sim.SpikingLayer;

/**
 * Test oracle, not part of ratesim: brute-force synapse arithmetic of one converted layer, written from the layer
 * format (channels-last neuron indices, input-major weights) by looping over every output neuron and kernel tap.
 */
final class LayerMath {

    private LayerMath() {
    }

    /**
     * Returns Σ w·n of every output neuron of a conv2d, linear or average-pool layer for input spike counts
     * {@code counts}, without the bias. Padded taps contribute nothing.
     */
    static long[] weightedSums(SpikingLayer layer, int[] counts) {
        long[] sums = new long[layer.outputNeurons()];
        if (layer.type() == LayerType.LINEAR) {
            int outputs = layer.outputChannels();
            for (int i = 0; i < counts.length; i++) {
                for (int o = 0; o < outputs; o++) {
                    sums[o] += (long) layer.weights()[i * outputs + o] * counts[i];
                }
            }
            return sums;
        }
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        boolean pool = layer.type() == LayerType.AVG_POOL2D;
        int groups = pool ? in[0] : layer.groups();
        int inPerGroup = in[0] / groups;
        int outPerGroup = out[0] / groups;
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                    for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh * layer.dilation()[0];
                        int iw = ow * layer.stride()[1] - layer.padding()[2] + kw * layer.dilation()[1];
                        if (ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                            continue;
                        }
                        for (int ci = 0; ci < in[0]; ci++) {
                            int n = counts[(ih * in[2] + iw) * in[0] + ci];
                            int group = ci / inPerGroup;
                            for (int j = 0; j < outPerGroup; j++) {
                                int co = group * outPerGroup + j;
                                long weight = pool ? layer.weightValue() : layer.weights()[
                                        ((ci * layer.kernel()[0] + kh) * layer.kernel()[1] + kw) * outPerGroup + j];
                                sums[(oh * out[2] + ow) * out[0] + co] += weight * n;
                            }
                        }
                    }
                }
            }
        }
        return sums;
    }

    /** Returns the sum of the counts in each pool window, padded positions contributing 0. */
    static long[] windowSums(SpikingLayer layer, int[] counts) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        long[] sums = new long[layer.outputNeurons()];
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                    for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh;
                        int iw = ow * layer.stride()[1] - layer.padding()[2] + kw;
                        if (ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                            continue;
                        }
                        for (int c = 0; c < in[0]; c++) {
                            sums[(oh * out[2] + ow) * out[0] + c] += counts[(ih * in[2] + iw) * in[0] + c];
                        }
                    }
                }
            }
        }
        return sums;
    }

    /** Returns the largest count of each max-pool window, padded positions ignored (0 for an all-padding window). */
    static int[] windowMaxima(SpikingLayer layer, int[] counts) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        int[] maxima = new int[layer.outputNeurons()];
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                    for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh;
                        int iw = ow * layer.stride()[1] - layer.padding()[2] + kw;
                        if (ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                            continue;
                        }
                        for (int c = 0; c < in[0]; c++) {
                            int target = (oh * out[2] + ow) * out[0] + c;
                            maxima[target] = Math.max(maxima[target], counts[(ih * in[2] + iw) * in[0] + c]);
                        }
                    }
                }
            }
        }
        return maxima;
    }

    /**
     * Returns, for every input neuron, the number of synapses that leave it: one per (output neuron, kernel tap)
     * pair that reads it. A tap that falls on padding reads no neuron.
     */
    static long[] fanOut(SpikingLayer layer) {
        long[] fanOut = new long[layer.inputNeurons()];
        if (layer.type() == LayerType.LINEAR) {
            java.util.Arrays.fill(fanOut, layer.outputNeurons());
            return fanOut;
        }
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        boolean conv = layer.type() == LayerType.CONV2D;
        int targetsPerTap = conv ? out[0] / layer.groups() : 1;
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                    for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh * layer.dilation()[0];
                        int iw = ow * layer.stride()[1] - layer.padding()[2] + kw * layer.dilation()[1];
                        if (ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                            continue;
                        }
                        for (int c = 0; c < in[0]; c++) {
                            fanOut[(ih * in[2] + iw) * in[0] + c] += targetsPerTap;
                        }
                    }
                }
            }
        }
        return fanOut;
    }
}
