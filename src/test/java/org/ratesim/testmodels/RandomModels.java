package org.ratesim.testmodels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ratesim.model.Model;

/**
 * Random quantized chain models whose fixed-point conversion is exact: weights are multiples of 1/16, biases of
 * 1/64, batch norm has σ = 0.5, and every T/L is a power of two, so all values are short dyadic fractions.
 */
public final class RandomModels {

    private RandomModels() {
    }

    /**
     * A generated model.
     *
     * @param model           the model
     * @param activationNodes for each hidden spiking layer, the node whose ANN output it must reproduce
     * @param activationLevels the resolution L of each of those outputs
     * @param imageBytes      bytes of one input image
     */
    public record Generated(Model model, List<String> activationNodes, List<Double> activationLevels,
                            int imageBytes) {
    }

    /** Generates a model with window {@code timesteps}; ICE encoders only when {@code allowIce}. */
    public static Generated generate(SplittableRandom random, int timesteps, boolean allowIce) {
        int channels = 1 + random.nextInt(3);
        int height = 3 + random.nextInt(5);
        int width = 3 + random.nextInt(5);
        int classes = 2 + random.nextInt(3);
        ModelBuilder builder = new ModelBuilder(channels, height, width, classes);
        List<String> activations = new ArrayList<>();
        List<Double> levelsOut = new ArrayList<>();

        double levels = randomLevels(random, timesteps);
        int groups = 1;
        if (allowIce && random.nextInt(3) == 0) {
            int[][] layouts = {{-1, 0, 1}, {0}, {1, -1}, {-1, 1, 0, -1, 1, 0}};
            int[] offsets = layouts[random.nextInt(layouts.length)];
            builder.inputExpansion("encode", timesteps, levels, offsets);
            groups = offsets.length;
        } else {
            builder.clampFloor("encode", timesteps, levels);
        }
        int[] shape = {channels * groups, height, width};

        int blocks = 1 + random.nextInt(3);
        for (int b = 0; b < blocks; b++) {
            int kind = random.nextInt(5);
            String name = "layer" + b;
            if (kind <= 2 || shape[1] < 2 || shape[2] < 2) {
                shape = addConv(random, builder, name, shape);
                if (random.nextInt(3) == 0) {
                    addBatchNorm(random, builder, name + "_bn", shape[0]);
                }
                levels = randomLevels(random, timesteps);
                builder.clampFloor(name + "_q", timesteps, levels);
                activations.add(name + "_q");
            } else if (kind == 3) {
                int[][] kernels = {{2, 2}, {1, 2}, {2, 1}};
                int[] kernel = kernels[random.nextInt(kernels.length)];
                int[] padding = random.nextInt(3) == 0 ? new int[] {0, kernel[0] / 2, 0, kernel[1] / 2}
                        : new int[] {0, 0, 0, 0};
                builder.avgPool(name, kernel, kernel, padding);
                shape = poolShape(shape, kernel, kernel, padding);
                levels = random.nextBoolean() ? levels : randomLevels(random, timesteps);
                builder.clampFloor(name + "_q", timesteps, levels);
                activations.add(name + "_q");
            } else {
                int[] kernel = {2, 2};
                int[] stride = random.nextBoolean() ? new int[] {2, 2} : new int[] {1, 1};
                int[] padding = random.nextInt(3) == 0 ? new int[] {1, 0, 1, 0} : new int[] {0, 0, 0, 0};
                builder.maxPool(name, kernel, stride, padding);
                shape = poolShape(shape, kernel, stride, padding);
                if (random.nextBoolean()) {
                    builder.clampFloor(name + "_q", timesteps, levels);
                    activations.add(name + "_q");
                } else {
                    activations.add(name);
                }
            }
            levelsOut.add(levels);
            if (random.nextInt(5) == 0) {
                builder.dropout(name + "_drop");
            }
        }

        builder.flatten("flat", random.nextBoolean() ? "chw" : "hwc");
        int features = shape[0] * shape[1] * shape[2];
        if (random.nextBoolean()) {
            int hidden = 2 + random.nextInt(5);
            builder.linear("fc_hidden", weights(random, hidden * features), hidden, features, bias(random, hidden));
            if (random.nextInt(3) == 0) {
                addBatchNorm(random, builder, "fc_hidden_bn", hidden);
            }
            levels = randomLevels(random, timesteps);
            builder.clampFloor("fc_hidden_q", timesteps, levels);
            activations.add("fc_hidden_q");
            levelsOut.add(levels);
            features = hidden;
        }
        builder.linear("fc", weights(random, classes * features), classes, features, bias(random, classes));
        return new Generated(builder.build(), activations, levelsOut, channels * height * width);
    }

