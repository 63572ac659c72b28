package org.ratesim.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.io.ModelFile;
import org.ratesim.model.Dataset;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.tensor.Tensor;

/**
 * Generators of convertible chain models, images and model files for properties of the converter and the engine.
 *
 * <p>A chain model is {@code input → encoder → blocks → flatten → [linear → clamp_floor] → linear readout}. The
 * encoder is VR ({@code clamp_floor}) or ICE ({@code input_expansion}). A block is a conv2d (with random groups,
 * dilation, padding and stride, optionally followed by batch norm) or an average or max pool, each followed by a
 * clamp_floor quantizer, and sometimes by dropout. A max pool may also go without a quantizer.
 *
 * <p>Every value is a short dyadic fraction, so conversion to fixed point is exact: weights are multiples of 1/16
 * in [−1.5, 1.5], biases multiples of 1/64 in [−0.5, 0.5], batch norm has γ a multiple of 1/4 in [−0.75, 0.75],
 * β and μ multiples of 1/16, eps 2^−10 and variance 0.25 − 2^−10, so σ = 0.5. Each quantizer has L = T / m with m in {1/4, 1/2,
 * 1, 2, 4}, so T/L is a power of two while L itself may be a non-integer such as 2.5 (T = 5, m = 2) or 0.25. The
 * quantized activations k/L are dyadic, and so exact in float32, only when T is a power of two.
 *
 * <p>Models shrink towards fewer blocks and towards the first listed T; the rest of the model is drawn again.
 */
public final class ModelGen {

    /** Ratios T/L that the quantizers use. Each is a power of two, so fixed-point thresholds are exact. */
    private static final double[] STEPS_PER_LEVEL = {0.25, 0.5, 1.0, 2.0, 4.0};
    /** Batch-norm eps: the format requires eps > 0, and 2^−10 keeps variance + eps = 0.25 exact in float32. */
    private static final float BATCH_NORM_EPS = 0x1p-10f;
    private static final int[][] ICE_OFFSETS = {{-1, 0, 1}, {0}, {1, -1}, {-1, 1, 0, -1, 1, 0}};

    private ModelGen() {
    }

    /**
     * Settings of {@link #chains}.
     *
     * @param timesteps      the windows T to draw from; shrinking moves towards the first
     * @param maxBlocks      maximum number of blocks between encoder and flatten, at least 1
     * @param allowIce       whether the encoder may be ICE
     * @param allowPools     whether blocks may be average or max pools
     * @param allowHiddenFc  whether a hidden linear layer with its quantizer may precede the readout
     */
    public record ChainOptions(int[] timesteps, int maxBlocks, boolean allowIce, boolean allowPools,
                               boolean allowHiddenFc) {

        public ChainOptions {
            if (timesteps.length == 0) {
                throw new IllegalArgumentException("timesteps is empty: give at least one window T >= 1");
            }
            for (int t : timesteps) {
                if (t < 1) {
                    throw new IllegalArgumentException("invalid window T " + t + ": expected at least 1");
                }
            }
            if (maxBlocks < 1) {
                throw new IllegalArgumentException("invalid maxBlocks " + maxBlocks + ": expected at least 1");
            }
            timesteps = timesteps.clone();
        }

        /** Windows 1, 2, 4, 8, 3, 5 and 6, up to 3 blocks, ICE, pools and hidden linear layers allowed. */
        public static ChainOptions defaults() {
            return new ChainOptions(new int[] {1, 2, 4, 8, 3, 5, 6}, 3, true, true, true);
        }

        /** Returns a copy that draws T from {@code newTimesteps}. */
        public ChainOptions withTimesteps(int... newTimesteps) {
            return new ChainOptions(newTimesteps, maxBlocks, allowIce, allowPools, allowHiddenFc);
        }

        /** Returns a copy with at most {@code newMaxBlocks} blocks. */
        public ChainOptions withMaxBlocks(int newMaxBlocks) {
            return new ChainOptions(timesteps, newMaxBlocks, allowIce, allowPools, allowHiddenFc);
        }

        /** Returns a copy that allows or forbids pools. */
        public ChainOptions withPools(boolean allow) {
            return new ChainOptions(timesteps, maxBlocks, allowIce, allow, allowHiddenFc);
        }

        /** Returns a copy that allows or forbids a hidden linear layer. */
        public ChainOptions withHiddenFc(boolean allow) {
            return new ChainOptions(timesteps, maxBlocks, allowIce, allowPools, allow);
        }

        @Override
        public int[] timesteps() {
            return timesteps.clone();
        }
    }

