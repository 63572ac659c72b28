package org.ratesim.sim;

import java.util.List;

/**
 * The integer quantized ANN that an ASG network must reproduce exactly, computed layer by layer from spike counts
 * without events or time steps.
 *
 * <p>With the network's own integer weights, each hidden layer gives n_out = clamp(floor((Σ w·n_in + T·b) / θ),
 * 0, T) from the previous layer's counts (long arithmetic, floor towards −∞). The sums scatter each nonzero count
 * to the outputs it reaches. A max pool gives the largest count of its window (padding ignored), and the readout
 * gives V = Σ w·n + T·b. The loops are written independently of {@link Simulator} and its kernels, so the two
 * check each other.
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

    public IntegerReference(SnnNetwork network) {
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

    /** Scatters each nonzero input count through its row of the [inputs, outputs] weight matrix. */
    private static long[] linearPotentials(SpikingLayer layer, int[] counts, int timesteps) {
        int outputs = layer.outputChannels();
        short[] weights = layer.weights();
        long[] potential = new long[outputs];
        for (int i = 0; i < counts.length; i++) {
            long n = counts[i];
            if (n == 0) {
                continue;
            }
            int rowBase = i * outputs;
            for (int o = 0; o < outputs; o++) {
                potential[o] += n * weights[rowBase + o];
            }
        }
        for (int o = 0; o < outputs; o++) {
            potential[o] += bias(layer, o) * timesteps;
        }
        return potential;
    }

    /**
     * Returns the potentials of a conv2d or avg-pool layer. Each nonzero input count is scattered to every output
     * whose window holds it: output row oh reads input row oh·stride − padTop + kh·dilation, so input row ih reaches
     * oh = (ih + padTop − kh·dilation) / stride when that division is exact and in range, and likewise for columns.
     * A zero count adds nothing, so skipping it changes no sum. With n ≤ T and |w| ≤ 2^15 the long sums cannot wrap
     * unless an output reads more than 2^63 / (T·2^15) inputs.
     */
    private static long[] windowPotentials(SpikingLayer layer, int[] counts, int timesteps) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        long[] potential = new long[layer.outputNeurons()];
        int inChannels = in[0];
        int outChannels = out[0];
        int kernelHeight = layer.kernel()[0];
        int kernelWidth = layer.kernel()[1];
        int[] stride = layer.stride();
        int[] padding = layer.padding();
        int[] dilation = layer.dilation();
        boolean pool = layer.type() == LayerType.AVG_POOL2D;
        int groups = pool ? inChannels : layer.groups();
        int inPerGroup = inChannels / groups;
        int outPerGroup = outChannels / groups;
        short[] weights = layer.weights();
        long poolWeight = pool ? layer.weightValue() : 0;

        for (int ih = 0; ih < in[1]; ih++) {
            for (int iw = 0; iw < in[2]; iw++) {
                for (int ci = 0; ci < inChannels; ci++) {
                    long n = counts[(ih * in[2] + iw) * inChannels + ci];
                    if (n == 0) {
                        continue;
                    }
                    int firstOut = (ci / inPerGroup) * outPerGroup;
                    for (int kh = 0; kh < kernelHeight; kh++) {
                        int rows = ih + padding[0] - kh * dilation[0];
                        if (rows < 0 || rows % stride[0] != 0 || rows / stride[0] >= out[1]) {
                            continue;
                        }
                        int oh = rows / stride[0];
                        for (int kw = 0; kw < kernelWidth; kw++) {
                            int cols = iw + padding[2] - kw * dilation[1];
                            if (cols < 0 || cols % stride[1] != 0 || cols / stride[1] >= out[2]) {
                                continue;
                            }
                            int target = (oh * out[2] + cols / stride[1]) * outChannels + firstOut;
                            if (pool) {
                                potential[target] += n * poolWeight;
                                continue;
                            }
                            int weightBase = ((ci * kernelHeight + kh) * kernelWidth + kw) * outPerGroup;
                            for (int j = 0; j < outPerGroup; j++) {
                                potential[target + j] += n * weights[weightBase + j];
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < potential.length; i++) {
            potential[i] += bias(layer, i % outChannels) * timesteps;
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
