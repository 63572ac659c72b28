package org.ratesim.tensor;

import java.util.Arrays;

/**
 * Float reference operators on one image (no batch axis): feature maps are {@code [C, H, W]}, vectors {@code [N]}.
 *
 * <p>Every operator reads F32 tensors and returns a new F32 tensor. Convolution sums are float32, as in PyTorch's
 * CPU kernels, with the error bound given at
 * {@link #conv2d(Tensor, Tensor, float[], Tensor, int[], int[], int[], int)}. Linear, average pooling and batch norm
 * sums are accumulated in double and rounded to float once per output element. The quantizer and the input encoders live in {@link Quantizer}.
 *
 * <p>Output sizes follow PyTorch: {@code out = floor((in + before + after − dilation·(kernel − 1) − 1) / stride) + 1}.
 */
public final class Ops {

    private Ops() {
    }

    /**
     * Computes one spatial output size with the PyTorch formula.
     *
     * @throws IllegalArgumentException when a stride or dilation is below 1, a padding is negative, or the output
     *                                  size would be below 1
     */
    public static int outputSize(int in, int padBefore, int padAfter, int kernel, int stride, int dilation) {
        if (stride < 1 || dilation < 1 || kernel < 1) {
            throw new IllegalArgumentException("invalid window: kernel " + kernel + ", stride " + stride
                    + ", dilation " + dilation + "; each must be at least 1");
        }
        if (padBefore < 0 || padAfter < 0) {
            throw new IllegalArgumentException("invalid padding " + padBefore + ", " + padAfter
                    + ": padding must be at least 0");
        }
        long span = (long) in + padBefore + padAfter - (long) dilation * (kernel - 1) - 1;
        if (span < 0) {
            throw new IllegalArgumentException("window of kernel " + kernel + " and dilation " + dilation
                    + " does not fit input size " + in + " with padding " + padBefore + ", " + padAfter
                    + "; reduce the kernel or add padding");
        }
        return Math.toIntExact(span / stride + 1);
    }

    /** Returns the output shape {@code [Cout, Hout, Wout]} of {@link #conv2d} for an input {@code [C, H, W]}. */
    public static int[] conv2dShape(int[] inputShape, int[] weightShape, int[] stride, int[] padding, int[] dilation,
                                    int groups) {
        checkLength("stride", stride, 2);
        checkLength("padding", padding, 4);
        checkLength("dilation", dilation, 2);
        checkRank("conv2d input", inputShape, 3);
        checkRank("conv2d weight", weightShape, 4);
        int channels = inputShape[0];
        int outChannels = weightShape[0];
        if (groups < 1 || channels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("invalid conv2d groups " + groups + ": must be at least 1 and divide "
                    + "the input channels " + channels + " and the output channels " + outChannels);
        }
        if (weightShape[1] != channels / groups) {
            throw new IllegalArgumentException("conv2d weight shape " + Arrays.toString(weightShape)
                    + " does not match input channels " + channels + " / groups " + groups
                    + "; axis 1 must be " + channels / groups);
        }
        int height = outputSize(inputShape[1], padding[0], padding[1], weightShape[2], stride[0], dilation[0]);
        int width = outputSize(inputShape[2], padding[2], padding[3], weightShape[3], stride[1], dilation[1]);
        return new int[] {outChannels, height, width};
    }

    /** Returns the output shape {@code [C, Hout, Wout]} of {@link #avgPool2d} and {@link #maxPool2d}. */
    public static int[] pool2dShape(int[] inputShape, int[] kernel, int[] stride, int[] padding) {
        checkLength("kernel", kernel, 2);
        checkLength("stride", stride, 2);
        checkLength("padding", padding, 4);
        checkRank("pool input", inputShape, 3);
        int height = outputSize(inputShape[1], padding[0], padding[1], kernel[0], stride[0], 1);
        int width = outputSize(inputShape[2], padding[2], padding[3], kernel[1], stride[1], 1);
        return new int[] {inputShape[0], height, width};
    }

