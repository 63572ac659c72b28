package org.ratesim.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ratesim.io.InvalidModelException;
import org.ratesim.tensor.Ops;
import org.ratesim.tensor.Quantizer;
import org.ratesim.tensor.Tensor;

/**
 * Runs a model's float ANN on one image: the reference that every spiking result is compared with.
 *
 * <p>Nodes run in the graph's topological order, and a node may feed several later nodes. Raw bytes map to the input
 * x = (b × scale − mean[c]) / std[c], computed in double and rounded to float. Encoders are exact on bytes: a
 * {@code clamp_floor} that reads the graph input of a plain-byte model (scale 1/255, no mean or std) and every
 * {@code input_expansion} compute k = min(floor((L + offset) · b / 255), T) without rounding, through tables built
 * once in the constructor. A {@code clamp_floor} on a normalized input is applied to x like any hidden quantizer.
 *
 * <p>Conv2d sums are float32 (see {@link Ops#conv2d(Tensor, Tensor, float[], Tensor, int[], int[], int[], int)} for
 * the error bound), so a value within that error of a quantizer level may floor to the neighbouring level.
 *
 * <p>An instance is immutable after construction, so threads may share it.
 */
public final class FloatExecutor {

    /** One compiled node: its operator applied to its input activations. */
    @FunctionalInterface
    private interface Step {
        Tensor apply(Tensor[] inputs, byte[] images, int offset);
    }

    private final Model model;
    private final InputSpec input;
    private final String[] names;
    private final int[][] inputSlots;
    private final Step[] steps;
    private final int outputSlot;
    private final int[] lastUse;

