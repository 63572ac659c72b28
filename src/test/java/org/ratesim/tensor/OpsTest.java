package org.ratesim.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OpsTest {

    private static final int[] ONE = {1, 1};
    private static final int[] NO_PADDING = {0, 0, 0, 0};

    private static Tensor map(int channels, int height, int width, float... values) {
        return Tensor.of(values, channels, height, width);
    }

    private static Tensor kernel(int out, int in, int height, int width, float... values) {
        return Tensor.of(values, out, in, height, width);
    }

    private static Tensor conv(Tensor input, Tensor weight, int[] stride, int[] padding) {
        return Ops.conv2d(input, weight, null, stride, padding, ONE, 1);
    }

    @Test
    void conv2dValidNoBias() {
        Tensor input = map(1, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Tensor weight = kernel(1, 1, 2, 2, 1, 0, 0, -1);

        Tensor out = conv(input, weight, ONE, NO_PADDING);

        assertArrayEquals(new int[] {1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {-4, -4, -4, -4}, out.floats());
    }

    @Test
    void conv2dAddsBiasPerChannel() {
        Tensor input = map(1, 2, 2, 1, 2, 3, 4);
        Tensor weight = kernel(2, 1, 1, 1, 1, -2);
        Tensor bias = Tensor.of(new float[] {0.5f, 10f}, 2);

        Tensor out = Ops.conv2d(input, weight, bias, ONE, NO_PADDING, ONE, 1);

        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f, 4.5f, 8, 6, 4, 2}, out.floats());
    }

    @Test
    void conv2dZeroBiasEqualsNoBias() {
        Tensor input = map(2, 3, 3, 1, -2, 3, 0.5f, 5, -6, 7, 8, 9, 3, 1, 4, 1, 5, 9, 2, 6, 5);
        Tensor weight = kernel(3, 2, 2, 2, 1, 2, 3, 4, -1, 0.25f, 0, 2, 5, 4, 3, 2, 1, 0, -1, -2, 0.5f, 0.5f, 0.5f,
                -0.5f, 1, 1, 1, 1);

        Tensor withZero = Ops.conv2d(input, weight, Tensor.zeros(3), ONE, NO_PADDING, ONE, 1);
        Tensor without = Ops.conv2d(input, weight, null, ONE, NO_PADDING, ONE, 1);

        assertArrayEquals(without.floats(), withZero.floats());
    }

    @Test
    void conv2dIsCorrelationIn1d() {
        // [1, 2, 3] correlated with [1, 0, -1] is 1 − 3 = −2; a flipped kernel would give +2.
        Tensor out = conv(map(1, 1, 3, 1, 2, 3), kernel(1, 1, 1, 3, 1, 0, -1), ONE, NO_PADDING);

        assertArrayEquals(new float[] {-2}, out.floats());
    }

    @Test
    void conv2dIsCorrelationIn2d() {
        // Kernel [[1, 0], [0, 0]] picks the top-left input, 1; a flipped kernel would pick 4.
        Tensor out = conv(map(1, 2, 2, 1, 2, 3, 4), kernel(1, 1, 2, 2, 1, 0, 0, 0), ONE, NO_PADDING);

        assertArrayEquals(new float[] {1}, out.floats());
    }

    @Test
    void conv2dSymmetricPaddingStride2() {
        // PyTorch padding=1: windows [0, 1, 2] and [2, 3, 4].
        Tensor out = conv(map(1, 1, 4, 1, 2, 3, 4), kernel(1, 1, 1, 3, 1, 1, 1), new int[] {1, 2},
                new int[] {0, 0, 1, 1});

        assertArrayEquals(new int[] {1, 1, 2}, out.shape());
        assertArrayEquals(new float[] {3, 9}, out.floats());
    }

    @Test
    void conv2dTfSamePaddingAfterOnly() {
        // TensorFlow SAME puts the one padded zero after the input: windows [1, 2, 3] and [3, 4, 0].
        Tensor out = conv(map(1, 1, 4, 1, 2, 3, 4), kernel(1, 1, 1, 3, 1, 1, 1), new int[] {1, 2},
                new int[] {0, 0, 0, 1});

        assertArrayEquals(new float[] {6, 7}, out.floats());
    }

    @Test
    void conv2dAsymmetricPadding2d() {
        // One row of zeros on top, none below, none left, two columns on the right.
        Tensor out = conv(map(1, 2, 2, 1, 2, 3, 4), kernel(1, 1, 1, 1, 1), ONE, new int[] {1, 0, 0, 2});

        assertArrayEquals(new int[] {1, 3, 4}, out.shape());
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, out.floats());
    }

    @Test
    void conv2dPaddedKernelOverlapsBorder() {
        // 3×3 kernel of ones with padding 1: each output sums the real neighbours of its pixel.
        Tensor input = map(1, 2, 2, 1, 2, 3, 4);
        Tensor weight = kernel(1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);

        Tensor out = conv(input, weight, ONE, new int[] {1, 1, 1, 1});

        assertArrayEquals(new float[] {10, 10, 10, 10}, out.floats());
    }

    @Test
    void conv2dStride2() {
        Tensor input = map(1, 4, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

        Tensor out = conv(input, kernel(1, 1, 2, 2, 1, 1, 1, 1), new int[] {2, 2}, NO_PADDING);

        assertArrayEquals(new int[] {1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {10, 18, 42, 50}, out.floats());
    }

    @Test
    void conv2dDilation2() {
        // Taps land on the corners 1, 3, 7, 9 with weights 1, 2, 3, 4: 1 + 6 + 21 + 36.
        Tensor input = map(1, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9);

        Tensor out = Ops.conv2d(input, kernel(1, 1, 2, 2, 1, 2, 3, 4), null, ONE, NO_PADDING, new int[] {2, 2}, 1);

        assertArrayEquals(new int[] {1, 1, 1}, out.shape());
        assertArrayEquals(new float[] {64}, out.floats());
    }

    @Test
    void conv2dDilationWithPadding() {
        Tensor input = map(1, 1, 3, 1, 2, 3);

        Tensor out = Ops.conv2d(input, kernel(1, 1, 1, 3, 1, 10, 100), null, ONE, new int[] {0, 0, 2, 2},
                new int[] {1, 2}, 1);

        // Output i reads inputs i − 2, i, i + 2 with weights 1, 10, 100.
        assertArrayEquals(new float[] {10 + 300, 20, 1 + 30}, out.floats());
    }

    @Test
    void conv2dGroups2() {
        // Output 0 reads channels 0 and 1, output 1 reads channels 2 and 3.
        Tensor input = map(4, 1, 1, 1, 2, 3, 4);
        Tensor weight = kernel(2, 2, 1, 1, 1, 1, 1, -1);

        Tensor out = Ops.conv2d(input, weight, null, ONE, NO_PADDING, ONE, 2);

        assertArrayEquals(new float[] {3, -1}, out.floats());
    }

    @Test
    void conv2dDepthwise() {
        Tensor input = map(2, 1, 2, 1, 2, 3, 4);
        Tensor weight = kernel(2, 1, 1, 2, 10, 1, 100, -1);

        Tensor out = Ops.conv2d(input, weight, null, ONE, NO_PADDING, ONE, 2);

        assertArrayEquals(new float[] {12, 296}, out.floats());
    }

    @Test
    void conv2dRejectsWrongInputChannels() {
        Tensor input = map(3, 2, 2, new float[12]);
        Tensor weight = kernel(1, 2, 1, 1, 1, 1);

        assertThrows(IllegalArgumentException.class,
                () -> Ops.conv2d(input, weight, null, ONE, NO_PADDING, ONE, 1));
    }

    @Test
    void conv2dRejectsEmptyOutput() {
        Tensor input = map(1, 2, 2, 1, 2, 3, 4);
        Tensor weight = kernel(1, 1, 3, 3, new float[9]);

        assertThrows(IllegalArgumentException.class,
                () -> Ops.conv2d(input, weight, null, ONE, NO_PADDING, ONE, 1));
    }

    @Test
    void conv2dRejectsShortPadding() {
        Tensor input = map(1, 2, 2, 1, 2, 3, 4);
        Tensor weight = kernel(1, 1, 1, 1, 1);

        assertThrows(IllegalArgumentException.class,
                () -> Ops.conv2d(input, weight, null, ONE, new int[] {1, 1}, ONE, 1));
    }

    @Test
    void outputSizeFollowsPytorch() {
        assertEquals(56, Ops.outputSize(227, 2, 2, 11, 4, 1));
        assertEquals(12, Ops.outputSize(24, 1, 1, 4, 2, 1));
        assertEquals(2, Ops.outputSize(5, 0, 0, 2, 2, 1));
        assertEquals(1, Ops.outputSize(5, 0, 0, 3, 1, 2));
    }

    @Test
    void linearWithAndWithoutBias() {
        Tensor weight = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor input = Tensor.of(new float[] {1, 1}, 2);

        assertArrayEquals(new float[] {3, 7}, Ops.linear(input, weight, null).floats());
        assertArrayEquals(new float[] {3.5f, 6},
                Ops.linear(input, weight, Tensor.of(new float[] {0.5f, -1}, 2)).floats());
    }

    @Test
    void linearRejectsMatrixInput() {
        Tensor weight = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);

        assertThrows(IllegalArgumentException.class, () -> Ops.linear(map(1, 1, 2, 1, 1), weight, null));
    }

    @Test
    void avgPoolWithoutPadding() {
        Tensor out = Ops.avgPool2d(map(1, 2, 2, 1, 2, 3, 4), new int[] {2, 2}, new int[] {2, 2}, NO_PADDING);

        assertArrayEquals(new float[] {2.5f}, out.floats());
    }

    @Test
    void avgPoolCountsPaddedZeros() {
        // Each 2×2 window covers one real pixel and three padded zeros, and the divisor stays 4.
        Tensor out = Ops.avgPool2d(map(1, 2, 2, 1, 2, 3, 4), new int[] {2, 2}, new int[] {2, 2},
                new int[] {1, 1, 1, 1});

        assertArrayEquals(new int[] {1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1.0f}, out.floats());
    }

    @Test
    void avgPoolDropsRemainder() {
        // A 3×3 map with kernel 2, stride 2 gives one window; the last row and column are dropped.
        Tensor out = Ops.avgPool2d(map(1, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9), new int[] {2, 2}, new int[] {2, 2},
                NO_PADDING);

        assertArrayEquals(new float[] {3}, out.floats());
    }

    @Test
    void maxPoolIgnoresPadding() {
        // All inputs are negative, so a zero read from the padding would win every window.
        Tensor out = Ops.maxPool2d(map(1, 2, 2, -1, -2, -3, -4), new int[] {2, 2}, new int[] {2, 2},
                new int[] {1, 1, 1, 1});

        assertArrayEquals(new float[] {-1, -2, -3, -4}, out.floats());
    }

    @Test
    void maxPoolPerChannelWithStride1() {
        Tensor input = map(2, 2, 3, 1, 5, 2, 0, 3, 4, -1, -5, -2, -6, -3, -4);

        Tensor out = Ops.maxPool2d(input, new int[] {2, 2}, new int[] {1, 1}, NO_PADDING);

        assertArrayEquals(new int[] {2, 1, 2}, out.shape());
        assertArrayEquals(new float[] {5, 5, -1, -2}, out.floats());
    }

    @Test
    void flattenOrdersChwAndHwc() {
        Tensor input = map(2, 1, 2, 1, 2, 3, 4);

        assertArrayEquals(new float[] {1, 2, 3, 4}, Ops.flatten(input, "chw").floats());
        assertArrayEquals(new float[] {1, 3, 2, 4}, Ops.flatten(input, "hwc").floats());
    }

    @Test
    void flattenOrderDecidesDenseOutput() {
        // Weights trained channels-last give 1 + 30 + 200 + 4000; the channels-first order would give 4321.
        Tensor input = map(2, 1, 2, 1, 2, 3, 4);
        Tensor weight = Tensor.of(new float[] {1, 10, 100, 1000}, 1, 4);

        assertArrayEquals(new float[] {4231}, Ops.linear(Ops.flatten(input, "hwc"), weight, null).floats());
        assertArrayEquals(new float[] {4321}, Ops.linear(Ops.flatten(input, "chw"), weight, null).floats());
    }

    @Test
    void flattenRejectsUnknownOrder() {
        assertThrows(IllegalArgumentException.class, () -> Ops.flatten(map(1, 1, 1, 1), "whc"));
    }

    @Test
    void batchNormInferenceFormula() {
        // (5 − 1) / √(3.99 + 0.01) · 3 + 0.5 = 6.5
        Tensor out = Ops.batchNorm(Tensor.of(new float[] {5}, 1), vector(3), vector(0.5f), vector(1), vector(3.99f),
                0.01);

        assertEquals(6.5, out.floats()[0], 1e-6);
    }

    @Test
    void batchNormScalesChannelAxis() {
        // Channel 0 has γ = 2, channel 1 has γ = 1; each channel is a 1×2 row.
        Tensor input = map(2, 1, 2, 3, 4, 7, 8);
        Tensor out = Ops.batchNorm(input, vector(2, 1), vector(0, 0), vector(0, 0), vector(1, 1), 0.0);

        assertArrayEquals(new float[] {6, 8, 7, 8}, out.floats());
    }

    @Test
    void batchNormSubtractsMeanAndAddsBeta() {
        Tensor input = Tensor.of(new float[] {1, 10}, 2);
        Tensor out = Ops.batchNorm(input, vector(1, 2), vector(-1, 3), vector(2, 4), vector(4, 9), 0.0);

        // Channel 0: (1 − 2) / 2 · 1 − 1 = −1.5; channel 1: (10 − 4) / 3 · 2 + 3 = 7.
        assertArrayEquals(new float[] {-1.5f, 7}, out.floats());
    }

    @Test
    void reluClampsNegatives() {
        assertArrayEquals(new float[] {0, 0, 2.5f}, Ops.relu(Tensor.of(new float[] {-1, 0, 2.5f}, 3)).floats());
    }

    @Test
    void dropoutIsIdentity() {
        Tensor input = map(1, 1, 3, -1, 0, 2);

        Tensor out = Ops.dropout(input);

        assertArrayEquals(input.floats(), out.floats());
        assertArrayEquals(input.shape(), out.shape());
    }

    @Test
    void argmaxLowestIndexWinsTies() {
        assertEquals(1, Ops.argmax(new float[] {-2, 3, 3, 1}));
        assertEquals(0, Ops.argmax(new float[] {-1, -2}));
        assertEquals(1, Ops.argmax(new float[] {Float.NaN, -5}));
    }

    @Test
    void validTapsSkipsPadding() {
        // Length 3, kernel 3, padding 1: output 0 has 2 real taps, output 1 has 3, output 2 has 2.
        assertEquals(7, Ops.validTaps(3, 3, 3, 1, 1, 1));
        assertEquals(3, Ops.validTaps(3, 1, 3, 1, 0, 1));
    }

    private static Tensor vector(float... values) {
        return Tensor.of(values, values.length);
    }
}