    /**
     * A generated chain model.
     *
     * @param model            the model, without samples
     * @param timesteps        the window T of every quantizer
     * @param activationNodes  for each hidden spiking layer of the converted network, the node whose output it
     *                         reproduces: a clamp_floor, or a max pool that has no quantizer
     * @param activationLevels the resolution L of each of those outputs
     * @param imageBytes       bytes of one input image, C × H × W
     */
    public record Chain(Model model, int timesteps, List<String> activationNodes, List<Double> activationLevels,
                        int imageBytes) {

        public Chain {
            activationNodes = List.copyOf(activationNodes);
            activationLevels = List.copyOf(activationLevels);
        }

        /** Returns whether T is a power of two, which makes every activation exact in float32. */
        public boolean dyadic() {
            return Integer.bitCount(timesteps) == 1;
        }

        /** Returns the number of output classes. */
        public int classes() {
            return model.graph().input().classes();
        }
    }

    /** Returns a generator of convertible chain models under {@code options}. */
    public static Gen<Chain> chains(ChainOptions options) {
        List<Integer> windows = new ArrayList<>();
        for (int t : options.timesteps()) {
            windows.add(t);
        }
        return Gen.zip(Gen.elementOf(windows), Gen.integers(1, options.maxBlocks()), (t, blocks) -> new int[] {t,
                blocks}).flatMap(choice -> Gen.of(random -> generate(random, options, choice[0], choice[1])));
    }

    /**
     * Returns a generator of {@code count} images of {@code imageBytes} bytes each, concatenated. A quarter of the
     * bytes are 0 and a quarter 255, so zero and saturated spike counts are common. Bytes shrink towards 0.
     */
    public static Gen<byte[]> images(int imageBytes, int count) {
        int length = Math.multiplyExact(imageBytes, count);
        Gen<Integer> pixel = Gen.oneOf(Gen.constant(0), Gen.constant(255), Gen.integers(0, 255), Gen.integers(0, 255));
        return Gen.intArrays(pixel, length, length).map(values -> {
            byte[] bytes = new byte[values.length];
            for (int i = 0; i < values.length; i++) {
                bytes[i] = (byte) values[i];
            }
            return bytes;
        });
    }

    /**
     * Returns a generator of model files: a chain model with up to 4 embedded labelled samples or none, the
     * spiking network converted from it with default options or none, and no extra metadata.
     */
    public static Gen<ModelFile> modelFiles(ChainOptions options) {
        return chains(options).flatMap(chain -> Gen.of(random -> {
            Model model = chain.model();
            if (random.nextBoolean()) {
                int count = 1 + random.nextInt(4);
                byte[] images = images(chain.imageBytes(), count).sample(random);
                int[] labels = new int[count];
                for (int i = 0; i < count; i++) {
                    labels[i] = random.nextInt(chain.classes());
                }
                model = new Model(model.graph(), model.params(),
                        new Dataset(images, labels, model.graph().input().shape()));
            }
            SnnNetwork snn = random.nextBoolean()
                    ? Converter.convert(model, ConversionOptions.defaults()).network() : null;
            return new ModelFile(model, snn, Map.of());
        }));
    }

