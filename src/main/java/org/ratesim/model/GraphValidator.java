package org.ratesim.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ratesim.io.InvalidModelException;
import org.ratesim.io.ReaderLimits;
import org.ratesim.tensor.Tensor;

/**
 * Checks an ANN graph against the model format: names, topological order, operator attributes, parameter roles,
 * shapes and parameter values.
 *
 * <p>Each failure is an {@link InvalidModelException} naming the node or tensor and the constraint; the model
 * reader prefixes the file name.
 */
public final class GraphValidator {

    /** Maximum length of a node name, in chars. */
    public static final int MAX_NAME_CHARS = 128;

    /** Maximum dimension of the input image, kernel, stride, padding or dilation. */
    public static final int MAX_DIMENSION = 1 << 16;

    /** Maximum number of ICE offset groups. */
    public static final int MAX_OFFSET_GROUPS = 64;

    private static final Map<Op, Set<String>> ATTRS = new HashMap<>();
    private static final Map<Op, Set<String>> REQUIRED_PARAMS = new HashMap<>();
    private static final Map<Op, Set<String>> OPTIONAL_PARAMS = new HashMap<>();

    static {
        ATTRS.put(Op.CONV2D, Set.of("stride", "padding", "dilation", "groups"));
        ATTRS.put(Op.LINEAR, Set.of());
        ATTRS.put(Op.BATCH_NORM, Set.of("eps"));
        ATTRS.put(Op.RELU, Set.of());
        ATTRS.put(Op.CLAMP_FLOOR, Set.of("timesteps", "levels"));
        ATTRS.put(Op.INPUT_EXPANSION, Set.of("timesteps", "levels", "offsets"));
        ATTRS.put(Op.AVG_POOL2D, Set.of("kernel", "stride", "padding"));
        ATTRS.put(Op.MAX_POOL2D, Set.of("kernel", "stride", "padding"));
        ATTRS.put(Op.FLATTEN, Set.of("order"));
        ATTRS.put(Op.DROPOUT, Set.of());
        for (Op op : Op.values()) {
            REQUIRED_PARAMS.put(op, Set.of());
            OPTIONAL_PARAMS.put(op, Set.of());
        }
        REQUIRED_PARAMS.put(Op.CONV2D, Set.of("weight"));
        OPTIONAL_PARAMS.put(Op.CONV2D, Set.of("bias"));
        REQUIRED_PARAMS.put(Op.LINEAR, Set.of("weight"));
        OPTIONAL_PARAMS.put(Op.LINEAR, Set.of("bias"));
        REQUIRED_PARAMS.put(Op.BATCH_NORM, Set.of("weight", "bias", "running_mean", "running_var"));
    }

    private GraphValidator() {
    }

    /**
     * Validates a model: the graph, that every parameter tensor exists, is F32, has the shape its node needs and
     * holds only finite values (batch-norm variances also non-negative), and the embedded samples.
     *
     * @return the shape of the input and of every node, by name
     */
    public static Map<String, int[]> validate(Model model, ReaderLimits limits) {
        Map<String, int[]> paramShapes = new LinkedHashMap<>();
        for (Node node : model.graph().nodes()) {
            for (Map.Entry<String, String> param : node.params().entrySet()) {
                Tensor tensor = model.params().get(param.getValue());
                if (tensor == null) {
                    throw new InvalidModelException(ShapeInference.where(node) + ": parameter "
                            + abbreviate(param.getKey()) + " names tensor \"" + abbreviate(param.getValue())
                            + "\", which the file does not contain");
                }
                if (tensor.dtype() != Tensor.DType.F32) {
                    throw new InvalidModelException("tensor \"" + abbreviate(param.getValue()) + "\" ("
                            + abbreviate(param.getKey()) + " of node \"" + abbreviate(node.name())
                            + "\") must be F32, got " + tensor.dtype());
                }
                paramShapes.put(param.getValue(), tensor.shape());
            }
        }
        Map<String, int[]> shapes = validate(model.graph(), paramShapes, limits);

        // Each tensor is scanned once even when many nodes share it, so sharing cannot multiply the work.
        Set<String> variances = new HashSet<>();
        for (Node node : model.graph().nodes()) {
            if (node.op() == Op.BATCH_NORM) {
                variances.add(node.params().get("running_var"));
            }
        }
        for (String tensor : paramShapes.keySet()) {
            checkValues(tensor, model.params().get(tensor).floats(), variances.contains(tensor));
        }
        if (model.samples() != null) {
            checkSamples(model.samples(), model.graph().input());
        }
        return shapes;
    }

