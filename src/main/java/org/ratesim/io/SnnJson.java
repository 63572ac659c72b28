package org.ratesim.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ratesim.model.GraphValidator;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

/**
 * Maps the {@code snn} metadata document (format.md section 4) and its I16/I32 tensors to an {@link SnnNetwork}
 * and back, checking every layer's shapes against its tensors and the chain of layers against the encoder.
 */
final class SnnJson {

    /** Largest shift: units of 2^−30 still leave one bit of headroom below 2^31 for a value of 1. */
    static final int MAX_SHIFT = 30;

    /** Largest overflow bound: membrane potentials are 32-bit signed integers. */
    static final long MAX_OVERFLOW_BOUND = Integer.MAX_VALUE;

    private static final Set<String> SNN_KEYS = Set.of("timesteps", "encoder", "layers", "readout",
            "overflow_bound");
    private static final Set<String> ENCODER_KEYS = Set.of("type", "levels", "offsets", "shape");
    private static final Set<String> LAYER_KEYS = Set.of("name", "type", "input_shape", "output_shape", "kernel",
            "stride", "padding", "dilation", "groups", "neuron", "reset", "shift", "weight", "bias", "threshold",
            "weight_value");

    private final String file;
    private final Map<String, Safetensors.Entry> tensors;
    private final Set<String> usedTensors;
    private final ReaderLimits limits;
    /**
     * Decoded arrays by tensor name, so a tensor shared by many layers is decoded and checked once. Layers then
     * share arrays, which is safe because an SnnNetwork is immutable once built.
     */
    private final Map<String, Object> decoded = new HashMap<>();
    /** Zero biases by length, shared by the layers whose bias tensor is absent. */
    private final Map<Integer, int[]> zeroBiases = new HashMap<>();
    /** Names of the tensors already checked as thresholds; a tensor shared as a bias is still checked here. */
    private final Set<String> checkedThresholds = new HashSet<>();
    private long totalNeurons;

    private SnnJson(String file, Map<String, Safetensors.Entry> tensors, Set<String> usedTensors,
                    ReaderLimits limits) {
        this.file = file;
        this.tensors = tensors;
        this.usedTensors = usedTensors;
        this.limits = limits;
    }

    /**
     * Reads the spiking network; adds the names of the tensors it uses to {@code usedTensors}.
     *
     * @param inputShape the ANN's {@code input.shape}, which the encoder shape must equal
     * @param classes    the ANN's {@code input.classes}, which the readout output shape must be {@code [classes, 1, 1]}
     */
    static SnnNetwork read(Object document, String file, Map<String, Safetensors.Entry> tensors,
                           Set<String> usedTensors, int[] inputShape, int classes, ReaderLimits limits) {
        return new SnnJson(file, tensors, usedTensors, limits).read(document, inputShape, classes);
    }

    private SnnNetwork read(Object document, int[] inputShape, int classes) {
        JsonObject snn = new JsonObject(document, "snn", file);
        snn.allowOnly(SNN_KEYS);
        int timesteps = (int) snn.integer("timesteps", 1, limits.maxTimesteps());
        Encoder encoder = readEncoder(snn.object("encoder"), inputShape);
        List<?> layerValues = snn.list("layers", limits.maxNodes());

        int[] previous = {encoder.encodedChannels(), inputShape[1], inputShape[2]};
        List<SpikingLayer> layers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < layerValues.size(); i++) {
            JsonObject layerObject = new JsonObject(layerValues.get(i), "snn.layers[" + i + "]", file);
            SpikingLayer layer = readLayer(layerObject, previous, false);
            if (!names.add(layer.name())) {
                throw layerObject.error("name", "\"" + layer.name() + "\" is used by two layers; names must be unique");
            }
            layers.add(layer);
            previous = layer.outputShape();
        }
        SpikingLayer readout = readLayer(snn.object("readout"), previous, true);
        if (!Arrays.equals(readout.outputShape(), new int[] {classes, 1, 1})) {
            throw snn.object("readout").error("output_shape", Arrays.toString(readout.outputShape())
                    + " must be [" + classes + ", 1, 1], one neuron per class of graph input.classes");
        }