    private static Chain generate(SplittableRandom random, ChainOptions options, int timesteps, int blocks) {
        ChainBuilder builder = new ChainBuilder(random, timesteps);
        int channels = 1 + random.nextInt(3);
        int height = 3 + random.nextInt(5);
        int width = 3 + random.nextInt(5);
        int classes = 2 + random.nextInt(3);
        InputSpec input = InputSpec.ofBytes("input", new int[] {channels, height, width}, classes);
        builder.last = input.name();

        double levels = builder.randomLevels();
        int groups = 1;
        if (options.allowIce() && random.nextInt(3) == 0) {
            int[] offsets = ICE_OFFSETS[random.nextInt(ICE_OFFSETS.length)];
            // The format requires L + offset >= 0 for every ICE offset. L = T >= 1 always passes, so this ends.
            while (levels + Arrays.stream(offsets).min().getAsInt() < 0) {
                levels = builder.randomLevels();
            }
            builder.add("encode", Op.INPUT_EXPANSION, attrs("timesteps", (long) timesteps, "levels", levels,
                    "offsets", list(offsets)), Map.of());
            groups = offsets.length;
        } else {
            builder.add("encode", Op.CLAMP_FLOOR, attrs("timesteps", (long) timesteps, "levels", levels), Map.of());
        }
        int[] shape = {channels * groups, height, width};

        for (int b = 0; b < blocks; b++) {
            String name = "layer" + b;
            int kind = options.allowPools() ? random.nextInt(5) : 0;
            if (kind <= 2 || shape[1] < 2 || shape[2] < 2) {
                shape = builder.conv(name, shape);
                if (random.nextInt(3) == 0) {
                    builder.batchNorm(name + "_bn", shape[0]);
                }
                levels = builder.randomLevels();
                builder.quantize(name + "_q", levels);
            } else if (kind == 3) {
                int[][] kernels = {{2, 2}, {1, 2}, {2, 1}};
                int[] kernel = kernels[random.nextInt(kernels.length)];
                int[] padding = random.nextInt(3) == 0 ? new int[] {0, kernel[0] / 2, 0, kernel[1] / 2}
                        : new int[] {0, 0, 0, 0};
                builder.pool(name, Op.AVG_POOL2D, kernel, kernel, padding);
                shape = poolShape(shape, kernel, kernel, padding);
                levels = random.nextBoolean() ? levels : builder.randomLevels();
                builder.quantize(name + "_q", levels);
            } else {
                int[] kernel = {2, 2};
                int[] stride = random.nextBoolean() ? new int[] {2, 2} : new int[] {1, 1};
                int[] padding = random.nextInt(3) == 0 ? new int[] {1, 0, 1, 0} : new int[] {0, 0, 0, 0};
                builder.pool(name, Op.MAX_POOL2D, kernel, stride, padding);
                shape = poolShape(shape, kernel, stride, padding);
                if (random.nextBoolean()) {
                    // A max pool cannot change the resolution, so its quantizer keeps the input's L.
                    builder.quantize(name + "_q", levels);
                } else {
                    builder.activations.add(name);
                }
            }
            builder.levels.add(levels);
            if (random.nextInt(5) == 0) {
                builder.add(name + "_drop", Op.DROPOUT, Map.of(), Map.of());
            }
        }

        builder.add("flat", Op.FLATTEN, attrs("order", random.nextBoolean() ? "chw" : "hwc"), Map.of());
        int features = shape[0] * shape[1] * shape[2];
        if (options.allowHiddenFc() && random.nextBoolean()) {
            int hidden = 2 + random.nextInt(5);
            builder.linear("fc_hidden", hidden, features);
            if (random.nextInt(3) == 0) {
                builder.batchNorm("fc_hidden_bn", hidden);
            }
            levels = builder.randomLevels();
            builder.quantize("fc_hidden_q", levels);
            builder.levels.add(levels);
            features = hidden;
        }
        builder.linear("fc", classes, features);
        Model model = new Model(new Graph(input, builder.nodes, builder.last), builder.params, null);
        return new Chain(model, timesteps, builder.activations, builder.levels, channels * height * width);
    }

    /** Nodes and parameters of one chain under construction. Each added node reads the previous one. */
    private static final class ChainBuilder {
        final SplittableRandom random;
        final int timesteps;
        final List<Node> nodes = new ArrayList<>();
        final Map<String, Tensor> params = new HashMap<>();
        final List<String> activations = new ArrayList<>();
        final List<Double> levels = new ArrayList<>();
        String last;

        ChainBuilder(SplittableRandom random, int timesteps) {
            this.random = random;
            this.timesteps = timesteps;
        }

        void add(String name, Op op, Map<String, Object> attrs, Map<String, String> roles) {
            nodes.add(new Node(name, op, List.of(last), attrs, roles));
            last = name;
        }

        /** Returns L = T / m for a random power of two m = T/L, so L may be a non-integer such as 2.5. */
        double randomLevels() {
            return timesteps / STEPS_PER_LEVEL[random.nextInt(STEPS_PER_LEVEL.length)];
        }

        void quantize(String name, double quantizerLevels) {
            add(name, Op.CLAMP_FLOOR, attrs("timesteps", (long) timesteps, "levels", quantizerLevels), Map.of());
            activations.add(name);
        }