    /**
     * Validates a graph given the shapes of its parameter tensors: input spec, node names and order, operators'
     * attributes and parameter roles, shapes, the neuron limit and the output shape.
     *
     * @return the shape of the input and of every node, by name
     */
    public static Map<String, int[]> validate(Graph graph, Map<String, int[]> paramShapes, ReaderLimits limits) {
        checkInput(graph.input(), limits);
        if (graph.nodes().size() > limits.maxNodes()) {
            throw new InvalidModelException("graph has " + graph.nodes().size() + " nodes, more than the limit of "
                    + limits.maxNodes() + " (ReaderLimits.maxNodes)");
        }
        Set<String> defined = new HashSet<>();
        defined.add(graph.input().name());
        Set<String> allNames = new HashSet<>();
        for (Node node : graph.nodes()) {
            allNames.add(node.name());
        }
        for (Node node : graph.nodes()) {
            checkName(node, graph.input().name(), defined);
            checkInputs(node, graph.input().name(), defined, allNames);
            checkAttrs(node, limits);
            checkParamRoles(node);
            defined.add(node.name());
        }
        if (graph.node(graph.output()) == null) {
            throw new InvalidModelException("graph output \"" + abbreviate(graph.output())
                    + "\" is not a node of the graph");
        }

        Map<String, int[]> shapes = ShapeInference.infer(graph, paramShapes);
        long totalNeurons = 0;
        for (Node node : graph.nodes()) {
            long neurons = 1;
            for (int dim : shapes.get(node.name())) {
                neurons *= dim; // at most 3 factors below 2^31 each after ShapeInference's checks: no overflow
                if (neurons > limits.maxNeurons()) {
                    throw new InvalidModelException(ShapeInference.where(node) + ": output shape "
                            + Arrays.toString(shapes.get(node.name())) + " has more than " + limits.maxNeurons()
                            + " values (ReaderLimits.maxNeurons)");
                }
            }
            totalNeurons += neurons; // at most maxNodes × 2^31, far below 2^63
            if (totalNeurons > limits.maxTotalNeurons()) {
                throw new InvalidModelException("graph nodes up to " + ShapeInference.where(node) + " produce "
                        + totalNeurons + " values, more than the limit of " + limits.maxTotalNeurons()
                        + " (ReaderLimits.maxTotalNeurons)");
            }
        }
        int classes = graph.input().classes();
        int[] output = shapes.get(graph.output());
        boolean vector = output.length == 1 && output[0] == classes;
        boolean map = output.length == 3 && output[0] == classes && output[1] == 1 && output[2] == 1;
        if (!vector && !map) {
            throw new InvalidModelException("graph output \"" + graph.output() + "\" has shape "
                    + Arrays.toString(output) + " but input.classes is " + classes + "; expected [" + classes
                    + "] or [" + classes + ", 1, 1]");
        }
        return shapes;
    }

    private static void checkInput(InputSpec input, ReaderLimits limits) {
        if (input.name() == null || input.name().isEmpty() || input.name().length() > MAX_NAME_CHARS) {
            throw new InvalidModelException("input.name must have 1 to " + MAX_NAME_CHARS + " chars");
        }
        int[] shape = input.shape();
        if (shape.length != 3) {
            throw new InvalidModelException("input.shape " + Arrays.toString(shape) + " must be [C, H, W]");
        }
        long pixels = 1;
        for (int dim : shape) {
            if (dim < 1 || dim > MAX_DIMENSION) {
                throw new InvalidModelException("input.shape " + Arrays.toString(shape) + " must have sizes in 1.."
                        + MAX_DIMENSION);
            }
            pixels *= dim;
        }
        if (pixels > limits.maxNeurons()) {
            throw new InvalidModelException("input.shape " + Arrays.toString(shape) + " has more than "
                    + limits.maxNeurons() + " values (ReaderLimits.maxNeurons)");
        }

        if (input.classes() < 1 || input.classes() > limits.maxNeurons()) {
            throw new InvalidModelException("input.classes " + input.classes() + " must be in 1.."
                    + limits.maxNeurons());
        }
        if (!(input.scale() > 0) || !Double.isFinite(input.scale())) {
            throw new InvalidModelException("input.scale " + input.scale() + " must be a finite number > 0");
        }

        double[] mean = input.mean();
        double[] std = input.std();
        if (mean.length != shape[0] || std.length != shape[0]) {
            throw new InvalidModelException("input.mean and input.std must have " + shape[0]
                    + " values (one per channel), got " + mean.length + " and " + std.length);
        }
        for (int c = 0; c < shape[0]; c++) {
            if (!Double.isFinite(mean[c]) || !(std[c] > 0) || !Double.isFinite(std[c])) {
                throw new InvalidModelException("input channel " + c + ": mean " + mean[c] + " must be finite and std "
                        + std[c] + " finite and > 0");
            }
        }
    }

