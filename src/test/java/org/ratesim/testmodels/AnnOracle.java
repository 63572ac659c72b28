package org.ratesim.testmodels;

import java.util.HashMap;
import java.util.Map;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.tensor.Tensor;

/**
 * Test oracle: a naive double-precision evaluator of a chain model, channels first, written only from the op
 * definitions of the model format. With dyadic weights and power-of-two T/L its results are exact.
 *
 * <p>{@link #run(Model, byte[], int, double)} evaluates the model with every activation multiplied by a scale s.
 * With s = T, a quantized activation k/L becomes k·(T/L), which is dyadic for power-of-two T/L even when L is not
 * (T = 5, L = 2.5), so the scaled results stay exact for any T.
 */
public final class AnnOracle {

    private AnnOracle() {
    }

    /** One node's output: {@code [C, H, W]} maps or {@code [N, 1, 1]} vectors, channels first. */
    public record Activation(int[] shape, double[] values) {
    }

    /** Runs the model on one image of raw bytes and returns every node's output by name. */
    public static Map<String, Activation> run(Model model, byte[] images, int offset) {
        return run(model, images, offset, 1.0);
    }

    /**
     * Runs the model on one image and returns every node's output multiplied by {@code scale}: biases, batch-norm
     * means and shifts are scaled, and each quantizer floors L/scale times its scaled input.
     */
    public static Map<String, Activation> run(Model model, byte[] images, int offset, double scale) {
        int[] inputShape = model.graph().input().shape();
        int pixels = inputShape[0] * inputShape[1] * inputShape[2];
        double[] bytes = new double[pixels];
        for (int i = 0; i < pixels; i++) {
            bytes[i] = images[offset + i] & 0xFF;
        }
        Map<String, Activation> outputs = new HashMap<>();
        outputs.put(model.graph().input().name(), new Activation(inputShape, bytes));
        for (Node node : model.graph().nodes()) {
            Activation in = outputs.get(node.input());
            outputs.put(node.name(), apply(model, node, in, node.input().equals(model.graph().input().name()),
                    scale));
        }
        return outputs;
    }

