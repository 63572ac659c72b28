package org.ratesim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ratesim.io.InvalidModelException;
import org.ratesim.io.ReaderLimits;

/** Output sizes computed by hand with PyTorch's rule floor((H + top + bottom − d·(K − 1) − 1) / s) + 1. */
class ShapeInferenceTest {

    private static int[] shape(Op op, int[] input, Map<String, Object> attrs, Map<String, int[]> paramShapes) {
        Map<String, String> params = new java.util.HashMap<>();
        for (String tensor : paramShapes.keySet()) {
            params.put(tensor, tensor);
        }
        Node node = new Node("n", op, List.of("x"), attrs, params);
        return ShapeInference.outputShape(node, input, paramShapes);
    }

    @Test
    void conv2dStridePaddingDilationGroups() {
        assertArrayEquals(new int[] {16, 16, 16}, shape(Op.CONV2D, new int[] {3, 32, 32},
                Map.of("stride", List.of(2L, 2L), "padding", List.of(2L, 2L, 2L, 2L)),
                Map.of("weight", new int[] {16, 3, 5, 5})));
        assertArrayEquals(new int[] {1, 6, 8}, shape(Op.CONV2D, new int[] {1, 10, 10},
                Map.of("dilation", List.of(2L, 1L)), Map.of("weight", new int[] {1, 1, 3, 3})));
        assertArrayEquals(new int[] {6, 6, 6}, shape(Op.CONV2D, new int[] {4, 8, 8}, Map.of("groups", 2L),
                Map.of("weight", new int[] {6, 2, 3, 3}, "bias", new int[] {6})));
        assertArrayEquals(new int[] {2, 1, 2}, shape(Op.CONV2D, new int[] {1, 3, 4},
                Map.of("padding", List.of(0L, 0L, 1L, 0L), "stride", List.of(1L, 2L)),
                Map.of("weight", new int[] {2, 1, 3, 2})));
    }

    @Test
    void poolsDefaultStrideToKernel() {
        assertArrayEquals(new int[] {2, 4, 4}, shape(Op.MAX_POOL2D, new int[] {2, 7, 7}, Map.of("kernel",
                List.of(3L, 3L), "stride", List.of(2L, 2L), "padding", List.of(1L, 1L, 1L, 1L)), Map.of()));
        assertArrayEquals(new int[] {1, 2, 2}, shape(Op.AVG_POOL2D, new int[] {1, 5, 5},
                Map.of("kernel", List.of(2L, 2L)), Map.of()));
    }

    @Test
    void expansionFlattenLinearAndElementwise() {
        assertArrayEquals(new int[] {18, 32, 32}, shape(Op.INPUT_EXPANSION, new int[] {3, 32, 32},
                Map.of("offsets", List.of(-1L, 1L, 0L, -1L, 1L, 0L)), Map.of()));
        assertArrayEquals(new int[] {24}, shape(Op.FLATTEN, new int[] {2, 3, 4}, Map.of(), Map.of()));
        assertArrayEquals(new int[] {10}, shape(Op.LINEAR, new int[] {24}, Map.of(),
                Map.of("weight", new int[] {10, 24})));
        assertArrayEquals(new int[] {24}, shape(Op.BATCH_NORM, new int[] {24}, Map.of(),
                Map.of("weight", new int[] {24}, "bias", new int[] {24}, "running_mean", new int[] {24},
                        "running_var", new int[] {24})));
        assertArrayEquals(new int[] {2, 3, 4}, shape(Op.RELU, new int[] {2, 3, 4}, Map.of(), Map.of()));
    }

    @Test
    void mismatchesNameTheNode() {
        String vector = assertThrows(InvalidModelException.class, () -> shape(Op.LINEAR, new int[] {2, 3, 4},
                Map.of(), Map.of("weight", new int[] {10, 24}))).getMessage();
        assertTrue(vector.startsWith("node \"n\" (linear): input shape [2, 3, 4] must be a vector"), vector);
        String map = assertThrows(InvalidModelException.class, () -> shape(Op.MAX_POOL2D, new int[] {24},
                Map.of("kernel", List.of(2L, 2L)), Map.of())).getMessage();
        assertTrue(map.contains("must be a feature map"), map);
        String kernel = assertThrows(InvalidModelException.class, () -> shape(Op.CONV2D, new int[] {1, 4, 4},
                Map.of("dilation", List.of(2L, 2L)), Map.of("weight", new int[] {1, 1, 3, 3}))).getMessage();
        assertTrue(kernel.contains("span 5) is larger than the padded input height 4"), kernel);
    }

    @Test
    void validatorAcceptsMapOutputAndIceGraph() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {3, 4, 4}, 5);
        List<Node> nodes = List.of(
                new Node("ice", Op.INPUT_EXPANSION, List.of("image"),
                        Map.of("timesteps", 2L, "levels", 1L, "offsets", List.of(-1L, 0L, 1L)), Map.of()),
                new Node("conv", Op.CONV2D, List.of("ice"), Map.of(), Map.of("weight", "w")));
        Graph graph = new Graph(input, nodes, "conv");
        Map<String, int[]> shapes = GraphValidator.validate(graph, Map.of("w", new int[] {5, 9, 4, 4}),
                ReaderLimits.DEFAULTS);
        assertArrayEquals(new int[] {9, 4, 4}, shapes.get("ice"));
        assertArrayEquals(new int[] {5, 1, 1}, shapes.get("conv"));
    }

    @Test
    void validatorRejectsNegativeExpandedLevels() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 4, 4}, 16);
        Node ice = new Node("ice", Op.INPUT_EXPANSION, List.of("image"),
                Map.of("timesteps", 2L, "levels", 0.5, "offsets", List.of(-1L, 0L)), Map.of());
        Node flat = new Node("flat", Op.FLATTEN, List.of("ice"), Map.of(), Map.of());
        Graph graph = new Graph(input, List.of(ice, flat), "flat");
        String message = assertThrows(InvalidModelException.class,
                () -> GraphValidator.validate(graph, Map.of(), ReaderLimits.DEFAULTS)).getMessage();
        assertTrue(message.contains("levels 0.5 plus offset -1 is negative"), message);
    }

    @Test
    void validatorEnforcesNeuronLimit() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 100, 100}, 3);
        Node ice = new Node("ice", Op.INPUT_EXPANSION, List.of("image"),
                Map.of("timesteps", 2L, "levels", 1L, "offsets", List.of(0L, 0L, 0L)), Map.of());
        Graph graph = new Graph(input, List.of(ice), "ice");
        String message = assertThrows(InvalidModelException.class,
                () -> GraphValidator.validate(graph, Map.of(), ReaderLimits.DEFAULTS.withMaxNeurons(20_000)))
                .getMessage();
        assertTrue(message.contains("[3, 100, 100] has more than 20000 values"), message);
    }
}