        int[] conv(String name, int[] shape) {
            int inChannels = shape[0];
            int outChannels = 1 + random.nextInt(4);
            int groups = 1;
            if (inChannels % 2 == 0 && outChannels % 2 == 0 && random.nextInt(3) == 0) {
                groups = 2;
            } else if (random.nextInt(5) == 0) {
                groups = inChannels;
                outChannels = inChannels * (1 + random.nextInt(2));
            }

            int[] kernel = {1 + random.nextInt(3), 1 + random.nextInt(3)};
            int[] stride = {1 + random.nextInt(2), 1 + random.nextInt(2)};
            int[] dilation = {1 + random.nextInt(2), 1 + random.nextInt(2)};
            int[] padding = {random.nextInt(2), random.nextInt(2), random.nextInt(2), random.nextInt(2)};
            // A dilated kernel must fit the padded input. Where it does not, kernel and dilation drop to 1 on that axis.
            for (int axis = 0; axis < 2; axis++) {
                int padded = shape[1 + axis] + padding[2 * axis] + padding[2 * axis + 1];
                if (dilation[axis] * (kernel[axis] - 1) + 1 > padded) {
                    kernel[axis] = 1;
                    dilation[axis] = 1;
                }
            }

            int[] weightShape = {outChannels, inChannels / groups, kernel[0], kernel[1]};
            Map<String, String> roles = new LinkedHashMap<>();
            roles.put("weight", name + ".weight");
            params.put(name + ".weight", Tensor.of(weights(Tensor.size(weightShape)), weightShape));
            if (random.nextInt(4) != 0) {
                roles.put("bias", name + ".bias");
                params.put(name + ".bias", Tensor.of(biases(outChannels), outChannels));
            }
            add(name, Op.CONV2D, attrs("stride", list(stride), "padding", list(padding), "dilation", list(dilation),
                    "groups", (long) groups), roles);

            int outH = (shape[1] + padding[0] + padding[1] - dilation[0] * (kernel[0] - 1) - 1) / stride[0] + 1;
            int outW = (shape[2] + padding[2] + padding[3] - dilation[1] * (kernel[1] - 1) - 1) / stride[1] + 1;
            return new int[] {outChannels, outH, outW};
        }

        void linear(String name, int outputs, int inputs) {
            Map<String, String> roles = new LinkedHashMap<>();
            roles.put("weight", name + ".weight");
            params.put(name + ".weight", Tensor.of(weights(outputs * inputs), outputs, inputs));
            roles.put("bias", name + ".bias");
            params.put(name + ".bias", Tensor.of(biases(outputs), outputs));
            add(name, Op.LINEAR, Map.of(), roles);
        }

        void batchNorm(String name, int channels) {
            float[][] values = new float[4][channels];
            for (int c = 0; c < channels; c++) {
                values[0][c] = (random.nextInt(7) - 3) / 4.0f;
                values[1][c] = (random.nextInt(17) - 8) / 16.0f;
                values[2][c] = (random.nextInt(17) - 8) / 16.0f;
                values[3][c] = 0.25f - BATCH_NORM_EPS;
            }
            String[] keys = {"weight", "bias", "running_mean", "running_var"};
            Map<String, String> roles = new LinkedHashMap<>();
            for (int i = 0; i < keys.length; i++) {
                roles.put(keys[i], name + "." + keys[i]);
                params.put(name + "." + keys[i], Tensor.of(values[i], channels));
            }
            add(name, Op.BATCH_NORM, attrs("eps", (double) BATCH_NORM_EPS), roles);
        }

        void pool(String name, Op op, int[] kernel, int[] stride, int[] padding) {
            add(name, op, attrs("kernel", list(kernel), "stride", list(stride), "padding", list(padding)), Map.of());
        }

        float[] weights(int count) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (random.nextInt(49) - 24) / 16.0f;
            }
            return values;
        }

        float[] biases(int count) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (random.nextInt(65) - 32) / 64.0f;
            }
            return values;
        }
    }

    private static int[] poolShape(int[] shape, int[] kernel, int[] stride, int[] padding) {
        int outH = (shape[1] + padding[0] + padding[1] - kernel[0]) / stride[0] + 1;
        int outW = (shape[2] + padding[2] + padding[3] - kernel[1]) / stride[1] + 1;
        return new int[] {shape[0], outH, outW};
    }

    /** Returns attributes from key, value pairs, with the value types that the JSON reader produces. */
    private static Map<String, Object> attrs(Object... pairs) {
        Map<String, Object> attrs = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            attrs.put((String) pairs[i], pairs[i + 1]);
        }
        return attrs;
    }

    private static List<Object> list(int[] values) {
        List<Object> list = new ArrayList<>();
        for (int v : values) {
            list.add((long) v);
        }
        return list;
    }
}
