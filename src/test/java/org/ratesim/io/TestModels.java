package org.ratesim.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ratesim.model.Dataset;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.tensor.Tensor;

/**
 * Small valid models built in code: a VR network on 1×8×8 images with three classes, with its spiking network and
 * two embedded samples. Values come from a seeded random generator, so every call returns the same model.
 */
final class TestModels {

    static final int CLASSES = 3;

    private TestModels() {
    }

    /** Returns the ANN: clamp_floor, conv2d, batch_norm, clamp_floor, avg_pool2d, flatten, dropout, linear. */
    static Model ann(long seed) {
        Random random = new Random(seed);
        InputSpec input = InputSpec.ofBytes("input", new int[] {1, 8, 8}, CLASSES);
        List<Node> nodes = new ArrayList<>();
        nodes.add(node("encode", Op.CLAMP_FLOOR, "input", Map.of("timesteps", 2L, "levels", 4L), Map.of()));
        nodes.add(node("conv1", Op.CONV2D, "encode", Map.of("stride", List.of(1L, 1L),
                "padding", List.of(0L, 0L, 0L, 0L), "dilation", List.of(1L, 1L), "groups", 1L),
                Map.of("weight", "conv1.weight", "bias", "conv1.bias")));
        nodes.add(node("bn1", Op.BATCH_NORM, "conv1", Map.of("eps", 1e-5), Map.of("weight", "bn1.weight",
                "bias", "bn1.bias", "running_mean", "bn1.running_mean", "running_var", "bn1.running_var")));
        nodes.add(node("q1", Op.CLAMP_FLOOR, "bn1", Map.of("timesteps", 2L, "levels", 2.5), Map.of()));
        nodes.add(node("pool1", Op.AVG_POOL2D, "q1", Map.of("kernel", List.of(2L, 2L)), Map.of()));
        nodes.add(node("flat", Op.FLATTEN, "pool1", Map.of("order", "chw"), Map.of()));
        nodes.add(node("drop", Op.DROPOUT, "flat", Map.of(), Map.of()));
        nodes.add(node("fc", Op.LINEAR, "drop", Map.of(), Map.of("weight", "fc.weight", "bias", "fc.bias")));
        Graph graph = new Graph(input, nodes, "fc");

        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("conv1.weight", randomTensor(random, 2, 1, 3, 3));
        params.put("conv1.bias", randomTensor(random, 2));
        params.put("bn1.weight", randomTensor(random, 2));
        params.put("bn1.bias", randomTensor(random, 2));
        params.put("bn1.running_mean", randomTensor(random, 2));
        Tensor variance = randomTensor(random, 2);
        for (int i = 0; i < variance.size(); i++) {
            variance.floats()[i] = Math.abs(variance.floats()[i]) + 0.1f;
        }
        params.put("bn1.running_var", variance);
        params.put("fc.weight", randomTensor(random, CLASSES, 18));
        params.put("fc.bias", randomTensor(random, CLASSES));
        return new Model(graph, params, samples(random, 2));
    }

    /** Returns the spiking network of {@link #ann}: conv1, pool1 (average), readout fc. */
    static SnnNetwork snn(long seed) {
        Random random = new Random(seed + 1);
        Encoder encoder = new Encoder(Encoder.Type.VR, 4, new int[] {0}, new int[] {1, 8, 8});
        SpikingLayer conv = new SpikingLayer("conv1", LayerType.CONV2D, new int[] {1, 8, 8}, new int[] {2, 6, 6},
                new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, NeuronRule.ASG,
                ResetMode.SUBTRACT, 12, randomShorts(random, 1 * 3 * 3 * 2), 0, new int[] {100, -250},
                new int[] {4096, 2048});
        SpikingLayer pool = new SpikingLayer("pool1", LayerType.AVG_POOL2D, new int[] {2, 6, 6},
                new int[] {2, 3, 3}, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1,
                NeuronRule.IF, ResetMode.ZERO, 10, null, 256, null, new int[] {1024, 1024});
        SpikingLayer readout = new SpikingLayer("fc", LayerType.LINEAR, new int[] {2, 3, 3},
                new int[] {CLASSES, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                new int[] {1, 1}, 1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 8, randomShorts(random, 18 * CLASSES),
                0, new int[] {5, -6, 7}, null);
        return new SnnNetwork(2, encoder, List.of(conv, pool), readout, 1_000_000);
    }

    /** Returns the full model file: ANN, spiking network, samples and one extra metadata entry. */
    static ModelFile file(long seed) {
        return new ModelFile(ann(seed), snn(seed), Map.of("producer", "ratesim tests", "note", "kept on rewrite"));
    }

    static byte[] bytes(long seed) {
        return ModelWriter.toBytes(file(seed));
    }

    static Node node(String name, Op op, String input, Map<String, Object> attrs, Map<String, String> params) {
        return new Node(name, op, List.of(input), attrs, params);
    }

    static Tensor randomTensor(Random random, int... shape) {
        float[] values = new float[Tensor.size(shape)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(values, shape);
    }

    private static short[] randomShorts(Random random, int count) {
        short[] values = new short[count];
        for (int i = 0; i < count; i++) {
            values[i] = (short) (random.nextInt(65536) - 32768);
        }
        return values;
    }

    private static Dataset samples(Random random, int count) {
        byte[] images = new byte[count * 64];
        random.nextBytes(images);
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = random.nextInt(CLASSES);
        }
        return new Dataset(images, labels, new int[] {1, 8, 8});
    }
}