    private static Activation apply(Model model, Node node, Activation in, boolean readsInput, double scale) {
        int[] s = in.shape();
        double[] x = in.values();
        switch (node.op()) {
            case CLAMP_FLOOR: {
                int timesteps = (int) node.longAttr("timesteps", 0);
                double levels = node.doubleAttr("levels", 0);
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    y[i] = readsInput ? byteCount(levels, 0, x[i], timesteps) * (scale / levels)
                            : Math.floor(levels / scale * Math.min(Math.max(x[i], 0), scale * timesteps / levels))
                            * (scale / levels);
                }
                return new Activation(s, y);
            }
            case INPUT_EXPANSION: {
                int timesteps = (int) node.longAttr("timesteps", 0);
                double levels = node.doubleAttr("levels", 0);
                int[] offsets = node.intsAttr("offsets", new int[0]);
                double[] y = new double[x.length * offsets.length];
                for (int g = 0; g < offsets.length; g++) {
                    for (int i = 0; i < x.length; i++) {
                        y[g * x.length + i] = byteCount(levels, offsets[g], x[i], timesteps) * (scale / levels);
                    }
                }
                return new Activation(new int[] {s[0] * offsets.length, s[1], s[2]}, y);
            }
            case CONV2D:
                return conv(model, node, in, scale);
            case LINEAR: {
                Tensor weight = model.param(node, "weight");
                Tensor bias = model.param(node, "bias");
                int outputs = weight.dim(0);
                double[] y = new double[outputs];
                for (int o = 0; o < outputs; o++) {
                    double sum = bias == null ? 0 : scale * bias.floats()[o];
                    for (int i = 0; i < x.length; i++) {
                        sum += (double) weight.floats()[o * x.length + i] * x[i];
                    }
                    y[o] = sum;
                }
                return new Activation(new int[] {outputs, 1, 1}, y);
            }
            case BATCH_NORM: {
                double eps = node.doubleAttr("eps", 1e-5);
                float[] gamma = model.param(node, "weight").floats();
                float[] beta = model.param(node, "bias").floats();
                float[] mean = model.param(node, "running_mean").floats();
                float[] variance = model.param(node, "running_var").floats();
                int plane = s[1] * s[2];
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    int c = i / plane;
                    y[i] = (x[i] - scale * mean[c]) / Math.sqrt(variance[c] + eps) * gamma[c] + scale * beta[c];
                }
                return new Activation(s, y);
            }
            case RELU: {
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    y[i] = Math.max(x[i], 0);
                }
                return new Activation(s, y);
            }
            case AVG_POOL2D:
            case MAX_POOL2D:
                return pool(node, in);
            case FLATTEN: {
                if (node.stringAttr("order", "chw").equals("chw")) {
                    return new Activation(new int[] {x.length, 1, 1}, x);
                }
                double[] y = new double[x.length];
                int plane = s[1] * s[2];
                for (int c = 0; c < s[0]; c++) {
                    for (int p = 0; p < plane; p++) {
                        y[p * s[0] + c] = x[c * plane + p];
                    }
                }
                return new Activation(new int[] {x.length, 1, 1}, y);
            }
            case DROPOUT:
                return in;
            default:
                throw new IllegalArgumentException("oracle has no op " + node.op());
        }
    }

    /**
     * Returns min(floor((L + offset)·b/255), T), clamped at 0. L is written as p / 2^j with integer p, the smallest
     * j ≤ 20 that makes p whole, and the floor is taken on longs: floor((p + offset·2^j)·b / (255·2^j)).
     */
    private static int byteCount(double levels, int offset, double pixel, int timesteps) {
        int exponent = 0;
        while (Math.scalb(levels, exponent) != Math.rint(Math.scalb(levels, exponent))) {
            exponent++;
            if (exponent > 20) {
                throw new IllegalArgumentException("oracle encodes levels with at most 20 fraction bits, not "
                        + levels);
            }
        }
        long denominator = 255L << exponent;
        long numerator = ((long) Math.scalb(levels, exponent) + ((long) offset << exponent)) * (long) pixel;
        return (int) Math.max(0, Math.min(Math.floorDiv(numerator, denominator), timesteps));
    }

    private static Activation conv(Model model, Node node, Activation in, double scale) {
        int[] s = in.shape();
        Tensor weight = model.param(node, "weight");
        Tensor bias = model.param(node, "bias");
        int[] ws = weight.shape();
        int groups = (int) node.longAttr("groups", 1);
        int[] stride = node.intsAttr("stride", new int[] {1, 1});
        int[] padding = node.intsAttr("padding", new int[] {0, 0, 0, 0});
        int[] dilation = node.intsAttr("dilation", new int[] {1, 1});
        int outH = (s[1] + padding[0] + padding[1] - dilation[0] * (ws[2] - 1) - 1) / stride[0] + 1;
        int outW = (s[2] + padding[2] + padding[3] - dilation[1] * (ws[3] - 1) - 1) / stride[1] + 1;
        int inPerGroup = s[0] / groups;
        int outPerGroup = ws[0] / groups;
        double[] y = new double[ws[0] * outH * outW];
        for (int co = 0; co < ws[0]; co++) {
            int group = co / outPerGroup;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    double sum = bias == null ? 0 : scale * bias.floats()[co];
                    for (int local = 0; local < inPerGroup; local++) {
                        int ci = group * inPerGroup + local;
                        for (int kh = 0; kh < ws[2]; kh++) {
                            for (int kw = 0; kw < ws[3]; kw++) {
                                int ih = oh * stride[0] - padding[0] + kh * dilation[0];
                                int iw = ow * stride[1] - padding[2] + kw * dilation[1];
                                if (ih >= 0 && ih < s[1] && iw >= 0 && iw < s[2]) {
                                    double w = weight.floats()[((co * inPerGroup + local) * ws[2] + kh) * ws[3] + kw];
                                    sum += w * in.values()[(ci * s[1] + ih) * s[2] + iw];
                                }
                            }
                        }
                    }
                    y[(co * outH + oh) * outW + ow] = sum;
                }
            }
        }
        return new Activation(new int[] {ws[0], outH, outW}, y);
    }

    private static Activation pool(Node node, Activation in) {
        int[] s = in.shape();
        int[] kernel = node.intsAttr("kernel", new int[0]);
        int[] stride = node.intsAttr("stride", kernel);
        int[] padding = node.intsAttr("padding", new int[] {0, 0, 0, 0});
        boolean max = node.op() == org.ratesim.model.Op.MAX_POOL2D;
        int outH = (s[1] + padding[0] + padding[1] - kernel[0]) / stride[0] + 1;
        int outW = (s[2] + padding[2] + padding[3] - kernel[1]) / stride[1] + 1;
        double[] y = new double[s[0] * outH * outW];
        for (int c = 0; c < s[0]; c++) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int kh = 0; kh < kernel[0]; kh++) {
                        for (int kw = 0; kw < kernel[1]; kw++) {
                            int ih = oh * stride[0] - padding[0] + kh;
                            int iw = ow * stride[1] - padding[2] + kw;
                            if (ih >= 0 && ih < s[1] && iw >= 0 && iw < s[2]) {
                                double v = in.values()[(c * s[1] + ih) * s[2] + iw];
                                acc = max ? Math.max(acc, v) : acc + v;
                            }
                        }
                    }
                    y[(c * outH + oh) * outW + ow] = max ? acc : acc / (kernel[0] * kernel[1]);
                }
            }
        }
        return new Activation(new int[] {s[0], outH, outW}, y);
    }

    /** Returns the value of channel-first entry (c, h, w) at channel-last index (h·W + w)·C + c. */
    public static double atSpikeIndex(Activation activation, int spikeIndex) {
        int[] s = activation.shape();
        int c = spikeIndex % s[0];
        int position = spikeIndex / s[0];
        return activation.values()[c * s[1] * s[2] + position];
    }
}
