package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.List;
import java.util.Random;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Op;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

class ModelRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void fileRoundTripKeepsEverything() throws Exception {
        ModelFile original = TestModels.file(7);
        Path path = dir.resolve("model.safetensors");
        ModelWriter.write(original, path);

        ModelFile read = ModelReader.read(path);

        assertSameAnn(original.ann(), read.ann());
        assertSameSnn(original.snn(), read.snn());
        assertEquals(Map.of("producer", "ratesim tests", "note", "kept on rewrite"), read.extraMetadata());
    }

    @Test
    void rewriteIsByteIdentical() {
        byte[] first = TestModels.bytes(11);
        byte[] second = ModelWriter.toBytes(ModelReader.read(first));
        assertArrayEquals(first, second);
    }

    @Test
    void annOnlyFileHasNoSnn() {
        Model ann = TestModels.ann(3);
        ModelFile read = ModelReader.read(ModelWriter.toBytes(ModelFile.of(ann)));
        assertNull(read.snn());
        assertSameAnn(ann, read.ann());
        assertEquals(Map.of("producer", ModelWriter.PRODUCER), read.extraMetadata());
    }

    @Test
    void extraMetadataCannotReplaceReservedKeys() {
        Map<String, String> extra = Map.of("format", "other", "format_version", "9", "graph", "{}", "snn", "{}",
                "producer", "tool");
        ModelFile read = ModelReader.read(ModelWriter.toBytes(new ModelFile(TestModels.ann(3), null, extra)));
        assertNull(read.snn());
        assertEquals(Map.of("producer", "tool"), read.extraMetadata());
    }

    @Test
    void sharedParameterLoadsOnce() {
        InputSpec input = InputSpec.ofBytes("image", new int[] {1, 2, 2}, 3);
        List<Node> nodes = List.of(
                TestModels.node("flat", Op.FLATTEN, "image", Map.of(), Map.of()),
                TestModels.node("a", Op.LINEAR, "flat", Map.of(), Map.of("weight", "shared")),
                TestModels.node("b", Op.LINEAR, "a", Map.of(), Map.of("weight", "shared", "bias", "bias")),
                TestModels.node("out", Op.LINEAR, "b", Map.of(), Map.of("weight", "head")));
        Random random = new Random(8);
        Model ann = new Model(new Graph(input, nodes, "out"), Map.of("shared", TestModels.randomTensor(random, 4, 4),
                "bias", TestModels.randomTensor(random, 4), "head", TestModels.randomTensor(random, 3, 4)), null);

        Model read = ModelReader.read(ModelWriter.toBytes(ModelFile.of(ann))).ann();

        assertEquals(ann.params(), read.params());
        assertEquals(nodes, read.graph().nodes());
    }

    @Test
    void writerRejectsInvalidModel() {
        Model valid = TestModels.ann(2);
        Graph graph = valid.graph();
        InputSpec wrongClasses = InputSpec.ofBytes("input", graph.input().shape(), 4);
        Model invalid = new Model(new Graph(wrongClasses, graph.nodes(), graph.output()), valid.params(), null);
        String message = assertThrows(IllegalArgumentException.class,
                () -> ModelWriter.toBytes(ModelFile.of(invalid))).getMessage();
        assertTrue(message.startsWith("cannot write an invalid model: model: graph output \"fc\" has shape [3]"),
                message);
    }

    @Test
    void pathAndBytesReadAlike() throws Exception {
        byte[] bytes = TestModels.bytes(5);
        Path path = dir.resolve("m.safetensors");
        Files.write(path, bytes);
        assertSameAnn(ModelReader.read(bytes).ann(), ModelReader.read(path).ann());
    }

    @Test
    void iceAndMaxPoolRoundTrip() {
        InputSpec input = new InputSpec("image", new int[] {1, 6, 6}, 0.5, new double[] {0.25}, new double[] {2.0}, 3);
        List<Node> nodes = List.of(
                TestModels.node("ice", Op.INPUT_EXPANSION, "image",
                        Map.of("timesteps", 2L, "levels", 2L, "offsets", List.of(-1L, 0L, 1L)), Map.of()),
                TestModels.node("pool", Op.MAX_POOL2D, "ice", Map.of("kernel", List.of(2L, 2L)), Map.of()),
                TestModels.node("flat", Op.FLATTEN, "pool", Map.of("order", "hwc"), Map.of()),
                TestModels.node("fc", Op.LINEAR, "flat", Map.of(), Map.of("weight", "fc.weight")));
        Model ann = new Model(new Graph(input, nodes, "fc"),
                Map.of("fc.weight", TestModels.randomTensor(new Random(4), 3, 27)), null);
        Encoder encoder = new Encoder(Encoder.Type.ICE, 2, new int[] {-1, 0, 1}, new int[] {1, 6, 6});
        SpikingLayer pool = new SpikingLayer("pool", LayerType.MAX_POOL2D, new int[] {3, 6, 6}, new int[] {3, 3, 3},
                new int[] {2, 2}, new int[] {2, 2}, new int[4], new int[] {1, 1}, 1, NeuronRule.IF_CTT,
                ResetMode.SUBTRACT, 0, null, 0, null, null);
        SpikingLayer readout = new SpikingLayer("fc", LayerType.LINEAR, new int[] {3, 3, 3}, new int[] {3, 1, 1},
                new int[] {1, 1}, new int[] {1, 1}, new int[4], new int[] {1, 1}, 1, NeuronRule.ACCUMULATE,
                ResetMode.SUBTRACT, 30, new short[81], 0, new int[3], null);
        SnnNetwork snn = new SnnNetwork(2, encoder, List.of(pool), readout, 0);
        ModelFile original = new ModelFile(ann, snn, Map.of());

        ModelFile read = ModelReader.read(ModelWriter.toBytes(original));

        assertEquals(ann.graph().nodes(), read.ann().graph().nodes());
        assertEquals(0.5, read.ann().graph().input().scale());
        assertArrayEquals(new double[] {0.25}, read.ann().graph().input().mean());
        assertArrayEquals(new double[] {2.0}, read.ann().graph().input().std());
        assertNull(read.ann().samples());
        assertEquals(ann.params(), read.ann().params());
        assertSameSnn(snn, read.snn());
    }

    static void assertSameAnn(Model expected, Model actual) {
        Graph a = expected.graph();
        Graph b = actual.graph();
        assertEquals(a.input().name(), b.input().name());
        assertArrayEquals(a.input().shape(), b.input().shape());
        assertEquals(a.input().scale(), b.input().scale());
        assertArrayEquals(a.input().mean(), b.input().mean());
        assertArrayEquals(a.input().std(), b.input().std());
        assertEquals(a.input().classes(), b.input().classes());
        assertEquals(a.output(), b.output());
        assertEquals(a.nodes().size(), b.nodes().size());
        for (int i = 0; i < a.nodes().size(); i++) {
            Node x = a.nodes().get(i);
            Node y = b.nodes().get(i);
            assertEquals(x, y, "node " + i);
        }
        assertEquals(expected.params(), actual.params());
        assertArrayEquals(expected.samples().images(), actual.samples().images());
        assertArrayEquals(expected.samples().labels(), actual.samples().labels());
        assertArrayEquals(expected.samples().shape(), actual.samples().shape());
    }

    static void assertSameSnn(SnnNetwork expected, SnnNetwork actual) {
        assertEquals(expected.timesteps(), actual.timesteps());
        assertEquals(expected.overflowBound(), actual.overflowBound());
        assertEquals(expected.encoder().type(), actual.encoder().type());
        assertEquals(expected.encoder().levels(), actual.encoder().levels());
        assertArrayEquals(expected.encoder().offsets(), actual.encoder().offsets());
        assertArrayEquals(expected.encoder().shape(), actual.encoder().shape());
        assertEquals(expected.layers().size(), actual.layers().size());
        for (int i = 0; i < expected.layers().size(); i++) {
            assertSameLayer(expected.layers().get(i), actual.layers().get(i));
        }
        assertSameLayer(expected.readout(), actual.readout());
    }

    private static void assertSameLayer(SpikingLayer a, SpikingLayer b) {
        String name = a.name();
        assertEquals(a.name(), b.name());
        assertEquals(a.type(), b.type(), name);
        assertArrayEquals(a.inputShape(), b.inputShape(), name);
        assertArrayEquals(a.outputShape(), b.outputShape(), name);
        assertArrayEquals(a.kernel(), b.kernel(), name);
        assertArrayEquals(a.stride(), b.stride(), name);
        assertArrayEquals(a.padding(), b.padding(), name);
        assertArrayEquals(a.dilation(), b.dilation(), name);
        assertEquals(a.groups(), b.groups(), name);
        assertEquals(a.neuron(), b.neuron(), name);
        assertEquals(a.reset(), b.reset(), name);
        assertEquals(a.shift(), b.shift(), name);
        assertArrayEquals(a.weights(), b.weights(), name);
        assertEquals(a.weightValue(), b.weightValue(), name);
        assertArrayEquals(a.bias(), b.bias(), name);
        assertArrayEquals(a.threshold(), b.threshold(), name);
    }
}
