package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** One hand-made file per rejection rule of the model format: each must fail naming the field and constraint. */
class ModelRejectionTest {

    private record Case(String name, Consumer<EditableModel> edit, String... fragments) {
    }

    @Test
    void unmodifiedModelLoads() {
        ModelReader.read(EditableModel.valid().bytes(), "model.safetensors", ReaderLimits.DEFAULTS);
    }

    @TestFactory
    Stream<DynamicTest> graphRules() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("unknown op", m -> m.node("drop").put("op", "softmax"), "graph.nodes[6].op",
                "\"softmax\" is not a supported operator"));
        cases.add(new Case("self cycle", m -> m.node("drop").put("inputs", List.of("drop")), "\"drop\"",
                "cycle"));
        cases.add(new Case("later input", m -> m.node("conv1").put("inputs", List.of("q1")), "\"conv1\"",
                "input \"q1\" is defined later", "topological order"));
        cases.add(new Case("dangling input", m -> m.node("conv1").put("inputs", List.of("nowhere")),
                "input \"nowhere\" is neither input.name nor a node"));
        cases.add(new Case("two inputs", m -> m.node("conv1").put("inputs", List.of("encode", "encode")),
                "\"conv1\"", "2 inputs, expected 1"));
        cases.add(new Case("duplicate name", m -> m.node("drop").put("name", "flat"), "node name \"flat\"",
                "unique"));
        cases.add(new Case("name equals input", m -> m.node("encode").put("name", "input"),
                "node name \"input\" repeats input.name"));
        cases.add(new Case("empty name", m -> m.node("drop").put("name", ""), "node name \"\"", "1 to 128"));
        cases.add(new Case("long name", m -> m.node("drop").put("name", "n".repeat(129)), "1 to 128"));
        cases.add(new Case("missing tensor", m -> m.tensors.remove("fc.bias"), "parameter bias",
                "tensor \"fc.bias\"", "does not contain"));
        cases.add(new Case("wrong param shape", m -> m.setFloats("fc.bias", new float[4], 4), "\"fc\"",
                "bias", "[4], expected [3]"));
        cases.add(new Case("linear input mismatch", m -> m.setFloats("fc.weight", new float[3 * 17], 3, 17),
                "\"fc\"", "weight shape [3, 17]", "[Out, 18]"));
        cases.add(new Case("conv channels mismatch", m -> m.setFloats("conv1.weight", new float[36], 2, 2, 3, 3),
                "\"conv1\"", "does not fit input [1, 8, 8]"));
        cases.add(new Case("stride zero", m -> m.attrs("conv1").put("stride", List.of(0L, 1L)),
                "\"conv1\"", "attribute stride [0, 1]", "integers in 1..65536"));
        cases.add(new Case("huge list attribute", m -> m.attrs("conv1").put("stride",
                java.util.Collections.nCopies(100_000, 0L)), "attribute stride [0, 0, 0,", "..."));
        cases.add(new Case("huge node name", m -> m.node("drop").put("name", "d".repeat(100_000)),
                "node name \"ddd", "..."));
        cases.add(new Case("negative padding", m -> m.attrs("conv1").put("padding", List.of(0L, -1L, 0L, 0L)),
                "attribute padding", "integers in 0..65536"));
        cases.add(new Case("kernel larger than input", m -> m.setFloats("conv1.weight", new float[2 * 81], 2, 1,
                9, 9), "\"conv1\"", "kernel height 9", "larger than the padded input height 8"));
        cases.add(new Case("pool kernel larger", m -> m.attrs("pool1").put("kernel", List.of(7L, 7L)),
                "\"pool1\"", "larger than the padded input height 6"));
        cases.add(new Case("pool padding over half", m -> m.attrs("pool1").put("padding", List.of(2L, 0L, 0L, 0L)),
                "\"pool1\"", "exceeds half the kernel"));
        cases.add(new Case("pool without kernel", m -> m.attrs("pool1").remove("kernel"), "attribute kernel",
                "(missing)"));
        cases.add(new Case("groups not dividing", m -> m.attrs("conv1").put("groups", 2L), "\"conv1\"",
                "groups 2 must divide"));
        cases.add(new Case("timesteps zero", m -> m.attrs("encode").put("timesteps", 0L), "\"encode\"",
                "attribute timesteps 0", "integer in 1..65536"));
        cases.add(new Case("timesteps fraction", m -> m.attrs("encode").put("timesteps", 1.5), "timesteps 1.5"));
        cases.add(new Case("timesteps over limit", m -> m.attrs("encode").put("timesteps", 65537L),
                "timesteps 65537"));
        cases.add(new Case("levels zero", m -> m.attrs("q1").put("levels", 0L), "\"q1\"", "attribute levels 0",
                "finite number > 0"));
        cases.add(new Case("levels negative", m -> m.attrs("q1").put("levels", -2.0), "attribute levels -2.0"));
        cases.add(new Case("levels string", m -> m.attrs("q1").put("levels", "4"), "attribute levels \"4\""));
        cases.add(new Case("levels missing", m -> m.attrs("q1").remove("levels"), "attribute levels (missing)"));
        cases.add(new Case("unknown attribute", m -> m.attrs("fc").put("bias", true), "\"fc\"",
                "unknown attribute \"bias\""));
        cases.add(new Case("unknown param role", m -> m.node("drop").put("params", Map.of("mask", "fc.bias")),
                "unknown parameter role \"mask\""));
        cases.add(new Case("bad flatten order", m -> m.attrs("flat").put("order", "cwh"), "attribute order \"cwh\""));
        cases.add(new Case("unknown node field", m -> m.node("fc").put("weights", "x"),
                "graph.nodes[7] has the unknown field \"weights\""));
        cases.add(new Case("null attribute", m -> m.attrs("fc").put("x", null), "graph.nodes[7].attrs.x",
                "must not be null"));
        cases.add(new Case("output missing", m -> m.graph.put("output", "softmax"),
                "graph output \"softmax\" is not a node"));
        cases.add(new Case("output wrong shape", m -> m.input().put("classes", 4L), "graph output \"fc\"",
                "shape [3]", "classes is 4"));
        cases.add(new Case("classes zero", m -> m.input().put("classes", 0L), "graph.input.classes",
                "integer in 1.."));
        cases.add(new Case("input shape rank", m -> m.input().put("shape", List.of(8L, 8L)), "graph.input.shape",
                "3 integers"));
        cases.add(new Case("scale zero", m -> m.input().put("scale", 0.0), "graph.input.scale",
                "finite number > 0"));
        cases.add(new Case("std length", m -> m.input().put("std", List.of(1.0, 1.0)), "graph.input.std",
                "list of 1 finite numbers"));
        cases.add(new Case("std zero", m -> m.input().put("std", List.of(0.0)), "std 0.0", "> 0"));
        cases.add(new Case("expansion not on input", m -> {
            m.node("drop").put("op", "input_expansion");
            m.attrs("drop").putAll(Map.of("timesteps", 2L, "levels", 4L, "offsets", List.of(0L)));
        }, "\"drop\"", "must read the graph input"));
        cases.add(new Case("expansion offset two", m -> {
            m.node("encode").put("op", "input_expansion");
            m.attrs("encode").put("offsets", List.of(0L, 2L));
        }, "\"encode\"", "offsets [0, 2]", "{-1, 0, 1}"));
        cases.add(new Case("param dtype", m -> m.tensors.put("fc.bias", Safetensors.Entry.ofInts(new int[3], 3)),
                "tensor \"fc.bias\"", "must be F32, got I32"));
        cases.add(new Case("NaN weight", m -> m.setFloats("conv1.weight", withValue(18, 5, Float.NaN), 2, 1, 3, 3),
                "tensor \"conv1.weight\"", "non-finite value NaN at index 5"));
        cases.add(new Case("infinite bias", m -> m.setFloats("fc.bias", withValue(3, 2, Float.NEGATIVE_INFINITY), 3),
                "tensor \"fc.bias\"", "-Infinity at index 2"));
        cases.add(new Case("negative variance", m -> m.setFloats("bn1.running_var", withValue(2, 1, -1f), 2),
                "tensor \"bn1.running_var\"", "negative variance"));
        cases.add(new Case("unused tensor", m -> m.tensors.put("extra", Safetensors.Entry.ofFloats(new float[1], 1)),
                "tensor \"extra\" is not used"));
        return run(cases);
    }

    @TestFactory
    Stream<DynamicTest> metadataAndSampleRules() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("format missing", m -> m.metadata.remove("format"), "__metadata__.format is missing",
                "not a ratesim model file"));
        cases.add(new Case("format version", m -> m.metadata.put("format_version", "2"),
                "format_version is \"2\", expected \"1\""));
        cases.add(new Case("graph missing", m -> {
            m.metadata.remove("graph");
            m.graph.clear();
        }, "__metadata__.graph is missing"));
        cases.add(new Case("labels only", m -> m.tensors.remove("samples.images"), "samples.images",
                "both present or both absent"));
        cases.add(new Case("label out of range", m -> m.tensors.put("samples.labels",
                Safetensors.Entry.ofBytes(new byte[] {0, 3}, 2)), "samples.labels[1] = 3", "outside 0..2"));
        cases.add(new Case("labels wrong dtype", m -> m.tensors.put("samples.labels",
                Safetensors.Entry.ofShorts(new short[2], 2)), "samples.labels must be U8 or I32, got I16"));
        cases.add(new Case("labels count", m -> m.tensors.put("samples.labels",
                Safetensors.Entry.ofBytes(new byte[3], 3)), "samples.labels has shape [3], expected [2]"));
        cases.add(new Case("images shape", m -> m.tensors.put("samples.images",
                Safetensors.Entry.ofBytes(new byte[2 * 49], 2, 1, 7, 7)), "samples.images is U8[2, 1, 7, 7]",
                "expected U8[N, 1, 8, 8]"));
        return run(cases);
    }

    @TestFactory
    Stream<DynamicTest> snnRules() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("shift too large", m -> m.layer("conv1").put("shift", 31L), "snn.layers[0].shift",
                "integer in 0..30"));
        cases.add(new Case("shift negative", m -> m.layer("fc").put("shift", -1L), "snn.readout.shift"));
        cases.add(new Case("timesteps zero", m -> m.snn.put("timesteps", 0L), "snn.timesteps", "1..65536"));
        cases.add(new Case("unknown neuron", m -> m.layer("conv1").put("neuron", "lif"), "snn.layers[0].neuron",
                "\"lif\" must be asg, if or if_ctt"));
        cases.add(new Case("hidden accumulate", m -> m.layer("conv1").put("neuron", "accumulate"),
                "snn.layers[0].neuron"));
        cases.add(new Case("readout spiking", m -> m.layer("fc").put("neuron", "asg"), "snn.readout.neuron",
                "accumulate"));
        cases.add(new Case("unknown reset", m -> m.layer("pool1").put("reset", "hold"), "snn.layers[1].reset",
                "subtract or zero"));
        cases.add(new Case("threshold zero", m -> m.tensors.put("snn.conv1.threshold",
                Safetensors.Entry.ofInts(new int[] {5, 0}, 2)), "snn.layers[0].threshold", "value 0 at channel 1",
                "> 0"));
        cases.add(new Case("bias reused as threshold", m -> {
            m.tensors.put("snn.conv1.bias", Safetensors.Entry.ofInts(new int[] {0, 0}, 2));
            m.layer("conv1").put("threshold", "snn.conv1.bias");
            m.tensors.remove("snn.conv1.threshold");
        }, "snn.layers[0].threshold", "value 0 at channel 0"));
        cases.add(new Case("shared threshold checked once", m -> {
            m.tensors.put("snn.conv1.threshold", Safetensors.Entry.ofInts(new int[] {7, 0}, 2));
            m.layer("pool1").put("threshold", "snn.conv1.threshold");
            m.tensors.remove("snn.pool1.threshold");
        }, "snn.layers[0].threshold", "value 0 at channel 1"));
        cases.add(new Case("threshold missing", m -> m.layer("conv1").remove("threshold"),
                "snn.layers[0].threshold is missing"));
        cases.add(new Case("readout threshold", m -> m.layer("fc").put("threshold", "snn.conv1.threshold"),
                "snn.readout.threshold is not allowed"));
        cases.add(new Case("weights length", m -> m.tensors.put("snn.fc.weight",
                Safetensors.Entry.ofShorts(new short[17 * 3], 17, 3)), "snn.readout.weight",
                "I16[17, 3], expected I16[18, 3]"));
        cases.add(new Case("weights dtype", m -> m.tensors.put("snn.conv1.weight",
                Safetensors.Entry.ofInts(new int[18], 1, 3, 3, 2)), "snn.layers[0].weight", "is I32",
                "expected I16"));
        cases.add(new Case("bias dtype", m -> m.tensors.put("snn.conv1.bias",
                Safetensors.Entry.ofShorts(new short[2], 2)), "snn.layers[0].bias", "expected I32[2]"));
        cases.add(new Case("missing snn tensor", m -> m.tensors.remove("snn.conv1.bias"),
                "tensor \"snn.conv1.bias\", which the file does not contain"));
        cases.add(new Case("output shape", m -> m.layer("conv1").put("output_shape", List.of(2L, 7L, 7L)),
                "snn.layers[0].output_shape", "expected size 6"));
        cases.add(new Case("chain mismatch", m -> m.layer("pool1").put("input_shape", List.of(2L, 6L, 5L)),
                "snn.layers[1].input_shape", "differs from the previous output [2, 6, 6]"));
        cases.add(new Case("readout inputs", m -> m.layer("fc").put("input_shape", List.of(2L, 3L, 4L)),
                "snn.readout.input_shape", "24 neurons"));
        cases.add(new Case("readout classes", m -> {
            m.layer("fc").put("output_shape", List.of(4L, 1L, 1L));
            m.tensors.put("snn.fc.weight", Safetensors.Entry.ofShorts(new short[18 * 4], 18, 4));
            m.tensors.put("snn.fc.bias", Safetensors.Entry.ofInts(new int[4], 4));
        }, "snn.readout.output_shape", "[4, 1, 1] must be [3, 1, 1]"));
        cases.add(new Case("encoder shape", m -> m.encoder().put("shape", List.of(1L, 8L, 9L)),
                "snn.encoder.shape", "differs from graph input.shape [1, 8, 8]"));
        cases.add(new Case("vr offsets", m -> m.encoder().put("offsets", List.of(0L, 1L)), "snn.encoder.offsets",
                "must be [0] for the vr encoder"));
        cases.add(new Case("encoder type", m -> m.encoder().put("type", "poisson"), "snn.encoder.type",
                "vr, ice or analog"));
        cases.add(new Case("encoder levels", m -> m.encoder().put("levels", 0L), "snn.encoder.levels",
                "finite number > 0"));
        cases.add(new Case("overflow bound too large", m -> m.snn.put("overflow_bound", 2147483648L),
                "snn.overflow_bound", "0..2147483647"));
        cases.add(new Case("overflow bound below bias", m -> m.snn.put("overflow_bound", 249L),
                "snn.overflow_bound", "below the largest |bias| 250"));
        cases.add(new Case("pool padding over half", m -> m.layer("pool1").put("padding", List.of(0L, 0L, 2L, 2L)),
                "snn.layers[1].padding", "exceeds half the kernel [2, 2]"));
        cases.add(new Case("pool with weights", m -> m.layer("pool1").put("weight", "snn.conv1.weight"),
                "snn.layers[1].weight is not allowed for avg_pool2d"));
        cases.add(new Case("pool without weight value", m -> m.layer("pool1").remove("weight_value"),
                "snn.layers[1].weight_value is missing"));
        cases.add(new Case("unknown layer field", m -> m.layer("conv1").put("delay", 1L),
                "snn.layers[0] has the unknown field \"delay\""));
        cases.add(new Case("snn not JSON", m -> m.metadata.put("snn", "{\"timesteps\": 2,"),
                "__metadata__.snn is not valid JSON"));
        return run(cases, true);
    }

    @Test
    void totalNeuronLimitCoversGraphAndSnn() {
        // The graph's node outputs sum to 337 values: 64 + 3 × 72 + 3 × 18 + 3.
        byte[] valid = EditableModel.valid().bytes();
        String graph = assertThrows(InvalidModelException.class, () -> ModelReader.read(valid, "m",
                ReaderLimits.DEFAULTS.withMaxTotalNeurons(336))).getMessage();
        assertTrue(graph.contains("node \"fc\" (linear) produce 337 values"), graph);
        ModelReader.read(valid, "m", ReaderLimits.DEFAULTS.withMaxTotalNeurons(337));

        // Ten identity max pools of 72 neurons each bring the spiking layers to 93 + 720 = 813 neurons.
        EditableModel model = EditableModel.valid();
        @SuppressWarnings("unchecked")
        List<Object> layers = (List<Object>) model.snn.get("layers");
        for (int i = 0; i < 10; i++) {
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("name", "identity" + i);
            pool.put("type", "max_pool2d");
            pool.put("input_shape", List.of(2L, 6L, 6L));
            pool.put("output_shape", List.of(2L, 6L, 6L));
            pool.put("kernel", List.of(1L, 1L));
            pool.put("neuron", "if");
            pool.put("reset", "subtract");
            pool.put("shift", 0L);
            layers.add(1, pool);
        }
        byte[] deep = model.bytes();
        ModelReader.read(deep, "m", ReaderLimits.DEFAULTS.withMaxTotalNeurons(813));
        String snn = assertThrows(InvalidModelException.class, () -> ModelReader.read(deep, "m",
                ReaderLimits.DEFAULTS.withMaxTotalNeurons(812))).getMessage();
        assertTrue(snn.contains("snn.readout.output_shape brings the layers to 813 neurons"), snn);
    }

    @Test
    void metadataIsNotJson() {
        EditableModel model = EditableModel.valid();
        Map<String, String> metadata = new LinkedHashMap<>(model.metadata);
        metadata.put("graph", "{\"input\": ");
        byte[] file = Safetensors.write(model.tensors, metadata);
        assertRejected(file, "__metadata__.graph is not valid JSON");
    }

    private static float[] withValue(int length, int index, float value) {
        float[] values = new float[length];
        java.util.Arrays.fill(values, 0.5f);
        values[index] = value;
        return values;
    }

    private static Stream<DynamicTest> run(List<Case> cases) {
        return run(cases, false);
    }

    /** Builds one test per case; {@code rawSnn} keeps the edited metadata's snn string instead of re-encoding. */
    private static Stream<DynamicTest> run(List<Case> cases, boolean rawSnn) {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            EditableModel model = EditableModel.valid();
            String snnBefore = model.metadata.get("snn");
            c.edit().accept(model);
            byte[] file;
            if (rawSnn && !snnBefore.equals(model.metadata.get("snn"))) {
                Map<String, String> metadata = new LinkedHashMap<>(model.metadata);
                metadata.put("graph", Json.write(model.graph));
                file = Safetensors.write(model.tensors, metadata);
            } else if (model.graph.isEmpty()) {
                Map<String, String> metadata = new LinkedHashMap<>(model.metadata);
                metadata.put("snn", Json.write(model.snn));
                file = Safetensors.write(model.tensors, metadata);
            } else {
                file = model.bytes();
            }
            assertRejected(file, c.fragments());
        }));
    }

    static void assertRejected(byte[] file, String... fragments) {
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> ModelReader.read(file, "model.safetensors", ReaderLimits.DEFAULTS));
        String message = e.getMessage();
        assertTrue(message.startsWith("model.safetensors: "), message);
        assertFalse(message.contains("\n"), "message must be one line: " + message);
        assertTrue(message.length() < 500, "message must stay short: " + message.length() + " chars");
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "expected \"" + fragment + "\" in: " + message);
        }
    }
}