    private static void checkName(Node node, String inputName, Set<String> defined) {
        String name = node.name();
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_CHARS) {
            throw new InvalidModelException("node name \"" + abbreviate(name) + "\" must have 1 to " + MAX_NAME_CHARS
                    + " chars");
        }
        if (name.equals(inputName)) {
            throw new InvalidModelException("node name \"" + name + "\" repeats input.name; rename the node");
        }
        if (defined.contains(name)) {
            throw new InvalidModelException("node name \"" + name + "\" is used by two nodes; names must be unique");
        }
    }

    private static void checkInputs(Node node, String inputName, Set<String> defined, Set<String> allNames) {
        if (node.inputs().size() != 1) {
            throw new InvalidModelException(ShapeInference.where(node) + ": has " + node.inputs().size()
                    + " inputs, expected 1");
        }
        String input = node.input();
        if (input.equals(node.name())) {
            throw new InvalidModelException(ShapeInference.where(node) + ": reads its own output, a cycle");
        }
        if (!defined.contains(input)) {
            String problem = allNames.contains(input)
                    ? "is defined later, so the nodes are not in topological order or form a cycle"
                    : "is neither input.name nor a node";
            throw new InvalidModelException(ShapeInference.where(node) + ": input \"" + abbreviate(input) + "\" "
                    + problem);
        }
        if (node.op() == Op.INPUT_EXPANSION && !input.equals(inputName)) {
            throw new InvalidModelException(ShapeInference.where(node) + ": must read the graph input \""
                    + abbreviate(inputName) + "\", not \"" + abbreviate(input) + "\"");
        }
    }

    private static void checkParamRoles(Node node) {
        for (String role : node.params().keySet()) {
            if (!REQUIRED_PARAMS.get(node.op()).contains(role) && !OPTIONAL_PARAMS.get(node.op()).contains(role)) {
                throw new InvalidModelException(ShapeInference.where(node) + ": unknown parameter role \"" + role
                        + "\"; allowed: " + allowed(REQUIRED_PARAMS.get(node.op()), OPTIONAL_PARAMS.get(node.op())));
            }
        }
        for (String role : REQUIRED_PARAMS.get(node.op())) {
            if (!node.params().containsKey(role)) {
                throw new InvalidModelException(ShapeInference.where(node) + ": parameter " + role + " is missing");
            }
        }
    }

    private static String allowed(Set<String> required, Set<String> optional) {
        Set<String> all = new java.util.TreeSet<>(required);
        all.addAll(optional);
        return all.isEmpty() ? "none" : String.join(", ", all);
    }

    private static void checkAttrs(Node node, ReaderLimits limits) {
        Map<String, Object> attrs = node.attrs();
        for (String key : attrs.keySet()) {
            if (!ATTRS.get(node.op()).contains(key)) {
                throw new InvalidModelException(ShapeInference.where(node) + ": unknown attribute \"" + key
                        + "\"; allowed: " + allowed(ATTRS.get(node.op()), Set.of()));
            }
        }
        switch (node.op()) {
            case CONV2D:
                checkInts(node, "stride", 2, 1, MAX_DIMENSION, false);
                checkInts(node, "padding", 4, 0, MAX_DIMENSION, false);
                checkInts(node, "dilation", 2, 1, MAX_DIMENSION, false);
                checkInteger(node, "groups", 1, MAX_DIMENSION, false);
                break;
            case BATCH_NORM:
                checkNumber(node, "eps", false);
                break;
            case CLAMP_FLOOR:
                checkInteger(node, "timesteps", 1, limits.maxTimesteps(), true);
                checkNumber(node, "levels", true);
                break;
            case INPUT_EXPANSION:
                checkInteger(node, "timesteps", 1, limits.maxTimesteps(), true);
                checkNumber(node, "levels", true);
                checkOffsets(node);
                break;
            case AVG_POOL2D:
            case MAX_POOL2D:
                checkPool(node);
                break;
            case FLATTEN:
                Object order = attrs.get("order");
                if (order != null && !"chw".equals(order) && !"hwc".equals(order)) {
                    throw new InvalidModelException(ShapeInference.where(node) + ": attribute order " + quote(order)
                            + " must be \"chw\" or \"hwc\"");
                }
                break;
            default:
                break;
        }
    }

    private static void checkPool(Node node) {
        checkInts(node, "kernel", 2, 1, MAX_DIMENSION, true);
        checkInts(node, "stride", 2, 1, MAX_DIMENSION, false);
        checkInts(node, "padding", 4, 0, MAX_DIMENSION, false);
        int[] kernel = node.intsAttr("kernel", new int[0]);
        int[] padding = node.intsAttr("padding", new int[4]);
        for (int i = 0; i < 4; i++) {
            int half = kernel[i / 2] / 2;
            if (padding[i] > half) {
                throw new InvalidModelException(ShapeInference.where(node) + ": padding " + Arrays.toString(padding)
                        + " exceeds half the kernel " + Arrays.toString(kernel) + " (at most " + half + ")");
            }
        }
    }

    private static void checkOffsets(Node node) {
        Object value = node.attrs().get("offsets");
        if (!(value instanceof List) || ((List<?>) value).isEmpty()
                || ((List<?>) value).size() > MAX_OFFSET_GROUPS) {
            throw new InvalidModelException(ShapeInference.where(node) + ": attribute offsets " + quote(value)
                    + " must be a list of 1 to " + MAX_OFFSET_GROUPS + " integers in {-1, 0, 1}");
        }
        int minOffset = 0;
        for (Object element : (List<?>) value) {
            if (!isInteger(element) || Math.abs(((Number) element).longValue()) > 1) {
                throw new InvalidModelException(ShapeInference.where(node) + ": attribute offsets " + quote(value)
                        + " must contain only integers in {-1, 0, 1}");
            }
            minOffset = Math.min(minOffset, ((Number) element).intValue());
        }
        double levels = node.doubleAttr("levels", 1);
        if (levels + minOffset < 0) {
            throw new InvalidModelException(ShapeInference.where(node) + ": levels " + levels + " plus offset "
                    + minOffset + " is negative; use levels >= " + (-minOffset));
        }
    }

    private static void checkInteger(Node node, String key, long min, long max, boolean required) {
        Object value = node.attrs().get(key);
        if (value == null && !required) {
            return;
        }
        if (!isInteger(value) || ((Number) value).longValue() < min || ((Number) value).longValue() > max) {
            throw new InvalidModelException(ShapeInference.where(node) + ": attribute " + key + " " + quote(value)
                    + " must be an integer in " + min + ".." + max);
        }
    }

    private static void checkNumber(Node node, String key, boolean required) {
        Object value = node.attrs().get(key);
        if (value == null && !required) {
            return;
        }
        if (!(value instanceof Number) || !(((Number) value).doubleValue() > 0)
                || !Double.isFinite(((Number) value).doubleValue())) {
            throw new InvalidModelException(ShapeInference.where(node) + ": attribute " + key + " " + quote(value)
                    + " must be a finite number > 0");
        }
    }

    private static void checkInts(Node node, String key, int length, long min, long max, boolean required) {
        Object value = node.attrs().get(key);
        if (value == null && !required) {
            return;
        }
        boolean valid = value instanceof List && ((List<?>) value).size() == length;
        if (valid) {
            for (Object element : (List<?>) value) {
                valid &= isInteger(element) && ((Number) element).longValue() >= min
                        && ((Number) element).longValue() <= max;
            }
        }
        if (!valid) {
            throw new InvalidModelException(ShapeInference.where(node) + ": attribute " + key + " " + quote(value)
                    + " must be a list of " + length + " integers in " + min + ".." + max);
        }
    }

    private static boolean isInteger(Object value) {
        return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
    }

    private static String quote(Object value) {
        if (value == null) {
            return "(missing)";
        }
        return org.ratesim.io.Json.preview(value);
    }

    private static String abbreviate(String text) {
        return org.ratesim.io.Json.abbreviate(text);
    }

    private static void checkValues(String tensor, float[] values, boolean variance) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new InvalidModelException("tensor \"" + abbreviate(tensor) + "\" has the non-finite value "
                        + values[i] + " at index " + i + "; parameters must be finite");
            }
            if (variance && values[i] < 0) {
                throw new InvalidModelException("tensor \"" + abbreviate(tensor) + "\" has the negative variance "
                        + values[i] + " at index " + i);
            }
        }
    }

    private static void checkSamples(Dataset samples, InputSpec input) {
        if (!Arrays.equals(samples.shape(), input.shape())) {
            throw new InvalidModelException("samples have image shape " + Arrays.toString(samples.shape())
                    + " but input.shape is " + Arrays.toString(input.shape()));
        }
        int[] labels = samples.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= input.classes()) {
                throw new InvalidModelException("samples.labels[" + i + "] = " + labels[i] + " is outside 0.."
                        + (input.classes() - 1));
            }
        }
    }
}
