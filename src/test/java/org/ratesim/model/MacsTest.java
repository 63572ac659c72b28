package org.ratesim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.ratesim.model.FloatExecutorTest.longs;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ratesim.io.InvalidModelException;
import org.ratesim.model.FloatExecutorTest.GraphBuilder;
import org.ratesim.tensor.Tensor;

class MacsTest {

    private static Map<String, Object> convAttrs(int stride, int padding) {
        return Map.of("stride", longs(stride, stride), "padding", longs(padding, padding, padding, padding));
    }

    private static Map<String, Tensor> conv(int out, int in, int kernel) {
        return Map.of("weight", Tensor.zeros(out, in, kernel, kernel), "bias", Tensor.zeros(out));
    }

    private static Map<String, Tensor> bn(int channels) {
        return Map.of("weight", Tensor.zeros(channels), "bias", Tensor.zeros(channels),
                "running_mean", Tensor.zeros(channels), "running_var", Tensor.zeros(channels));
    }

    /** Builds the 7-conv MNIST network: conv + bn + clamp_floor blocks, stride-2 4×4 convs for downsampling, fc 512→10. */
    private static Model mnistModel() {
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {1, 28, 28}, 10));
        builder.node("encode", Op.CLAMP_FLOOR, "image", Map.of("timesteps", 1L, "levels", 4L));
        int[][] layers = {{32, 1, 3, 1, 0}, {32, 32, 3, 1, 0}, {32, 32, 4, 2, 1}, {64, 32, 3, 1, 0},
                {64, 64, 3, 1, 0}, {64, 64, 4, 2, 1}, {128, 64, 3, 1, 0}};
        String previous = "encode";
        for (int i = 0; i < layers.length; i++) {
            int[] layer = layers[i];
            String name = "conv" + (i + 1);
            builder.layer(name, Op.CONV2D, previous, convAttrs(layer[3], layer[4]), conv(layer[0], layer[1], layer[2]));
            builder.layer("bn" + (i + 1), Op.BATCH_NORM, name, Map.of(), bn(layer[0]));
            builder.node("q" + (i + 1), Op.CLAMP_FLOOR, "bn" + (i + 1), Map.of("timesteps", 1L, "levels", 4L));
            previous = "q" + (i + 1);
        }
        builder.node("flat", Op.FLATTEN, previous, Map.of());
        builder.layer("fc1", Op.LINEAR, "flat", Map.of(),
                Map.of("weight", Tensor.zeros(10, 512), "bias", Tensor.zeros(10)));
        return builder.build("fc1");
    }

    @Test
    void mnistParameterCounts() {
        Macs macs = Macs.of(mnistModel());

        assertEquals(225_568, macs.weights());
        assertEquals(426, macs.biases());
        assertEquals(225_568 + 426, macs.parameters());
        assertEquals(4 * (3 * 32 + 3 * 64 + 128), macs.bnParams());
    }

    @Test
    void mnistMacsPerLayer() {
        Macs macs = Macs.of(mnistModel());

        // Cout · Hout · Wout · Cin · KH · KW per conv, In · Out for the linear layer.
        long[] expected = {
            32L * 26 * 26 * 1 * 9,
            32L * 24 * 24 * 32 * 9,
            32L * 12 * 12 * 32 * 16,
            64L * 10 * 10 * 32 * 9,
            64L * 8 * 8 * 64 * 9,
            64L * 4 * 4 * 64 * 16,
            128L * 2 * 2 * 64 * 9,
        };
        long sum = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], macs.node("conv" + (i + 1)).macs(), "conv" + (i + 1));
            sum += expected[i];
        }
        assertEquals(5120, macs.node("fc1").macs());
        assertEquals(0, macs.node("bn1").macs());
        assertEquals(0, macs.node("q1").macs());
        assertEquals(sum + 5120, macs.total());
        assertArrayEquals(new int[] {128, 2, 2}, macs.node("conv7").outputShape());
        assertArrayEquals(new int[] {512}, macs.node("flat").outputShape());
    }

    @Test
    void mnistRealMacsSkipPadding() {
        Macs macs = Macs.of(mnistModel());

        // conv3: 4×4 kernel, stride 2, padding 1 on 24×24. Per axis the taps 0..3 reach real rows at
        // 11, 12, 12 and 11 of the 12 outputs, so 46 · 46 of the 48 · 48 (position, tap) pairs are real.
        assertEquals(32L * 32 * 46 * 46, macs.node("conv3").realMacs());
        // Unpadded convs have no padded taps.
        assertEquals(macs.node("conv1").macs(), macs.node("conv1").realMacs());
        assertEquals(5120, macs.node("fc1").realMacs());
    }

    @Test
    void samePaddingFanOutCount() {
        // A length-3 row, kernel 3, padding 1: 9 taps counted, 7 of them on real inputs; 4 output channels: 36, 28.
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {1, 1, 3}, 4));
        builder.layer("conv", Op.CONV2D, "image", Map.of("padding", longs(0, 0, 1, 1)),
                Map.of("weight", Tensor.zeros(4, 1, 1, 3)));
        Macs macs = Macs.of(builder.build("conv"));

        assertEquals(36, macs.total());
        assertEquals(28, macs.totalReal());
        assertEquals(12, macs.weights());
        assertEquals(0, macs.biases());
    }

    @Test
    void groupsDivideFanIn() {
        // 4 → 6 channels in 2 groups, 3×3 kernel on 5×5 without padding: 6 · 3 · 3 · (4 / 2) · 3 · 3 MACs.
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {4, 5, 5}, 6));
        builder.layer("conv", Op.CONV2D, "image", Map.of("groups", 2L), Map.of("weight", Tensor.zeros(6, 2, 3, 3)));
        builder.node("pool", Op.AVG_POOL2D, "conv", Map.of("kernel", longs(3, 3)));
        Macs macs = Macs.of(builder.build("pool"));

        assertEquals(6L * 3 * 3 * 2 * 3 * 3, macs.total());
        assertEquals(0, macs.node("pool").macs());
        assertArrayEquals(new int[] {6, 1, 1}, macs.node("pool").outputShape());
    }

    @Test
    void inputExpansionMultipliesChannels() {
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {3, 2, 2}, 1));
        builder.node("ice", Op.INPUT_EXPANSION, "image",
                Map.of("timesteps", 8L, "levels", 10L, "offsets", longs(-1, 1, 0, -1, 1, 0)));
        builder.layer("conv", Op.CONV2D, "ice", Map.of(), Map.of("weight", Tensor.zeros(1, 18, 2, 2)));
        Macs macs = Macs.of(builder.build("conv"));

        assertArrayEquals(new int[] {18, 2, 2}, macs.node("ice").outputShape());
        assertEquals(18L * 2 * 2, macs.total());
    }

    @Test
    void rejectsLinearOnFeatureMap() {
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {1, 2, 2}, 1));
        builder.layer("fc", Op.LINEAR, "image", Map.of(), Map.of("weight", Tensor.zeros(1, 4)));

        assertThrows(InvalidModelException.class, () -> Macs.of(builder.build("fc")));
    }

    @Test
    void rejectsPoolWithoutKernel() {
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {1, 2, 2}, 1));
        builder.node("pool", Op.MAX_POOL2D, "image", Map.of());

        assertThrows(InvalidModelException.class, () -> Macs.of(builder.build("pool")));
    }

    @Test
    void rejectsMismatchedWeight() {
        GraphBuilder builder = new GraphBuilder(InputSpec.ofBytes("image", new int[] {3, 2, 2}, 1));
        builder.layer("conv", Op.CONV2D, "image", Map.of(), Map.of("weight", Tensor.zeros(1, 2, 1, 1)));

        assertThrows(InvalidModelException.class, () -> Macs.of(builder.build("conv")));
    }
}
