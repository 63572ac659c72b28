package org.ratesim.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Node;
import org.ratesim.model.Op;

/**
 * Maps the {@code graph} metadata document (format.md section 2) to a {@link Graph} and back.
 *
 * <p>Reading checks the JSON structure and types; {@link org.ratesim.model.GraphValidator} checks the meaning.
 */
final class GraphJson {

    private static final Set<String> GRAPH_KEYS = Set.of("input", "nodes", "output");
    private static final Set<String> INPUT_KEYS = Set.of("name", "shape", "scale", "mean", "std", "classes");
    private static final Set<String> NODE_KEYS = Set.of("name", "op", "inputs", "attrs", "params");

    private GraphJson() {
    }

    static Graph read(Object document, String file, ReaderLimits limits) {
        JsonObject graph = new JsonObject(document, "graph", file);
        graph.allowOnly(GRAPH_KEYS);
        InputSpec input = readInput(graph.object("input"), limits);
        List<?> nodeValues = graph.list("nodes", limits.maxNodes());
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < nodeValues.size(); i++) {
            nodes.add(readNode(new JsonObject(nodeValues.get(i), "graph.nodes[" + i + "]", file)));
        }
        return new Graph(input, nodes, graph.string("output"));
    }

    private static InputSpec readInput(JsonObject input, ReaderLimits limits) {
        input.allowOnly(INPUT_KEYS);
        String name = input.string("name");
        // Sizes are bounded here, before the per-channel mean and std arrays are allocated.
        int[] shape = input.ints("shape", 3, 1, org.ratesim.model.GraphValidator.MAX_DIMENSION);
        double scale = input.number("scale", 0, InputSpec.DEFAULT_SCALE);
        double[] mean = input.has("mean") ? input.numbers("mean", shape[0]) : new double[shape[0]];
        double[] std = new double[shape[0]];
        Arrays.fill(std, 1.0);
        if (input.has("std")) {
            std = input.numbers("std", shape[0]);
        }
        int classes = (int) input.integer("classes", 1, limits.maxNeurons());
        return new InputSpec(name, shape, scale, mean, std, classes);
    }

    private static Node readNode(JsonObject node) {
        node.allowOnly(NODE_KEYS);
        String name = node.string("name");
        String opId = node.string("op");
        Op op = Op.fromId(opId);
        if (op == null) {
            throw node.error("op", "\"" + Json.abbreviate(opId) + "\" is not a supported operator; expected one of "
                    + Arrays.stream(Op.values()).map(Op::id).reduce((a, b) -> a + ", " + b).orElse(""));
        }
        List<String> inputs = node.strings("inputs", 16);
        Map<String, Object> attrs = new LinkedHashMap<>();
        if (node.has("attrs")) {
            JsonObject attrObject = node.object("attrs");
            for (Map.Entry<?, ?> attr : attrObject.map().entrySet()) {
                if (attr.getValue() == null) {
                    throw attrObject.error((String) attr.getKey(), "must not be null");
                }
                attrs.put((String) attr.getKey(), attr.getValue());
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (node.has("params")) {
            JsonObject paramObject = node.object("params");
            for (Map.Entry<?, ?> param : paramObject.map().entrySet()) {
                if (!(param.getValue() instanceof String)) {
                    throw paramObject.error((String) param.getKey(), "must be a tensor name (a string), got "
                            + JsonObject.describe(param.getValue()));
                }
                params.put((String) param.getKey(), (String) param.getValue());
            }
        }
        return new Node(name, op, inputs, attrs, params);
    }

    static Map<String, Object> write(Graph graph) {
        InputSpec spec = graph.input();
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("name", spec.name());
        input.put("shape", longs(spec.shape()));
        input.put("scale", spec.scale());
        double[] mean = spec.mean();
        double[] std = spec.std();
        if (Arrays.stream(mean).anyMatch(value -> value != 0.0)) {
            input.put("mean", doubles(mean));
        }
        if (Arrays.stream(std).anyMatch(value -> value != 1.0)) {
            input.put("std", doubles(std));
        }
        input.put("classes", (long) spec.classes());

        List<Object> nodes = new ArrayList<>();
        for (Node node : graph.nodes()) {
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("name", node.name());
            object.put("op", node.op().id());
            object.put("inputs", new ArrayList<Object>(node.inputs()));
            if (!node.attrs().isEmpty()) {
                object.put("attrs", new java.util.TreeMap<String, Object>(node.attrs()));
            }
            if (!node.params().isEmpty()) {
                object.put("params", new java.util.TreeMap<String, Object>(node.params()));
            }
            nodes.add(object);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("input", input);
        document.put("nodes", nodes);
        document.put("output", graph.output());
        return document;
    }

    static List<Object> longs(int[] values) {
        List<Object> list = new ArrayList<>();
        for (int value : values) {
            list.add((long) value);
        }
        return list;
    }

    private static List<Object> doubles(double[] values) {
        List<Object> list = new ArrayList<>();
        for (double value : values) {
            list.add(value);
        }
        return list;
    }
}