    /** Returns L with T/L in {2, 1, 1/2, 1/4}, integer. */
    private static double randomLevels(SplittableRandom random, int timesteps) {
        int[] multipliers = timesteps % 2 == 0 ? new int[] {-2, 1, 2, 4} : new int[] {1, 2, 4};
        int m = multipliers[random.nextInt(multipliers.length)];
        return m < 0 ? timesteps / 2 : (double) timesteps * m;
    }

    private static int[] addConv(SplittableRandom random, ModelBuilder builder, String name, int[] shape) {
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
        for (int axis = 0; axis < 2; axis++) {
            int padded = shape[1 + axis] + padding[2 * axis] + padding[2 * axis + 1];
            if (dilation[axis] * (kernel[axis] - 1) + 1 > padded) {
                kernel[axis] = 1;
                dilation[axis] = 1;
            }
        }
        int[] weightShape = {outChannels, inChannels / groups, kernel[0], kernel[1]};
        int count = outChannels * (inChannels / groups) * kernel[0] * kernel[1];
        builder.conv(name, weights(random, count), weightShape, random.nextInt(4) == 0 ? null
                : bias(random, outChannels), "stride", stride, "padding", padding, "dilation", dilation,
                "groups", (long) groups);
        int outH = (shape[1] + padding[0] + padding[1] - dilation[0] * (kernel[0] - 1) - 1) / stride[0] + 1;
        int outW = (shape[2] + padding[2] + padding[3] - dilation[1] * (kernel[1] - 1) - 1) / stride[1] + 1;
        return new int[] {outChannels, outH, outW};
    }

    private static void addBatchNorm(SplittableRandom random, ModelBuilder builder, String name, int channels) {
        float[] gamma = new float[channels];
        float[] beta = new float[channels];
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        for (int c = 0; c < channels; c++) {
            gamma[c] = (random.nextInt(7) - 3) / 4.0f;
            beta[c] = (random.nextInt(17) - 8) / 16.0f;
            mean[c] = (random.nextInt(17) - 8) / 16.0f;
            variance[c] = 0.25f;
        }
        builder.batchNorm(name, gamma, beta, mean, variance, 0.0);
    }

    private static int[] poolShape(int[] shape, int[] kernel, int[] stride, int[] padding) {
        int outH = (shape[1] + padding[0] + padding[1] - kernel[0]) / stride[0] + 1;
        int outW = (shape[2] + padding[2] + padding[3] - kernel[1]) / stride[1] + 1;
        return new int[] {shape[0], outH, outW};
    }

    private static float[] weights(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (random.nextInt(49) - 24) / 16.0f;
        }
        return values;
    }

    private static float[] bias(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (random.nextInt(65) - 32) / 64.0f;
        }
        return values;
    }

    /** Returns {@code count} random images of {@code bytes} bytes each. */
    public static byte[] images(SplittableRandom random, int count, int bytes) {
        byte[] images = new byte[count * bytes];
        for (int i = 0; i < images.length; i++) {
            // A quarter of the pixels are black and a quarter white, so saturated counts are common.
            int choice = random.nextInt(4);
            int pixel = random.nextInt(256);
            if (choice == 0) {
                pixel = 0;
            } else if (choice == 1) {
                pixel = 255;
            }
            images[i] = (byte) pixel;
        }
        return images;
    }
}
