package org.ratesim.sim;

import java.util.List;

/**
 * The integer quantized ANN that an ASG network must reproduce exactly, computed output by output without events.
 *
 * <p>With the network's own integer weights, each hidden layer gives n_out = clamp(floor((Σ w·n_in + T·b) / θ),
 * 0, T) from the previous layer's counts (long arithmetic, floor towards −∞). A max pool gives the largest count of
 * its window (padding ignored), and the readout gives V = Σ w·n + T·b. The loops are written independently of
 * {@link Simulator}, so the two check each other.
 */
public final class IntegerReference {

    private final SnnNetwork network;
    private final int[][] countTables;

    /**
     * Counts and readout of one image.
     *
     * @param inputCounts encoder counts, channels last
     * @param layerCounts counts of each hidden layer, channels last
     * @param readout     readout potentials in the readout's integer units
     * @param prediction  the largest readout, the lowest index on ties
     */
    public record Result(int[] inputCounts, int[][] layerCounts, long[] readout, int prediction) {
    }

    /** @throws IllegalArgumentException for a network with analog input, which has no integer counterpart */
    public IntegerReference(SnnNetwork network) {
        if (!ExactnessCheck.applicable(network)) {
            throw new IllegalArgumentException("a network with analog input has no integer quantized ANN: its IF "
                    + "neurons approximate float ReLU activations; skip the exactness check for it");
        }
        this.network = network;
        this.countTables = InputEncoding.countTables(network.encoder(), network.timesteps());
    }

    /** Evaluates the image that starts at {@code images[offset]} (C × H × W bytes, channels first). */
    public Result evaluate(byte[] images, int offset) {
        int timesteps = network.timesteps();
        int[] counts = encode(images, offset);
        int[] inputCounts = counts;
        List<SpikingLayer> layers = network.layers();
        int[][] layerCounts = new int[layers.size()][];
        for (int l = 0; l < layers.size(); l++) {
            SpikingLayer layer = layers.get(l);
            int[] next = new int[layer.outputNeurons()];
            if (layer.type() == LayerType.MAX_POOL2D) {
                maxPool(layer, counts, next);
            } else {
                long[] potential = potentials(layer, counts, timesteps);
                for (int i = 0; i < next.length; i++) {
                    long threshold = layer.threshold()[i % layer.outputChannels()];
                    long n = Math.floorDiv(potential[i], threshold);
                    next[i] = (int) Math.max(0, Math.min(n, timesteps));
                }
            }
            layerCounts[l] = next;
            counts = next;
        }
        long[] readout = potentials(network.readout(), counts, timesteps);
        int best = 0;
        for (int i = 1; i < readout.length; i++) {
            if (readout[i] > readout[best]) {
                best = i;
            }
        }
        return new Result(inputCounts, layerCounts, readout, best);
    }

    private int[] encode(byte[] images, int offset) {
        int[] shape = network.encoder().shape();
        int channels = shape[0];
        int height = shape[1];
        int width = shape[2];
        int groups = countTables.length;
        int[] counts = new int[channels * groups * height * width];
        for (int c = 0; c < channels; c++) {
            for (int h = 0; h < height; h++) {
                for (int w = 0; w < width; w++) {
                    int pixel = images[offset + (c * height + h) * width + w] & 0xFF;
                    for (int g = 0; g < groups; g++) {
                        counts[(h * width + w) * channels * groups + g * channels + c] = countTables[g][pixel];
                    }
                }
            }
        }
        return counts;
    }

    /** Returns Σ w·n + T·b of every output neuron. */
    private static long[] potentials(SpikingLayer layer, int[] counts, int timesteps) {
        if (layer.type() == LayerType.LINEAR) {
            return linearPotentials(layer, counts, timesteps);
        }
        return windowPotentials(layer, counts, timesteps);
    }

    private static long[] linearPotentials(SpikingLayer layer, int[] counts, int timesteps) {
        int outputs = layer.outputChannels();
        long[] potential = new long[outputs];
        for (int o = 0; o < outputs; o++) {
            long sum = 0;
            for (int i = 0; i < counts.length; i++) {
                sum += (long) layer.weights()[i * outputs + o] * counts[i];
            }
            potential[o] = sum + bias(layer, o) * timesteps;
        }
        return potential;
    }

    /** Returns the potentials of a conv2d or avg-pool layer, looping over outputs and kernel taps. */
    private static long[] windowPotentials(SpikingLayer layer, int[] counts, int timesteps) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        long[] potential = new long[layer.outputNeurons()];
        int inChannels = in[0];
        int outChannels = out[0];
        int kernelHeight = layer.kernel()[0];
        int kernelWidth = layer.kernel()[1];
        boolean pool = layer.type() == LayerType.AVG_POOL2D;
        int groups = layer.groups();
        int inPerGroup = pool ? 1 : inChannels / groups;
        int outPerGroup = pool ? 1 : outChannels / groups;

        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int co = 0; co < outChannels; co++) {
                    int group = co / outPerGroup;
                    long sum = 0;
                    for (int kh = 0; kh < kernelHeight; kh++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh * layer.dilation()[0];
                        if (ih < 0 || ih >= in[1]) {
                            continue;
                        }
                        for (int kw = 0; kw < kernelWidth; kw++) {
                            int iw = ow * layer.stride()[1] - layer.padding()[2] + kw * layer.dilation()[1];
                            if (iw < 0 || iw >= in[2]) {
                                continue;
                            }
                            for (int local = 0; local < inPerGroup; local++) {
                                int ci = group * inPerGroup + local;
                                int n = counts[(ih * in[2] + iw) * inChannels + ci];
                                long weight = pool ? layer.weightValue()
                                        : layer.weights()[((ci * kernelHeight + kh) * kernelWidth + kw) * outPerGroup
                                        + co % outPerGroup];
                                sum += weight * n;
                            }
                        }
                    }
                    potential[(oh * out[2] + ow) * outChannels + co] = sum + bias(layer, co) * timesteps;
                }
            }
        }
        return potential;
    }

    private static long bias(SpikingLayer layer, int channel) {
        return layer.bias() == null ? 0 : layer.bias()[channel];
    }

    private static void maxPool(SpikingLayer layer, int[] counts, int[] next) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        int channels = in[0];
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                for (int c = 0; c < channels; c++) {
                    int largest = 0;
                    for (int kh = 0; kh < layer.kernel()[0]; kh++) {
                        int ih = oh * layer.stride()[0] - layer.padding()[0] + kh;
                        for (int kw = 0; kw < layer.kernel()[1]; kw++) {
                            int iw = ow * layer.stride()[1] - layer.padding()[2] + kw;
                            if (ih >= 0 && ih < in[1] && iw >= 0 && iw < in[2]) {
                                largest = Math.max(largest, counts[(ih * in[2] + iw) * channels + c]);
                            }
                        }
                    }
                    next[(oh * out[2] + ow) * channels + c] = largest;
                }
            }
        }
    }
}
