package org.ratesim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ratesim.model.FloatExecutorTest.longs;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ratesim.model.FloatExecutorTest.GraphBuilder;
import org.ratesim.tensor.Tensor;

/**
 * Compares {@link FloatExecutor} on random small conv nets with a naive implementation written here: one dot
 * product per output element with explicit bounds checks, and exact BigDecimal floors for the quantizers.
 *
 * <p>Each node is checked on the executor's own input activation, so a rounding difference in one layer cannot
 * move a later quantizer across a level. Sums in another order may differ by double rounding. Conv, linear, batch
 * norm and average pool are therefore compared within 1e-5 of the sum of absolute terms. Every other operator must
 * match exactly.
 */
class FloatExecutorReferenceTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int NETWORKS = 40;
    private static final int IMAGES = 5;

    /** Random conv hyper-parameters of one network, redrawn until every output size is at least 1. */
    private record ConvShape(int inChannels, int outChannels, int height, int width, int kernel, int[] stride,
                             int[] padding, int[] dilation, int groups) {
    }

    @Test
    void executorMatchesNaiveLoops() {
        for (int net = 0; net < NETWORKS; net++) {
            long seed = SEED + net;
            Random random = new Random(seed);
            Model model = randomModel(random);
            FloatExecutor executor = new FloatExecutor(model);
            int[] shape = model.graph().input().shape();
            for (int image = 0; image < IMAGES; image++) {
                byte[] bytes = new byte[Tensor.size(shape)];
                random.nextBytes(bytes);
                Map<String, Tensor> activations = executor.activations(bytes, 0);
                for (Node node : model.graph().nodes()) {
                    String where = "seed " + seed + ", image " + image + ", node " + node.name();
                    Tensor in = activations.get(node.input());
                    double[][] expected = naive(model, node, in, bytes);
                    assertArrayEquals(naiveShape(model, node, in), activations.get(node.name()).shape(), where);
                    assertClose(expected, activations.get(node.name()).floats(), where);
                }
                float[] logits = executor.logits(bytes, 0);
                assertArrayEquals(activations.get(model.graph().output()).floats(), logits, "seed " + seed);
            }
        }
    }

    private static ConvShape randomConv(Random random) {
        while (true) {
            int groups = 1 + random.nextInt(2);
            int inChannels = groups * (1 + random.nextInt(2));
            int outChannels = groups * (1 + random.nextInt(3));
            int height = 3 + random.nextInt(6);
            int width = 3 + random.nextInt(6);
            int kernel = 1 + random.nextInt(3);
            int[] stride = {1 + random.nextInt(2), 1 + random.nextInt(2)};
            int[] padding = {random.nextInt(3), random.nextInt(3), random.nextInt(3), random.nextInt(3)};
            int[] dilation = {1 + random.nextInt(2), 1 + random.nextInt(2)};
            int outHeight = (height + padding[0] + padding[1] - dilation[0] * (kernel - 1) - 1) / stride[0] + 1;
            int outWidth = (width + padding[2] + padding[3] - dilation[1] * (kernel - 1) - 1) / stride[1] + 1;
            // The pools that follow accept any map of at least 1×1.
            if (outHeight >= 1 && outWidth >= 1) {
                return new ConvShape(inChannels, outChannels, height, width, kernel, stride, padding, dilation,
                        groups);
            }
        }
    }

    private static Model randomModel(Random random) {
        ConvShape conv = randomConv(random);
        int timesteps = 1 + random.nextInt(8);
        double[] levelChoices = {2.5, 4, 8, 10, 3.75};
        double levels = levelChoices[random.nextInt(levelChoices.length)];
        InputSpec input = InputSpec.ofBytes("image", new int[] {conv.inChannels(), conv.height(), conv.width()}, 3);
        GraphBuilder builder = new GraphBuilder(input);
        builder.node("encode", Op.CLAMP_FLOOR, "image", Map.of("timesteps", (long) timesteps, "levels", levels));

        Map<String, Tensor> convParams = new HashMap<>();
        convParams.put("weight", randomTensor(random, conv.outChannels(), conv.inChannels() / conv.groups(),
                conv.kernel(), conv.kernel()));
        if (random.nextBoolean()) {
            convParams.put("bias", randomTensor(random, conv.outChannels()));
        }
        builder.layer("conv", Op.CONV2D, "encode", Map.of(
                "stride", longs(conv.stride()[0], conv.stride()[1]),
                "padding", longs(conv.padding()[0], conv.padding()[1], conv.padding()[2], conv.padding()[3]),
                "dilation", longs(conv.dilation()[0], conv.dilation()[1]),
                "groups", (long) conv.groups()), convParams);
        Tensor variance = randomTensor(random, conv.outChannels());
        for (int i = 0; i < variance.size(); i++) {
            variance.floats()[i] = Math.abs(variance.floats()[i]) + 0.1f;
        }
        builder.layer("bn", Op.BATCH_NORM, "conv", Map.of(), Map.of(
                "weight", randomTensor(random, conv.outChannels()),
                "bias", randomTensor(random, conv.outChannels()),
                "running_mean", randomTensor(random, conv.outChannels()),
                "running_var", variance));
        builder.node("q", Op.CLAMP_FLOOR, "bn", Map.of("timesteps", (long) timesteps, "levels", levels));
        builder.node("relu", Op.RELU, "conv", Map.of());
        builder.node("avg", Op.AVG_POOL2D, "q", Map.of("kernel", longs(2, 2), "padding", longs(1, 1, 1, 1)));
        builder.node("max", Op.MAX_POOL2D, "avg", Map.of("kernel", longs(2, 2), "stride", longs(1, 1),
                "padding", longs(1, 0, 1, 0)));
        builder.node("drop", Op.DROPOUT, "max", Map.of());
        String order = random.nextBoolean() ? "chw" : "hwc";
        builder.node("flat", Op.FLATTEN, "drop", Map.of("order", order));

        Model partial = builder.build("flat");
        int features = new FloatExecutor(partial).activations(new byte[Tensor.size(input.shape())], 0)
                .get("flat").size();
        builder.layer("fc", Op.LINEAR, "flat", Map.of(), Map.of(
                "weight", randomTensor(random, 3, features), "bias", randomTensor(random, 3)));
        return builder.build("fc");
    }

    private static Tensor randomTensor(Random random, int... shape) {
        float[] values = new float[Tensor.size(shape)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(values, shape);
    }

    private static int[] naiveShape(Model model, Node node, Tensor in) {
        switch (node.op()) {
            case CONV2D: {
                Tensor weight = model.param(node, "weight");
                int[] stride = node.intsAttr("stride", new int[] {1, 1});
                int[] padding = node.intsAttr("padding", new int[4]);
                int[] dilation = node.intsAttr("dilation", new int[] {1, 1});
                int outHeight = (in.dim(1) + padding[0] + padding[1] - dilation[0] * (weight.dim(2) - 1) - 1)
                        / stride[0] + 1;
                int outWidth = (in.dim(2) + padding[2] + padding[3] - dilation[1] * (weight.dim(3) - 1) - 1)
                        / stride[1] + 1;
                return new int[] {weight.dim(0), outHeight, outWidth};
            }
            case AVG_POOL2D:
            case MAX_POOL2D: {
                int[] kernel = node.intsAttr("kernel", null);
                int[] stride = node.intsAttr("stride", kernel);
                int[] padding = node.intsAttr("padding", new int[4]);
                return new int[] {in.dim(0), (in.dim(1) + padding[0] + padding[1] - kernel[0]) / stride[0] + 1,
                        (in.dim(2) + padding[2] + padding[3] - kernel[1]) / stride[1] + 1};
            }
            case LINEAR:
                return new int[] {model.param(node, "weight").dim(0)};
            case FLATTEN:
                return new int[] {in.size()};
            default:
                return in.shape();
        }
    }

    /**
     * Computes a node naively. Row 0 of the result is the expected values. Row 1 is, for each value, the sum of
     * absolute terms that bounds its rounding error, or 0 where the value must match exactly.
     */
    private static double[][] naive(Model model, Node node, Tensor in, byte[] bytes) {
        int[] outShape = naiveShape(model, node, in);
        int size = Tensor.size(outShape);
        double[] value = new double[size];
        double[] magnitude = new double[size];
        float[] x = in.floats();
        switch (node.op()) {
            case CLAMP_FLOOR: {
                int timesteps = (int) node.longAttr("timesteps", 0);
                double levels = node.doubleAttr("levels", 0);
                boolean encoder = node.input().equals(model.graph().input().name());
                for (int i = 0; i < size; i++) {
                    // The encoder reads the byte b as the rational b / 255; hidden quantizers read the float.
                    BigDecimal product = encoder
                            ? new BigDecimal(levels).multiply(BigDecimal.valueOf(bytes[i] & 0xFF))
                                    .divide(BigDecimal.valueOf(255), 0, RoundingMode.FLOOR)
                            : new BigDecimal(levels).multiply(new BigDecimal(x[i])).setScale(0, RoundingMode.FLOOR);
                    long count = Math.max(0, Math.min(product.longValueExact(), timesteps));
                    value[i] = (float) (count / levels);
                }
                break;
            }
            case CONV2D: {
                Tensor weight = model.param(node, "weight");
                Tensor bias = model.param(node, "bias");
                int[] stride = node.intsAttr("stride", new int[] {1, 1});
                int[] padding = node.intsAttr("padding", new int[4]);
                int[] dilation = node.intsAttr("dilation", new int[] {1, 1});
                int groups = (int) node.longAttr("groups", 1);
                int groupIn = weight.dim(1);
                int kernelHeight = weight.dim(2);
                int kernelWidth = weight.dim(3);
                int groupOut = outShape[0] / groups;
                for (int o = 0; o < outShape[0]; o++) {
                    for (int oh = 0; oh < outShape[1]; oh++) {
                        for (int ow = 0; ow < outShape[2]; ow++) {
                            double sum = bias == null ? 0 : bias.floats()[o];
                            double abs = Math.abs(sum);
                            for (int ci = 0; ci < groupIn; ci++) {
                                int channel = (o / groupOut) * groupIn + ci;
                                for (int kh = 0; kh < kernelHeight; kh++) {
                                    for (int kw = 0; kw < kernelWidth; kw++) {
                                        int ih = oh * stride[0] - padding[0] + kh * dilation[0];
                                        int iw = ow * stride[1] - padding[2] + kw * dilation[1];
                                        if (ih < 0 || ih >= in.dim(1) || iw < 0 || iw >= in.dim(2)) {
                                            continue;
                                        }
                                        double term = (double) weight.floats()[
                                                ((o * groupIn + ci) * kernelHeight + kh) * kernelWidth + kw]
                                                * x[(channel * in.dim(1) + ih) * in.dim(2) + iw];
                                        sum += term;
                                        abs += Math.abs(term);
                                    }
                                }
                            }
                            int index = (o * outShape[1] + oh) * outShape[2] + ow;
                            value[index] = sum;
                            magnitude[index] = abs;
                        }
                    }
                }
                break;
            }
            case BATCH_NORM: {
                int channels = in.dim(0);
                int plane = size / channels;
                for (int i = 0; i < size; i++) {
                    int c = i / plane;
                    double gamma = model.param(node, "weight").floats()[c];
                    double beta = model.param(node, "bias").floats()[c];
                    double mean = model.param(node, "running_mean").floats()[c];
                    double variance = model.param(node, "running_var").floats()[c];
                    double eps = node.doubleAttr("eps", 1e-5);
                    value[i] = gamma * (x[i] - mean) / Math.sqrt(variance + eps) + beta;
                    magnitude[i] = Math.abs(gamma * (x[i] - mean) / Math.sqrt(variance + eps)) + Math.abs(beta)
                            + Math.abs(x[i]) + Math.abs(mean);
                }
                break;
            }
            case RELU:
                for (int i = 0; i < size; i++) {
                    value[i] = Math.max(x[i], 0f);
                }
                break;
            case AVG_POOL2D:
            case MAX_POOL2D: {
                boolean average = node.op() == Op.AVG_POOL2D;
                int[] kernel = node.intsAttr("kernel", null);
                int[] stride = node.intsAttr("stride", kernel);
                int[] padding = node.intsAttr("padding", new int[4]);
                for (int c = 0; c < outShape[0]; c++) {
                    for (int oh = 0; oh < outShape[1]; oh++) {
                        for (int ow = 0; ow < outShape[2]; ow++) {
                            double sum = 0;
                            double max = Double.NEGATIVE_INFINITY;
                            for (int kh = 0; kh < kernel[0]; kh++) {
                                for (int kw = 0; kw < kernel[1]; kw++) {
                                    int ih = oh * stride[0] - padding[0] + kh;
                                    int iw = ow * stride[1] - padding[2] + kw;
                                    boolean inside = ih >= 0 && ih < in.dim(1) && iw >= 0 && iw < in.dim(2);
                                    double v = inside ? x[(c * in.dim(1) + ih) * in.dim(2) + iw] : 0.0;
                                    sum += v;
                                    if (inside) {
                                        max = Math.max(max, v);
                                    }
                                }
                            }
                            int index = (c * outShape[1] + oh) * outShape[2] + ow;
                            value[index] = average ? sum / (kernel[0] * kernel[1]) : max;
                            magnitude[index] = average ? Math.abs(sum) : 0;
                        }
                    }
                }
                break;
            }
            case FLATTEN: {
                boolean channelsLast = "hwc".equals(node.stringAttr("order", "chw"));
                int channels = in.dim(0);
                int plane = in.dim(1) * in.dim(2);
                for (int c = 0; c < channels; c++) {
                    for (int p = 0; p < plane; p++) {
                        value[channelsLast ? p * channels + c : c * plane + p] = x[c * plane + p];
                    }
                }
                break;
            }
            case LINEAR: {
                Tensor weight = model.param(node, "weight");
                Tensor bias = model.param(node, "bias");
                for (int o = 0; o < size; o++) {
                    double sum = bias == null ? 0 : bias.floats()[o];
                    double abs = Math.abs(sum);
                    for (int i = 0; i < x.length; i++) {
                        double term = (double) weight.floats()[o * x.length + i] * x[i];
                        sum += term;
                        abs += Math.abs(term);
                    }
                    value[o] = sum;
                    magnitude[o] = abs;
                }
                break;
            }
            default:
                for (int i = 0; i < size; i++) {
                    value[i] = x[i];
                }
        }
        return new double[][] {value, magnitude};
    }

    private static void assertClose(double[][] expected, float[] actual, String where) {
        assertEquals(expected[0].length, actual.length, where);
        for (int i = 0; i < actual.length; i++) {
            double tolerance = 1e-5 * expected[1][i];
            double error = Math.abs(expected[0][i] - actual[i]);
            if (tolerance == 0) {
                assertEquals((float) expected[0][i], actual[i], where + ", element " + i);
            } else {
                assertTrue(error <= tolerance + Math.ulp((float) expected[0][i]),
                        where + ", element " + i + ": expected " + expected[0][i] + ", got " + actual[i]);
            }
        }
    }

    @Test
    void randomModelCoversOperators() {
        Model model = randomModel(new Random(SEED));
        List<Op> ops = model.graph().nodes().stream().map(Node::op).toList();

        for (Op op : Op.values()) {
            assertEquals(op != Op.INPUT_EXPANSION, ops.contains(op), op.id());
        }
    }
}
