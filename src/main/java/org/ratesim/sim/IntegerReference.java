package org.ratesim.sim;

import java.util.Arrays;
import java.util.List;
import org.ratesim.tensor.Ops;

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
    /** Per hidden layer, then the readout: whether no partial sum Σ w·n can leave the int range. */
    private final boolean[] intSums;

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
        int maxCount = network.timesteps();
        for (int[] table : countTables) {
            for (int count : table) {
                maxCount = Math.max(maxCount, count);
            }
        }
        List<SpikingLayer> layers = network.layers();
        this.intSums = new boolean[layers.size() + 1];
        for (int l = 0; l <= layers.size(); l++) {
            SpikingLayer layer = l < layers.size() ? layers.get(l) : network.readout();
            intSums[l] = layer.type() != LayerType.MAX_POOL2D && maxAbsoluteSum(layer, maxCount) < Integer.MAX_VALUE;
        }
    }

    /**
     * Returns an upper bound of |Σ w·n| over any partial sum of one output, given counts 0 ≤ n ≤ maxCount. The bound
     * is computed here from the weights, not taken from the converter, so the reference stays exact for any network.
     * It is a double: sums of integers below 2^53 are exact, and larger values are far above the int range anyway.
     */
    private static double maxAbsoluteSum(SpikingLayer layer, int maxCount) {
        int outChannels = layer.outputChannels();
        double[] absolute = new double[outChannels];
        if (layer.type() == LayerType.AVG_POOL2D) {
            Arrays.fill(absolute, (double) layer.kernel()[0] * layer.kernel()[1] * Math.abs(layer.weightValue()));
        } else {
            short[] weights = layer.weights();
            // Linear weights are [inputs, outputs]; conv2d weights are [Cin, KH, KW, Cout/groups].
            int perGroupOut = layer.type() == LayerType.LINEAR ? outChannels : outChannels / layer.groups();
            int taps = layer.type() == LayerType.LINEAR ? 1 : layer.kernel()[0] * layer.kernel()[1];
            int perGroupIn = layer.type() == LayerType.LINEAR ? Integer.MAX_VALUE
                    : layer.inputShape()[0] / layer.groups();
            for (int i = 0; i < weights.length; i++) {
                int inChannel = i / perGroupOut / taps;
                int output = inChannel / perGroupIn * perGroupOut + i % perGroupOut;
                absolute[output] += Math.abs(weights[i]);
            }
        }
        double largest = 0;
        for (double sum : absolute) {
            largest = Math.max(largest, sum);
        }
        return largest * maxCount;
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
                long[] potential = potentials(layer, counts, timesteps, intSums[l]);
                for (int i = 0; i < next.length; i++) {
                    long threshold = layer.threshold()[i % layer.outputChannels()];
                    long n = Math.floorDiv(potential[i], threshold);
                    next[i] = (int) Math.max(0, Math.min(n, timesteps));
                }
            }
            layerCounts[l] = next;
            counts = next;
        }
        long[] readout = potentials(network.readout(), counts, timesteps, intSums[layers.size()]);
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

    /**
     * Returns Σ w·n + T·b of every output neuron. With {@code intSums} the weighted sums run in int, which is
     * faster and exact when {@link #maxAbsoluteSum} is below 2^31; otherwise they run in long.
     */
    private static long[] potentials(SpikingLayer layer, int[] counts, int timesteps, boolean intSums) {
        int outputs = layer.outputNeurons();
        int[] ints = intSums ? new int[outputs] : null;
        long[] longs = intSums ? null : new long[outputs];
        if (layer.type() == LayerType.LINEAR) {
            linearSums(layer, counts, ints, longs);
        } else {
            windowSums(layer, counts, ints, longs);
        }
        long[] potential = intSums ? new long[outputs] : longs;
        for (int i = 0; i < outputs; i++) {
            long sum = intSums ? ints[i] : longs[i];
            potential[i] = sum + bias(layer, i % layer.outputChannels()) * timesteps;
        }
        return potential;
    }

    /** Scatters each nonzero input count through its row of the [inputs, outputs] weight matrix. */
    private static void linearSums(SpikingLayer layer, int[] counts, int[] ints, long[] longs) {
        int outputs = layer.outputChannels();
        short[] weights = layer.weights();
        for (int i = 0; i < counts.length; i++) {
            int n = counts[i];
            if (n != 0) {
                addRow(weights, i * outputs, n, ints, longs, 0, outputs);
            }
        }
    }

    /** Adds n·weights[weightBase + j] to the sums at target + j for j in [0, length), in int or in long. */
    private static void addRow(short[] weights, int weightBase, int n, int[] ints, long[] longs, int target,
                               int length) {
        if (ints != null) {
            for (int j = 0; j < length; j++) {
                ints[target + j] += n * weights[weightBase + j];
            }
        } else {
            for (int j = 0; j < length; j++) {
                longs[target + j] += (long) n * weights[weightBase + j];
            }
        }
    }

    /**
     * Adds the weighted sums of a conv2d or avg-pool layer to {@code ints} or {@code longs}. Each nonzero input
     * count is scattered to every output whose window contains it: output row oh reads input row
     * oh·stride − padTop + kh·dilation, so input row ih reaches oh = (ih + padTop − kh·dilation) / stride when that
     * division is exact and in range, and likewise for columns. A zero count adds nothing, so skipping it changes no
     * sum. With n ≤ T and |w| ≤ 2^15 the long sums cannot wrap unless an output reads more than 2^63 / (T·2^15)
     * inputs.
     */
    private static void windowSums(SpikingLayer layer, int[] counts, int[] ints, long[] longs) {
        short[] weights = layer.weights();
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
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
        int poolWeight = layer.weightValue();

        int[][] rowPairs = Ops.reachedOutputs(in[1], out[1], kernelHeight, stride[0], padding[0], dilation[0]);
        int[][] colPairs = Ops.reachedOutputs(in[2], out[2], kernelWidth, stride[1], padding[2], dilation[1]);
        for (int ih = 0; ih < in[1]; ih++) {
            int[] rows = rowPairs[ih];
            for (int iw = 0; iw < in[2]; iw++) {
                int[] cols = colPairs[iw];
                for (int ci = 0; ci < inChannels; ci++) {
                    int n = counts[(ih * in[2] + iw) * inChannels + ci];
                    if (n == 0) {
                        continue;
                    }
                    int firstOut = (ci / inPerGroup) * outPerGroup;
                    for (int r = 0; r < rows.length; r += 2) {
                        int rowBase = rows[r + 1] * out[2];
                        int tapRow = (ci * kernelHeight + rows[r]) * kernelWidth;
                        for (int c = 0; c < cols.length; c += 2) {
                            int target = (rowBase + cols[c + 1]) * outChannels + firstOut;
                            if (pool) {
                                if (ints != null) {
                                    ints[target] += n * poolWeight;
                                } else {
                                    longs[target] += (long) n * poolWeight;
                                }
                                continue;
                            }
                            addRow(weights, (tapRow + cols[c]) * outPerGroup, n, ints, longs, target, outPerGroup);
                        }
                    }
                }
            }
        }
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
