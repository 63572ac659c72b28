package org.ratesim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ratesim.io.InvalidModelException;
import org.ratesim.tensor.Tensor;

class FloatExecutorTest {

    /** Builds small graphs in code: nodes in order, parameters by container name. */
    static final class GraphBuilder {
        private final InputSpec input;
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Tensor> params = new HashMap<>();

        GraphBuilder(InputSpec input) {
            this.input = input;
        }

        GraphBuilder node(String name, Op op, String from, Map<String, Object> attrs) {
            nodes.add(new Node(name, op, List.of(from), attrs, Map.of()));
            return this;
        }

        GraphBuilder layer(String name, Op op, String from, Map<String, Object> attrs, Map<String, Tensor> tensors) {
            Map<String, String> roles = new HashMap<>();
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                String tensorName = name + "." + entry.getKey();
                roles.put(entry.getKey(), tensorName);
                params.put(tensorName, entry.getValue());
            }
            nodes.add(new Node(name, op, List.of(from), attrs, roles));
            return this;
        }

        Model build(String output) {
            return new Model(new Graph(input, nodes, output), params, null);
        }
    }

    static List<Long> longs(long... values) {
        List<Long> list = new ArrayList<>();
        for (long value : values) {
            list.add(value);
        }
        return list;
    }

    static Tensor vector(float... values) {
        return Tensor.of(values, values.length);
    }

    private static Map<String, Object> quantizer(long timesteps, double levels) {
        return Map.of("timesteps", timesteps, "levels", levels);
    }

    /**
     * Input 1×2×2 → VR (T = 4, L = 8) → 1×1 conv with bias → batch norm → clamp_floor → dropout → flatten → linear,
     * plus a relu side branch that reads the conv and feeds nothing.
     */
    private static Model tinyModel() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 2, 2}, 2);
        return new GraphBuilder(input)
                .node("encode", Op.CLAMP_FLOOR, "image", quantizer(4, 8.0))
                .layer("conv", Op.CONV2D, "encode", Map.of(),
                        Map.of("weight", Tensor.of(new float[] {2, -1}, 2, 1, 1, 1), "bias", vector(0.125f, 1)))
                .node("side", Op.RELU, "conv", Map.of())
                .layer("bn", Op.BATCH_NORM, "conv", Map.of("eps", 0.0),
                        Map.of("weight", vector(1, 2), "bias", vector(0, 0.25f), "running_mean", vector(0, 0.5f),
                                "running_var", vector(1, 4)))
                .node("q", Op.CLAMP_FLOOR, "bn", quantizer(4, 8.0))
                .node("drop", Op.DROPOUT, "q", Map.of())
                .node("flat", Op.FLATTEN, "drop", Map.of("order", "chw"))
                .layer("fc", Op.LINEAR, "flat", Map.of(),
                        Map.of("weight", Tensor.of(new float[] {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, 2, 8),
                                "bias", vector(0, 0.5f)))
                .build("fc");
    }

    private static final byte[] TINY_IMAGE = {0, 64, (byte) 128, (byte) 255};

    @Test
    void tinyGraphLogits() {
        FloatExecutor executor = new FloatExecutor(tinyModel());

        // VR counts min(floor(8b / 255), 4) = 0, 2, 4, 4 → values 0, 0.25, 0.5, 0.5.
        // conv: channel 0 = 2x + 0.125, channel 1 = −x + 1; bn leaves channel 0 and maps channel 1 to x − 0.25;
        // clamp_floor to [0, 0.5] in steps of 1/8 gives [0.125, 0.5, 0.5, 0.5] and [0.5, 0.5, 0.25, 0.25].
        assertArrayEquals(new float[] {1.625f, 2.0f}, executor.logits(TINY_IMAGE, 0));
        assertEquals(1, executor.predict(TINY_IMAGE, 0));
    }

    @Test
    void tinyGraphActivationsByName() {
        Map<String, Tensor> activations = new FloatExecutor(tinyModel()).activations(TINY_IMAGE, 0);

        assertEquals(List.of("image", "encode", "conv", "side", "bn", "q", "drop", "flat", "fc"),
                new ArrayList<>(activations.keySet()));
        assertArrayEquals(new float[] {0, 64 / 255f, 128 / 255f, 1}, activations.get("image").floats());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.5f}, activations.get("encode").floats());
        assertArrayEquals(new float[] {0.125f, 0.625f, 1.125f, 1.125f, 1, 0.75f, 0.5f, 0.5f},
                activations.get("conv").floats());
        assertArrayEquals(activations.get("conv").floats(), activations.get("side").floats());
        assertArrayEquals(new float[] {0.125f, 0.625f, 1.125f, 1.125f, 0.75f, 0.5f, 0.25f, 0.25f},
                activations.get("bn").floats());
        assertArrayEquals(new float[] {0.125f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f},
                activations.get("q").floats());
        assertArrayEquals(new int[] {8}, activations.get("flat").shape());
    }

    @Test
    void imageOffsetSelectsImage() {
        FloatExecutor executor = new FloatExecutor(tinyModel());
        byte[] two = {9, 9, 9, 9, 0, 64, (byte) 128, (byte) 255};

        assertArrayEquals(executor.logits(TINY_IMAGE, 0), executor.logits(two, 4));
        assertThrows(IllegalArgumentException.class, () -> executor.logits(two, 5));
    }

    @Test
    void vrEncoderExactAtLevelBoundary() {
        // T = 1, L = 2.5: 2.5 · 102 / 255 = 1 exactly, so byte 102 spikes (value 1 / 2.5) and 101 does not.
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 2}, 2);
        Model model = new GraphBuilder(input)
                .node("encode", Op.CLAMP_FLOOR, "image", quantizer(1, 2.5))
                .node("flat", Op.FLATTEN, "encode", Map.of())
                .build("flat");

        float[] out = new FloatExecutor(model).logits(new byte[] {101, 102}, 0);

        assertArrayEquals(new float[] {0, 0.4f}, out);
    }

    @Test
    void inputExpansionNode() {
        // L = 10, T = 8, b = 51 with offsets [-1, 0, 1]: counts 1, 2, 2.
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 3);
        Model model = new GraphBuilder(input)
                .node("ice", Op.INPUT_EXPANSION, "image",
                        Map.of("timesteps", 8L, "levels", 10L, "offsets", longs(-1, 0, 1)))
                .node("flat", Op.FLATTEN, "ice", Map.of())
                .build("flat");

        assertArrayEquals(new float[] {0.1f, 0.2f, 0.2f}, new FloatExecutor(model).logits(new byte[] {51}, 0));
    }

    @Test
    void normalizedInputMapping() {
        InputSpec input = new InputSpec("image", new int[] {2, 1, 1}, 1.0 / 255, new double[] {0.5, 0},
                new double[] {0.25, 2}, 2);
        Model model = new GraphBuilder(input).node("flat", Op.FLATTEN, "image", Map.of()).build("flat");
        FloatExecutor executor = new FloatExecutor(model);

        // Channel 0: (255 / 255 − 0.5) / 0.25 = 2; channel 1: (0 − 0) / 2 = 0.
        assertArrayEquals(new float[] {2, 0}, executor.logits(new byte[] {(byte) 255, 0}, 0));
        assertArrayEquals(new float[] {-2, 0.5f}, executor.logits(new byte[] {0, (byte) 255}, 0));
    }

    @Test
    void clampFloorOnNormalizedInputUsesFloat() {
        // With mean 0.5 the input is b / 255 − 0.5, so byte 255 gives 0.5 → floor(4 · 0.5) = 2, clamped to T = 1.
        InputSpec input = new InputSpec("image", new int[] {1, 1, 2}, 1.0 / 255, new double[] {0.5},
                new double[] {1}, 2);
        Model model = new GraphBuilder(input)
                .node("q", Op.CLAMP_FLOOR, "image", quantizer(1, 4.0))
                .node("flat", Op.FLATTEN, "q", Map.of())
                .build("flat");

        float[] out = new FloatExecutor(model).logits(new byte[] {(byte) 180, (byte) 255}, 0);

        assertArrayEquals(new float[] {0, 0.25f}, out);
    }

    @Test
    void predictTiesPickLowestIndex() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 3);
        Model model = new GraphBuilder(input)
                .node("flat", Op.FLATTEN, "image", Map.of())
                .layer("fc", Op.LINEAR, "flat", Map.of(), Map.of("weight", Tensor.of(new float[] {-1, 2, 2}, 3, 1)))
                .build("fc");

        assertEquals(1, new FloatExecutor(model).predict(new byte[] {(byte) 255}, 0));
        // With a zero input every logit is 0, so class 0 wins.
        assertEquals(0, new FloatExecutor(model).predict(new byte[] {0}, 0));
    }

    @Test
    void rejectsUnknownInputName() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 1);
        Model model = new GraphBuilder(input).node("r", Op.RELU, "missing", Map.of()).build("r");

        assertThrows(InvalidModelException.class, () -> new FloatExecutor(model));
    }

    @Test
    void rejectsMissingWeight() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 1);
        Model model = new GraphBuilder(input)
                .node("flat", Op.FLATTEN, "image", Map.of())
                .node("fc", Op.LINEAR, "flat", Map.of())
                .build("fc");

        assertThrows(InvalidModelException.class, () -> new FloatExecutor(model));
    }

    @Test
    void rejectsInputExpansionOnHiddenNode() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 1);
        Model model = new GraphBuilder(input)
                .node("r", Op.RELU, "image", Map.of())
                .node("ice", Op.INPUT_EXPANSION, "r", Map.of("timesteps", 1L, "levels", 4L, "offsets", longs(0)))
                .build("ice");

        assertThrows(InvalidModelException.class, () -> new FloatExecutor(model));
    }

    @Test
    void rejectsFractionalTimesteps() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 1);
        Model model = new GraphBuilder(input)
                .node("encode", Op.CLAMP_FLOOR, "image", quantizer(1, 4.0))
                .node("q", Op.CLAMP_FLOOR, "encode", Map.of("timesteps", 2.5, "levels", 4.0))
                .build("q");

        assertThrows(InvalidModelException.class, () -> new FloatExecutor(model));
    }

    @Test
    void rejectsUnknownOutput() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 1}, 1);
        Model model = new GraphBuilder(input).node("r", Op.RELU, "image", Map.of()).build("logits");

        assertThrows(InvalidModelException.class, () -> new FloatExecutor(model));
    }

    @Test
    void reportsShapeMismatchWithNodeName() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 1, 2}, 1);
        Model model = new GraphBuilder(input)
                .node("flat", Op.FLATTEN, "image", Map.of())
                .layer("fc", Op.LINEAR, "flat", Map.of(), Map.of("weight", Tensor.of(new float[] {1, 2, 3}, 1, 3)))
                .build("fc");
        FloatExecutor executor = new FloatExecutor(model);

        InvalidModelException error = assertThrows(InvalidModelException.class,
                () -> executor.logits(new byte[2], 0));
        assertTrue(error.getMessage().contains("\"fc\""), error.getMessage());
    }
}