    /**
     * Compiles the graph.
     *
     * @throws InvalidModelException when a node reads an unknown or later name, misses a parameter or an attribute,
     *                               or an {@code input_expansion} does not read the graph input of a plain-byte model
     */
    public FloatExecutor(Model model) {
        this.model = model;
        Graph graph = model.graph();
        this.input = graph.input();
        List<Node> nodes = graph.nodes();
        int count = nodes.size() + 1;

        // Slot 0 is the mapped input, and slot i + 1 is the output of node i.
        Map<String, Integer> slots = new HashMap<>();
        slots.put(input.name(), 0);
        names = new String[count];
        names[0] = input.name();
        inputSlots = new int[count][];
        steps = new Step[count];
        lastUse = new int[count];
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            int slot = i + 1;
            int[] reads = new int[node.inputs().size()];
            for (int j = 0; j < reads.length; j++) {
                Integer source = slots.get(node.inputs().get(j));
                if (source == null) {
                    throw new InvalidModelException("graph node \"" + node.name() + "\" reads \""
                            + node.inputs().get(j) + "\", which is not the input or an earlier node; list nodes in "
                            + "topological order");
                }
                reads[j] = source;
                lastUse[source] = slot;
            }
            if (reads.length != 1) {
                throw new InvalidModelException("graph node \"" + node.name() + "\" has " + reads.length
                        + " inputs; " + node.op().id() + " takes exactly 1");
            }
            if (slots.put(node.name(), slot) != null) {
                throw new InvalidModelException("graph node name \"" + node.name() + "\" is used twice; names must "
                        + "be unique");
            }
            names[slot] = node.name();
            inputSlots[slot] = reads;
            steps[slot] = compile(node, reads[0] == 0);
        }
        Integer output = slots.get(graph.output());
        if (output == null || output == 0) {
            throw new InvalidModelException("graph output \"" + graph.output() + "\" names no node; set it to the "
                    + "node that produces the logits");
        }
        outputSlot = output;
        lastUse[outputSlot] = count;
    }

    /** Returns the model this executor runs. */
    public Model model() {
        return model;
    }

    /** Maps one image's bytes to the float input x = (b × scale − mean[c]) / std[c], shape {@code [C, H, W]}. */
    public Tensor mapInput(byte[] images, int offset) {
        int[] shape = input.shape();
        int pixels = Tensor.size(shape);
        checkImage(images, offset, pixels);
        int plane = shape[1] * shape[2];
        double scale = input.scale();
        double[] mean = input.mean();
        double[] std = input.std();
        float[] x = new float[pixels];
        for (int c = 0; c < shape[0]; c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                x[i] = (float) (((images[offset + i] & 0xFF) * scale - mean[c]) / std[c]);
            }
        }
        return Tensor.of(x, shape);
    }

    /** Runs the graph and returns the output node's values (the logits), flattened. */
    public float[] logits(byte[] images, int offset) {
        Tensor[] values = run(images, offset, false);
        return values[outputSlot].floats().clone();
    }

    /** Runs the graph and returns the predicted class: the index of the largest logit, the lowest index on ties. */
    public int predict(byte[] images, int offset) {
        return Ops.argmax(logits(images, offset));
    }

    /**
     * Runs the graph and returns every activation by name in graph order, starting with the mapped input under the
     * input's name. Treat the tensors as read-only, because a dropout node shares its input's tensor.
     */
    public Map<String, Tensor> activations(byte[] images, int offset) {
        Tensor[] values = run(images, offset, true);
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (int slot = 0; slot < values.length; slot++) {
            result.put(names[slot], values[slot]);
        }
        return result;
    }

    private Tensor[] run(byte[] images, int offset, boolean keepAll) {
        Tensor[] values = new Tensor[names.length];
        values[0] = mapInput(images, offset);
        for (int slot = 1; slot < names.length; slot++) {
            int[] reads = inputSlots[slot];
            Tensor[] arguments = new Tensor[reads.length];
            for (int j = 0; j < reads.length; j++) {
                arguments[j] = values[reads[j]];
            }
            try {
                values[slot] = steps[slot].apply(arguments, images, offset);
            } catch (IllegalArgumentException e) {
                // Ops reject shapes that do not fit together; name the node so the model can be fixed.
                throw new InvalidModelException("graph node \"" + names[slot] + "\" failed: " + e.getMessage(), e);
            }
            if (!keepAll) {
                // Drop activations that no later node reads, so deep graphs keep few maps alive.
                for (int read : reads) {
                    if (lastUse[read] == slot) {
                        values[read] = null;
                    }
                }
            }
        }
        return values;
    }

    private Step compile(Node node, boolean readsGraphInput) {
        try {
            return compileUnchecked(node, readsGraphInput);
        } catch (ClassCastException | ArithmeticException | IndexOutOfBoundsException e) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has an invalid attribute (" + e.getMessage() + "); fix its type or length as the operator "
                    + "table of format.md gives it", e);
        }
    }

    private Step compileUnchecked(Node node, boolean readsGraphInput) {
        switch (node.op()) {
            case CONV2D: {
                Tensor weight = requireParam(node, "weight");
                Tensor bias = model.param(node, "bias");
                int[] stride = pair(node, "stride", new int[] {1, 1});
                int[] padding = quad(node, "padding");
                int[] dilation = pair(node, "dilation", new int[] {1, 1});
                int groups = Math.toIntExact(node.longAttr("groups", 1));
                float[] tapMajor;
                try {
                    tapMajor = Ops.tapMajorWeights(weight, groups);
                } catch (IllegalArgumentException e) {
                    throw new InvalidModelException("graph node \"" + node.name() + "\" failed: " + e.getMessage(), e);
                }
                return (in, images, offset) -> Ops.conv2d(in[0], weight, tapMajor, bias, stride, padding, dilation,
                        groups);
            }
            case LINEAR: {
                Tensor weight = requireParam(node, "weight");
                Tensor bias = model.param(node, "bias");
                return (in, images, offset) -> Ops.linear(in[0], weight, bias);
            }
            case BATCH_NORM: {
                Tensor gamma = requireParam(node, "weight");
                Tensor beta = requireParam(node, "bias");
                Tensor mean = requireParam(node, "running_mean");
                Tensor variance = requireParam(node, "running_var");
                double eps = node.doubleAttr("eps", 1e-5);
                return (in, images, offset) -> Ops.batchNorm(in[0], gamma, beta, mean, variance, eps);
            }
            case RELU:
                return (in, images, offset) -> Ops.relu(in[0]);
            case CLAMP_FLOOR:
                return compileClampFloor(node, readsGraphInput);
            case INPUT_EXPANSION:
                return compileInputExpansion(node, readsGraphInput);
            case AVG_POOL2D: {
                int[] kernel = requirePair(node, "kernel");
                int[] stride = pair(node, "stride", kernel);
                int[] padding = quad(node, "padding");
                return (in, images, offset) -> Ops.avgPool2d(in[0], kernel, stride, padding);
            }
            case MAX_POOL2D: {
                int[] kernel = requirePair(node, "kernel");
                int[] stride = pair(node, "stride", kernel);
                int[] padding = quad(node, "padding");
                return (in, images, offset) -> Ops.maxPool2d(in[0], kernel, stride, padding);
            }
            case FLATTEN: {
                String order = node.stringAttr("order", "chw");
                if (!"chw".equals(order) && !"hwc".equals(order)) {
                    throw new InvalidModelException("graph node \"" + node.name() + "\" has flatten order \"" + order
                            + "\"; use \"chw\" or \"hwc\"");
                }
                return (in, images, offset) -> Ops.flatten(in[0], order);
            }
            case DROPOUT:
                return (in, images, offset) -> in[0];
            default:
                throw new InvalidModelException("graph node \"" + node.name() + "\" has operator " + node.op().id()
                        + ", which the float executor does not run");
        }
    }

    private Step compileClampFloor(Node node, boolean readsGraphInput) {
        int timesteps = requireTimesteps(node);
        double levels = requireLevels(node);
        if (readsGraphInput && input.isPlainBytes()) {
            float[][] tables = {Quantizer.byteValues(timesteps, levels, 0)};
            int[] shape = input.shape();
            return (in, images, offset) -> Quantizer.expand(images, offset, shape, tables);
        }
        return (in, images, offset) -> Quantizer.clampFloor(in[0], timesteps, levels);
    }

    private Step compileInputExpansion(Node node, boolean readsGraphInput) {
        if (!readsGraphInput || !input.isPlainBytes()) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (input_expansion) must read the graph "
                    + "input \"" + input.name() + "\" with scale 1/255 and no mean or std; it encodes raw bytes");
        }
        int timesteps = requireTimesteps(node);
        double levels = requireLevels(node);
        if (!node.attrs().containsKey("offsets")) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (input_expansion) has no attribute "
                    + "\"offsets\"; give a list such as [-1, 0, 1]");
        }
        int[] offsets = node.intsAttr("offsets", new int[0]);
        if (offsets.length == 0) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (input_expansion) has empty "
                    + "\"offsets\"; give at least one of -1, 0, 1");
        }
        float[][] tables = new float[offsets.length][];
        for (int g = 0; g < offsets.length; g++) {
            if (offsets[g] < -1 || offsets[g] > 1) {
                throw new InvalidModelException("graph node \"" + node.name() + "\" has ICE offset " + offsets[g]
                        + "; each offset must be -1, 0 or 1");
            }
            tables[g] = Quantizer.byteValues(timesteps, levels, offsets[g]);
        }
        int[] shape = input.shape();
        return (in, images, offset) -> Quantizer.expand(images, offset, shape, tables);
    }

    private Tensor requireParam(Node node, String role) {
        Tensor tensor = model.param(node, role);
        if (tensor == null) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has no parameter \"" + role + "\"; add it to the node's params and the container");
        }
        return tensor;
    }

    private static int requireTimesteps(Node node) {
        if (!node.attrs().containsKey("timesteps")) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has no attribute \"timesteps\"; give an integer of at least 1");
        }
        Object value = node.attrs().get("timesteps");
        if (value instanceof Double && (double) value != Math.rint((double) value)) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" has timesteps " + value
                    + "; it must be an integer of at least 1");
        }
        long timesteps = node.longAttr("timesteps", 0);
        if (timesteps < 1 || timesteps > Integer.MAX_VALUE) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" has timesteps " + timesteps
                    + "; it must be an integer from 1 to " + Integer.MAX_VALUE);
        }
        return (int) timesteps;
    }

    private static double requireLevels(Node node) {
        double levels = node.doubleAttr("levels", Double.NaN);
        if (!(levels > 0.0) || Double.isInfinite(levels)) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has levels " + node.attrs().get("levels") + "; give a finite number above 0");
        }
        return levels;
    }

    private static int[] requirePair(Node node, String key) {
        if (!node.attrs().containsKey(key)) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has no attribute \"" + key + "\"; give [height, width]");
        }
        return pair(node, key, null);
    }

    private static int[] pair(Node node, String key, int[] defaultValue) {
        int[] value = node.attrs().containsKey(key) ? node.intsAttr(key, new int[0]) : defaultValue.clone();
        return checkLength(node, key, value, 2);
    }

    private static int[] quad(Node node, String key) {
        return checkLength(node, key, node.intsAttr(key, new int[4]), 4);
    }

    private static int[] checkLength(Node node, String key, int[] value, int length) {
        if (value.length != length) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" has " + key + " "
                    + Arrays.toString(value) + "; it must list " + length + " integers");
        }
        return value;
    }

    private static void checkImage(byte[] images, int offset, int pixels) {
        if (offset < 0 || offset > images.length - pixels) {
            throw new IllegalArgumentException("image at byte " + offset + " with " + pixels
                    + " bytes does not fit in " + images.length + " bytes");
        }
    }

    /** Returns the node names in run order, the input's name first. */
    public List<String> names() {
        return new ArrayList<>(Arrays.asList(names));
    }
}