    /**
     * Computes a 2-D cross-correlation as PyTorch's {@code conv2d} does: no kernel flip, zero padding.
     *
     * @param input    {@code [Cin, H, W]}
     * @param weight   {@code [Cout, Cin/groups, KH, KW]}
     * @param bias     {@code [Cout]}, or null for no bias
     * @param stride   {@code [sh, sw]}
     * @param padding  {@code [top, bottom, left, right]}
     * @param dilation {@code [dh, dw]}
     * @param groups   number of groups; output channel o reads input channels of group o / (Cout / groups)
     * @return {@code [Cout, Hout, Wout]}
     */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                int[] dilation, int groups) {
        conv2dShape(input.shape(), weight.shape(), stride, padding, dilation, groups);
        return conv2d(input, weight, tapMajorWeights(weight, groups), bias, stride, padding, dilation, groups);
    }

    /**
     * Reorders conv2d weights {@code [Cout, Cin/groups, KH, KW]} to {@code [Cin, KH, KW, Cout/groups]}, so the
     * weights of one input channel and kernel tap to every output channel of its group are contiguous. Input channel
     * ci of group g lists the weights of output channels g·Cout/groups onwards.
     */
    public static float[] tapMajorWeights(Tensor weight, int groups) {
        checkRank("conv2d weight", weight.shape(), 4);
        int outChannels = weight.dim(0);
        int groupInChannels = weight.dim(1);
        int taps = weight.dim(2) * weight.dim(3);
        if (groups < 1 || outChannels % groups != 0) {
            throw new IllegalArgumentException("invalid groups " + groups + ": it must be at least 1 and divide the "
                    + "output channels " + outChannels);
        }
        int groupOutChannels = outChannels / groups;
        float[] w = weight.floats();
        float[] result = new float[w.length];
        for (int o = 0; o < outChannels; o++) {
            int group = o / groupOutChannels;
            int local = o % groupOutChannels;
            for (int ci = 0; ci < groupInChannels; ci++) {
                int inChannel = group * groupInChannels + ci;
                for (int tap = 0; tap < taps; tap++) {
                    result[(inChannel * taps + tap) * groupOutChannels + local] = w[(o * groupInChannels + ci) * taps
                            + tap];
                }
            }
        }
        return result;
    }

    /**
     * Computes {@link #conv2d(Tensor, Tensor, Tensor, int[], int[], int[], int)} with the weights already reordered
     * by {@link #tapMajorWeights}, so callers that run one layer on many images reorder them once.
     *
     * <p>Each nonzero input value is scattered to every output it reaches, into float sums laid out channels last,
     * so the innermost loop runs over the contiguous output channels of one group. Zero inputs are skipped, which is
     * exact because parameters are finite. The sums are float32 in input order (row, column, then channel), as
     * PyTorch's CPU conv2d sums in float32, so each output may differ from the exact sum by about n·2⁻²⁴·Σ|w·x| for
     * n nonzero terms.
     */
    public static Tensor conv2d(Tensor input, Tensor weight, float[] tapMajorWeights, Tensor bias, int[] stride,
                                int[] padding, int[] dilation, int groups) {
        int[] outShape = conv2dShape(input.shape(), weight.shape(), stride, padding, dilation, groups);
        int outChannels = outShape[0];
        int outHeight = outShape[1];
        int outWidth = outShape[2];
        checkBias(bias, outChannels);
        if (tapMajorWeights.length != weight.size()) {
            throw new IllegalArgumentException("reordered conv2d weights have " + tapMajorWeights.length
                    + " values but the weight has " + weight.size() + "; build them with tapMajorWeights");
        }

        int inChannels = input.dim(0);
        int height = input.dim(1);
        int width = input.dim(2);
        int groupInChannels = weight.dim(1);
        int kernelHeight = weight.dim(2);
        int kernelWidth = weight.dim(3);
        int groupOutChannels = outChannels / groups;
        float[] x = input.floats();
        float[] sums = new float[outHeight * outWidth * outChannels];

        int[][] rowPairs = reachedOutputs(height, outHeight, kernelHeight, stride[0], padding[0], dilation[0]);
        int[][] colPairs = reachedOutputs(width, outWidth, kernelWidth, stride[1], padding[2], dilation[1]);
        for (int ci = 0; ci < inChannels; ci++) {
            int firstOut = (ci / groupInChannels) * groupOutChannels;
            for (int ih = 0; ih < height; ih++) {
                int[] rows = rowPairs[ih];
                for (int iw = 0; iw < width; iw++) {
                    float value = x[(ci * height + ih) * width + iw];
                    if (value == 0.0f) {
                        continue;
                    }
                    int[] cols = colPairs[iw];
                    for (int r = 0; r < rows.length; r += 2) {
                        int rowBase = rows[r + 1] * outWidth;
                        int tapRow = (ci * kernelHeight + rows[r]) * kernelWidth;
                        for (int c = 0; c < cols.length; c += 2) {
                            int sumBase = (rowBase + cols[c + 1]) * outChannels + firstOut;
                            int weightBase = (tapRow + cols[c]) * groupOutChannels;
                            for (int j = 0; j < groupOutChannels; j++) {
                                sums[sumBase + j] += value * tapMajorWeights[weightBase + j];
                            }
                        }
                    }
                }
            }
        }

        int positions = outHeight * outWidth;
        float[] result = new float[outChannels * positions];
        for (int o = 0; o < outChannels; o++) {
            float b = bias == null ? 0.0f : bias.floats()[o];
            int outBase = o * positions;
            for (int p = 0; p < positions; p++) {
                result[outBase + p] = sums[p * outChannels + o] + b;
            }
        }
        return Tensor.of(result, outShape);
    }

    /**
     * Returns, for each input index i along one axis, the (kernel tap, output index) pairs that read it, flattened as
     * {@code [k0, o0, k1, o1, ...]}: output o reads input o·stride − padBefore + k·dilation. Scatter loops use it to
     * avoid a division per tap.
     */
    public static int[][] reachedOutputs(int in, int out, int kernel, int stride, int padBefore, int dilation) {
        int[][] pairs = new int[in][];
        int[] buffer = new int[2 * kernel];
        for (int i = 0; i < in; i++) {
            int length = 0;
            for (int k = 0; k < kernel; k++) {
                int numerator = i + padBefore - k * dilation;
                if (numerator >= 0 && numerator % stride == 0 && numerator / stride < out) {
                    buffer[length++] = k;
                    buffer[length++] = numerator / stride;
                }
            }
            pairs[i] = Arrays.copyOf(buffer, length);
        }
        return pairs;
    }

    /**
     * Returns, for each kernel tap k, the half-open range [first, end) of output positions whose input position
     * {@code out·stride − padBefore + k·dilation} lies inside {@code [0, in)}.
     */
    static int[][] tapRanges(int in, int out, int kernel, int stride, int padBefore, int dilation) {
        int[][] ranges = new int[kernel][2];
        for (int k = 0; k < kernel; k++) {
            int offset = k * dilation - padBefore;
            // Smallest o with o·stride + offset ≥ 0, and smallest o with o·stride + offset ≥ in.
            int first = offset >= 0 ? 0 : ceilDiv(-offset, stride);
            int end = Math.min(out, ceilDiv(in - offset, stride));
            ranges[k][0] = Math.min(first, out);
            ranges[k][1] = Math.max(end, ranges[k][0]);
        }
        return ranges;
    }

    /**
     * Counts the (output position, kernel tap) pairs along one axis whose input position lies inside the image, not in
     * the padding. The product of the counts of both axes is the number of real multiplies per channel pair.
     */
    public static long validTaps(int in, int out, int kernel, int stride, int padBefore, int dilation) {
        long taps = 0;
        for (int[] range : tapRanges(in, out, kernel, stride, padBefore, dilation)) {
            taps += range[1] - range[0];
        }
        return taps;
    }

    private static int ceilDiv(int numerator, int denominator) {
        return -Math.floorDiv(-numerator, denominator);
    }

    /**
     * Computes y = W·x + b.
     *
     * @param input  {@code [In]}
     * @param weight {@code [Out, In]}
     * @param bias   {@code [Out]}, or null for no bias
     */
    public static Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        checkRank("linear input", input.shape(), 1);
        checkRank("linear weight", weight.shape(), 2);
        int in = input.dim(0);
        int out = weight.dim(0);
        if (weight.dim(1) != in) {
            throw new IllegalArgumentException("linear weight shape " + Arrays.toString(weight.shape())
                    + " does not match input size " + in + "; axis 1 must be " + in);
        }
        checkBias(bias, out);
        float[] x = input.floats();
        float[] w = weight.floats();
        float[] result = new float[out];
        for (int o = 0; o < out; o++) {
            double sum = 0.0;
            int rowBase = o * in;
            for (int i = 0; i < in; i++) {
                sum += (double) w[rowBase + i] * x[i];
            }
            result[o] = (float) (sum + (bias == null ? 0.0 : bias.floats()[o]));
        }
        return Tensor.of(result, out);
    }

    /**
     * Computes average pooling with zero padding counted in the mean (PyTorch {@code count_include_pad=True}): the
     * divisor is always kh·kw.
     */
    public static Tensor avgPool2d(Tensor input, int[] kernel, int[] stride, int[] padding) {
        int[] outShape = pool2dShape(input.shape(), kernel, stride, padding);
        float[] x = input.floats();
        int height = input.dim(1);
        int width = input.dim(2);
        int outHeight = outShape[1];
        int outWidth = outShape[2];
        double divisor = (double) kernel[0] * kernel[1];
        float[] result = new float[Tensor.size(outShape)];
        for (int c = 0; c < outShape[0]; c++) {
            for (int oh = 0; oh < outHeight; oh++) {
                for (int ow = 0; ow < outWidth; ow++) {
                    double sum = 0.0;
                    for (int kh = 0; kh < kernel[0]; kh++) {
                        int ih = oh * stride[0] - padding[0] + kh;
                        if (ih < 0 || ih >= height) {
                            continue;
                        }
                        for (int kw = 0; kw < kernel[1]; kw++) {
                            int iw = ow * stride[1] - padding[2] + kw;
                            if (iw >= 0 && iw < width) {
                                sum += x[(c * height + ih) * width + iw];
                            }
                        }
                    }
                    result[(c * outHeight + oh) * outWidth + ow] = (float) (sum / divisor);
                }
            }
        }
        return Tensor.of(result, outShape);
    }

    /**
     * Computes max pooling. Padded positions are ignored, not read as zeros, but padding still enlarges the output.
     * A window that covers only padding would yield −∞, which padding of at most half the kernel (the model format's
     * rule) rules out.
     */
    public static Tensor maxPool2d(Tensor input, int[] kernel, int[] stride, int[] padding) {
        int[] outShape = pool2dShape(input.shape(), kernel, stride, padding);
        float[] x = input.floats();
        int height = input.dim(1);
        int width = input.dim(2);
        int outHeight = outShape[1];
        int outWidth = outShape[2];
        float[] result = new float[Tensor.size(outShape)];
        for (int c = 0; c < outShape[0]; c++) {
            for (int oh = 0; oh < outHeight; oh++) {
                for (int ow = 0; ow < outWidth; ow++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int kh = 0; kh < kernel[0]; kh++) {
                        int ih = oh * stride[0] - padding[0] + kh;
                        if (ih < 0 || ih >= height) {
                            continue;
                        }
                        for (int kw = 0; kw < kernel[1]; kw++) {
                            int iw = ow * stride[1] - padding[2] + kw;
                            if (iw >= 0 && iw < width) {
                                max = Math.max(max, x[(c * height + ih) * width + iw]);
                            }
                        }
                    }
                    result[(c * outHeight + oh) * outWidth + ow] = max;
                }
            }
        }
        return Tensor.of(result, outShape);
    }

    /**
     * Flattens {@code [C, H, W]} to {@code [C·H·W]}. Order {@code "chw"} puts element (c, h, w) at c·H·W + h·W + w
     * (PyTorch); {@code "hwc"} puts it at (h·W + w)·C + c (Keras channels-last). A vector is returned unchanged.
     */
    public static Tensor flatten(Tensor input, String order) {
        if (!"chw".equals(order) && !"hwc".equals(order)) {
            throw new IllegalArgumentException("invalid flatten order \"" + order + "\": use \"chw\" or \"hwc\"");
        }
        if (input.rank() == 1) {
            return input.copy();
        }
        checkRank("flatten input", input.shape(), 3);
        int channels = input.dim(0);
        int plane = input.dim(1) * input.dim(2);
        float[] x = input.floats();
        if ("chw".equals(order)) {
            return Tensor.of(x.clone(), x.length);
        }
        float[] result = new float[x.length];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < plane; p++) {
                result[p * channels + c] = x[c * plane + p];
            }
        }
        return Tensor.of(result, x.length);
    }

    /**
     * Computes inference batch norm y = (x − μ) / √(σ² + eps) · γ + β per channel, where the channel is axis 0 of a
     * {@code [C, H, W]} map or of a {@code [N]} vector.
     */
    public static Tensor batchNorm(Tensor input, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   double eps) {
        int channels = input.dim(0);
        for (Tensor param : new Tensor[] {gamma, beta, runningMean, runningVar}) {
            if (param.rank() != 1 || param.dim(0) != channels) {
                throw new IllegalArgumentException("batch_norm parameter shape " + Arrays.toString(param.shape())
                        + " does not match " + channels + " channels; expected [" + channels + "]");
            }
        }
        float[] x = input.floats();
        int plane = x.length / channels;
        float[] result = new float[x.length];
        for (int c = 0; c < channels; c++) {
            double scale = gamma.floats()[c] / Math.sqrt((double) runningVar.floats()[c] + eps);
            double mean = runningMean.floats()[c];
            double shift = beta.floats()[c];
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                result[i] = (float) ((x[i] - mean) * scale + shift);
            }
        }
        return Tensor.of(result, input.shape());
    }

    /** Computes max(x, 0) element-wise; NaN stays NaN. */
    public static Tensor relu(Tensor input) {
        float[] x = input.floats();
        float[] result = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            result[i] = x[i] < 0.0f ? 0.0f : x[i];
        }
        return Tensor.of(result, input.shape());
    }

    /** Returns a copy of the input: dropout is the identity at inference. */
    public static Tensor dropout(Tensor input) {
        return input.copy();
    }

    /** Returns the index of the largest value; the lowest index wins ties, and NaN is never chosen over a number. */
    public static int argmax(float[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("argmax of an empty array");
        }
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best] || Float.isNaN(values[best]) && !Float.isNaN(values[i])) {
                best = i;
            }
        }
        return best;
    }

    private static void checkRank(String what, int[] shape, int rank) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(shape) + "; expected rank "
                    + rank);
        }
    }

    private static void checkLength(String what, int[] values, int length) {
        if (values.length != length) {
            throw new IllegalArgumentException("invalid " + what + " " + Arrays.toString(values) + ": expected "
                    + length + " integers");
        }
    }

    private static void checkBias(Tensor bias, int outChannels) {
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != outChannels)) {
            throw new IllegalArgumentException("bias shape " + Arrays.toString(bias.shape()) + " does not match "
                    + outChannels + " outputs; expected [" + outChannels + "]");
        }
    }
}