        long overflowBound = snn.integer("overflow_bound", 0, MAX_OVERFLOW_BOUND);
        // NOTE: this is only a plausibility check. A bias added each step puts a neuron without input at |bias|
        // after one step, so the bound must be at least every |bias|. The converter's bound is not recomputed here.
        long maxBias = 0;
        Set<int[]> scanned = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (SpikingLayer layer : concat(layers, readout)) {
            if (layer.bias() != null && scanned.add(layer.bias())) {
                for (int bias : layer.bias()) {
                    maxBias = Math.max(maxBias, Math.abs((long) bias));
                }
            }
        }
        if (overflowBound < maxBias) {
            throw snn.error("overflow_bound", overflowBound + " is below the largest |bias| " + maxBias
                    + ", so it cannot bound the membrane potential");
        }
        return new SnnNetwork(timesteps, encoder, layers, readout, overflowBound);
    }

    private static List<SpikingLayer> concat(List<SpikingLayer> layers, SpikingLayer readout) {
        List<SpikingLayer> all = new ArrayList<>(layers);
        all.add(readout);
        return all;
    }

    private Encoder readEncoder(JsonObject encoder, int[] inputShape) {
        encoder.allowOnly(ENCODER_KEYS);
        String typeId = encoder.string("type");
        Encoder.Type type;
        switch (typeId) {
            case "vr":
                type = Encoder.Type.VR;
                break;
            case "ice":
                type = Encoder.Type.ICE;
                break;
            case "analog":
                type = Encoder.Type.ANALOG;
                break;
            default:
                throw encoder.error("type", "\"" + Json.abbreviate(typeId) + "\" must be vr, ice or analog");
        }

        double levels = encoder.number("levels", 0);
        int[] offsets = encoder.ints("offsets", -1, -1, 1);
        if (offsets.length < 1 || offsets.length > GraphValidator.MAX_OFFSET_GROUPS) {
            throw encoder.error("offsets", "must have 1 to " + GraphValidator.MAX_OFFSET_GROUPS + " entries");
        }
        if (type != Encoder.Type.ICE && !Arrays.equals(offsets, new int[] {0})) {
            throw encoder.error("offsets", Arrays.toString(offsets) + " must be [0] for the " + typeId + " encoder");
        }
        int minOffset = Arrays.stream(offsets).min().orElse(0);
        if (levels + minOffset < 0) {
            throw encoder.error("levels", levels + " plus offset " + minOffset + " is negative");
        }

        int[] shape = encoder.ints("shape", 3, 1, GraphValidator.MAX_DIMENSION);
        if (!Arrays.equals(shape, inputShape)) {
            throw encoder.error("shape", Arrays.toString(shape) + " differs from graph input.shape "
                    + Arrays.toString(inputShape));
        }
        return new Encoder(type, levels, offsets, shape);
    }

    private SpikingLayer readLayer(JsonObject layer, int[] previous, boolean isReadout) {
        layer.allowOnly(LAYER_KEYS);
        String name = layer.string("name");
        if (name.isEmpty() || name.length() > GraphValidator.MAX_NAME_CHARS) {
            throw layer.error("name", "must have 1 to " + GraphValidator.MAX_NAME_CHARS + " chars");
        }
        String typeId = layer.string("type");
        LayerType type = LayerType.fromId(typeId);
        if (type == null) {
            throw layer.error("type", "\"" + Json.abbreviate(typeId)
                    + "\" must be conv2d, linear, avg_pool2d or max_pool2d");
        }
        if (isReadout && type != LayerType.LINEAR && type != LayerType.CONV2D) {
            throw layer.error("type", "\"" + typeId + "\" cannot be the readout; expected linear or conv2d");
        }
        int[] inputShape = shape(layer, "input_shape");
        int[] outputShape = shape(layer, "output_shape");
        checkChain(layer, type, inputShape, previous);

        int maxDim = GraphValidator.MAX_DIMENSION;
        int[] kernel = layer.ints("kernel", 2, 1, maxDim, new int[] {1, 1});
        boolean pool = type == LayerType.AVG_POOL2D || type == LayerType.MAX_POOL2D;
        int[] stride = layer.ints("stride", 2, 1, maxDim, pool ? kernel : new int[] {1, 1});
        int[] padding = layer.ints("padding", 4, 0, maxDim, new int[4]);
        int[] dilation = layer.ints("dilation", 2, 1, maxDim, new int[] {1, 1});
        int groups = (int) layer.integer("groups", 1, maxDim, 1);

        NeuronRule neuron = NeuronRule.fromId(layer.string("neuron"));
        if (isReadout ? neuron != NeuronRule.ACCUMULATE : neuron == null || neuron == NeuronRule.ACCUMULATE) {
            throw layer.error("neuron", "\"" + Json.abbreviate(layer.string("neuron")) + "\" must be "
                    + (isReadout ? "accumulate for the readout" : "asg, if or if_ctt"));
        }
        String resetId = isReadout ? layer.string("reset", "subtract") : layer.string("reset");
        ResetMode reset = ResetMode.fromId(resetId);
        if (reset == null) {
            throw layer.error("reset", "\"" + Json.abbreviate(resetId) + "\" must be subtract or zero");
        }
        int shift = (int) layer.integer("shift", 0, MAX_SHIFT);

        int inChannels = inputShape[0];
        int outChannels = outputShape[0];
        short[] weights = null;
        int weightValue = 0;
        int[] bias = null;
        int[] threshold = null;
        switch (type) {
            case CONV2D: {
                if (inChannels % groups != 0 || outChannels % groups != 0) {
                    throw layer.error("groups", groups + " must divide input channels " + inChannels
                            + " and output channels " + outChannels);
                }
                checkSpatial(layer, inputShape, outputShape, kernel, stride, padding, dilation);
                weights = shorts(layer, "weight", new int[] {inChannels, kernel[0], kernel[1], outChannels / groups});
                bias = optionalBias(layer, outChannels);
                break;
            }
            case LINEAR: {
                if (outputShape[1] != 1 || outputShape[2] != 1) {
                    throw layer.error("output_shape", Arrays.toString(outputShape) + " must be [N, 1, 1] for linear");
                }
                int inputs = inputShape[0] * inputShape[1] * inputShape[2];
                weights = shorts(layer, "weight", new int[] {inputs, outChannels});
                bias = optionalBias(layer, outChannels);
                break;
            }
            case AVG_POOL2D:
            case MAX_POOL2D: {
                if (outChannels != inChannels) {
                    throw layer.error("output_shape", "channels " + outChannels + " must equal input channels "
                            + inChannels + " for a pool");
                }
                if (dilation[0] != 1 || dilation[1] != 1) {
                    throw layer.error("dilation", Arrays.toString(dilation) + " must be [1, 1] for a pool");
                }
                for (int i = 0; i < 4; i++) {
                    if (padding[i] > kernel[i / 2] / 2) {
                        throw layer.error("padding", Arrays.toString(padding) + " exceeds half the kernel "
                                + Arrays.toString(kernel) + " (PyTorch's rule for pools)");
                    }
                }
                checkSpatial(layer, inputShape, outputShape, kernel, stride, padding, dilation);
                forbid(layer, "weight", typeId);
                forbid(layer, "bias", typeId);
                if (type == LayerType.AVG_POOL2D) {
                    weightValue = (int) layer.integer("weight_value", Integer.MIN_VALUE, Integer.MAX_VALUE);
                } else {
                    forbid(layer, "weight_value", typeId);
                }
                break;
            }
            default:
                throw new IllegalStateException("layer type " + type + " has no reader");
        }
        if (type != LayerType.AVG_POOL2D) {
            forbid(layer, "weight_value", typeId);
        }
        if (isReadout || type == LayerType.MAX_POOL2D) {
            forbid(layer, "threshold", isReadout ? "the readout" : typeId);
        } else {
            threshold = ints(layer, "threshold", new int[] {outChannels});
            boolean unchecked = checkedThresholds.add(layer.string("threshold"));
            for (int c = 0; unchecked && c < threshold.length; c++) {
                if (threshold[c] <= 0) {
                    throw layer.error("threshold", "tensor value " + threshold[c] + " at channel " + c
                            + " must be > 0");
                }
            }
        }
        return new SpikingLayer(name, type, inputShape, outputShape, kernel, stride, padding, dilation, groups,
                neuron, reset, shift, weights, weightValue, bias, threshold);
    }

    private int[] shape(JsonObject layer, String key) {
        int[] shape = layer.ints(key, 3, 1, Integer.MAX_VALUE);
        long neurons = (long) shape[0] * shape[1];
        if (neurons > limits.maxNeurons() || neurons * shape[2] > limits.maxNeurons()) {
            throw layer.error(key, Arrays.toString(shape) + " has more than " + limits.maxNeurons()
                    + " neurons (ReaderLimits.maxNeurons)");
        }
        if (key.equals("output_shape")) {
            totalNeurons += neurons * shape[2];
            if (totalNeurons > limits.maxTotalNeurons()) {
                throw layer.error(key, "brings the layers to " + totalNeurons + " neurons, more than the limit of "
                        + limits.maxTotalNeurons() + " (ReaderLimits.maxTotalNeurons)");
            }
        }
        return shape;
    }

    /** Checks that a layer reads what the previous layer (or the encoder) produces. */
    private static void checkChain(JsonObject layer, LayerType type, int[] inputShape, int[] previous) {
        if (type == LayerType.LINEAR) {
            long inputs = (long) inputShape[0] * inputShape[1] * inputShape[2];
            long produced = (long) previous[0] * previous[1] * previous[2];
            if (inputs != produced) {
                throw layer.error("input_shape", Arrays.toString(inputShape) + " has " + inputs
                        + " neurons but the previous layer produces " + Arrays.toString(previous));
            }
        } else if (!Arrays.equals(inputShape, previous)) {
            throw layer.error("input_shape", Arrays.toString(inputShape) + " differs from the previous output "
                    + Arrays.toString(previous));
        }
    }

    private static void checkSpatial(JsonObject layer, int[] in, int[] out, int[] kernel, int[] stride,
                                     int[] padding, int[] dilation) {
        for (int axis = 0; axis < 2; axis++) {
            long padded = (long) in[axis + 1] + padding[2 * axis] + padding[2 * axis + 1];
            long span = (long) dilation[axis] * (kernel[axis] - 1) + 1;
            long expected = span > padded ? 0 : (padded - span) / stride[axis] + 1;
            if (expected != out[axis + 1]) {
                throw layer.error("output_shape", Arrays.toString(out) + " does not match input "
                        + Arrays.toString(in) + " with kernel " + Arrays.toString(kernel) + ", stride "
                        + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + ", dilation "
                        + Arrays.toString(dilation) + "; expected size " + expected + " on axis " + (axis + 1));
            }
        }
    }

    private int[] optionalBias(JsonObject layer, int outChannels) {
        if (!layer.has("bias")) {
            return zeroBiases.computeIfAbsent(outChannels, int[]::new);
        }
        return ints(layer, "bias", new int[] {outChannels});
    }

    private short[] shorts(JsonObject layer, String key, int[] shape) {
        Safetensors.Entry entry = tensor(layer, key, Safetensors.DType.I16, shape);
        return (short[]) decoded.computeIfAbsent(layer.string(key), name -> entry.shorts());
    }

    private int[] ints(JsonObject layer, String key, int[] shape) {
        Safetensors.Entry entry = tensor(layer, key, Safetensors.DType.I32, shape);
        return (int[]) decoded.computeIfAbsent(layer.string(key), name -> entry.ints());
    }

    private static void forbid(JsonObject layer, String key, String owner) {
        if (layer.has(key)) {
            throw layer.error(key, "is not allowed for " + owner);
        }
    }

    private Safetensors.Entry tensor(JsonObject layer, String key, Safetensors.DType dtype, int[] shape) {
        String name = layer.string(key);
        Safetensors.Entry entry = tensors.get(name);
        if (entry == null) {
            throw layer.error(key, "names tensor \"" + Json.abbreviate(name) + "\", which the file does not contain");
        }
        if (entry.dtype() != dtype || !Arrays.equals(entry.shape(), shape)) {
            throw layer.error(key, "tensor \"" + Json.abbreviate(name) + "\" is " + entry.dtype()
                    + Arrays.toString(entry.shape()) + ", expected " + dtype + Arrays.toString(shape));
        }
        usedTensors.add(name);
        return entry;
    }

    /** Returns the snn document for {@code snn} and adds its tensors, named {@code snn.<layer>.<role>}. */
    static Map<String, Object> write(SnnNetwork snn, Map<String, Safetensors.Entry> tensors) {
        Map<String, Object> encoder = new LinkedHashMap<>();
        encoder.put("type", snn.encoder().type().name().toLowerCase(java.util.Locale.ROOT));
        encoder.put("levels", snn.encoder().levels());
        encoder.put("offsets", GraphJson.longs(snn.encoder().offsets()));
        encoder.put("shape", GraphJson.longs(snn.encoder().shape()));
        List<Object> layers = new ArrayList<>();
        for (SpikingLayer layer : snn.layers()) {
            layers.add(writeLayer(layer, tensors, false));
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("timesteps", (long) snn.timesteps());
        document.put("encoder", encoder);
        document.put("layers", layers);
        document.put("readout", writeLayer(snn.readout(), tensors, true));
        document.put("overflow_bound", snn.overflowBound());
        return document;
    }

    private static Map<String, Object> writeLayer(SpikingLayer layer, Map<String, Safetensors.Entry> tensors,
                                                  boolean isReadout) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("name", layer.name());
        object.put("type", layer.type().id());
        object.put("input_shape", GraphJson.longs(layer.inputShape()));
        object.put("output_shape", GraphJson.longs(layer.outputShape()));
        object.put("kernel", GraphJson.longs(layer.kernel()));
        object.put("stride", GraphJson.longs(layer.stride()));
        object.put("padding", GraphJson.longs(layer.padding()));
        object.put("dilation", GraphJson.longs(layer.dilation()));
        object.put("groups", (long) layer.groups());
        object.put("neuron", layer.neuron().id());
        object.put("reset", layer.reset().id());
        object.put("shift", (long) layer.shift());
        String prefix = "snn." + layer.name() + ".";
        int outChannels = layer.outputChannels();
        if (layer.type() == LayerType.CONV2D) {
            int[] in = layer.inputShape();
            int[] shape = {in[0], layer.kernel()[0], layer.kernel()[1], outChannels / layer.groups()};
            object.put("weight", put(tensors, prefix + "weight", Safetensors.Entry.ofShorts(layer.weights(), shape)));
        } else if (layer.type() == LayerType.LINEAR) {
            int[] shape = {layer.inputNeurons(), outChannels};
            object.put("weight", put(tensors, prefix + "weight", Safetensors.Entry.ofShorts(layer.weights(), shape)));
        }
        boolean synaptic = layer.type() == LayerType.CONV2D || layer.type() == LayerType.LINEAR;
        if (synaptic && layer.bias() != null) {
            object.put("bias", put(tensors, prefix + "bias", Safetensors.Entry.ofInts(layer.bias(), outChannels)));
        }
        if (layer.type() == LayerType.AVG_POOL2D) {
            object.put("weight_value", (long) layer.weightValue());
        }
        if (!isReadout && layer.threshold() != null) {
            object.put("threshold", put(tensors, prefix + "threshold",
                    Safetensors.Entry.ofInts(layer.threshold(), outChannels)));
        }
        return object;
    }

    private static String put(Map<String, Safetensors.Entry> tensors, String name, Safetensors.Entry entry) {
        if (tensors.putIfAbsent(name, entry) != null) {
            throw new IllegalArgumentException("tensor name \"" + name + "\" is used twice; give every spiking layer"
                    + " a unique name that differs from the ANN parameter names");
        }
        return name;
    }
}
