package org.ratesim.convert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

/**
 * Converts a quantized ANN into a rate-encoded spiking network with integer weights.
 *
 * <p>The graph must be a chain {@code input → encoder → (synaptic [batch_norm] clamp_floor [dropout])* → readout},
 * with flatten and dropout allowed between layers. For a hidden layer with input resolution L_in and output
 * quantizer (T, L_out), the real weights are W·T/L_in (W after batch-norm folding), the bias stays unscaled, and the
 * threshold is T/L_out − epsilon. {@link FixedPoint} then picks the integer units. With ASG neurons and epsilon 0,
 * every spike count equals L_out × the ANN activation whenever the fixed-point rounding is exact (see
 * {@code sim.ExactnessCheck}).
 *
 * <p>Float ReLU networks take the standard conversion instead: {@link ThresholdBalancing} computes the scales and
 * calls {@link #convertRelu}, which shares the layer builders below.
 */
public final class Converter {

    /** Shift of the exact average-pool representation: weight 2^12 per synapse, threshold kh·kw·2^12. */
    static final int AVG_POOL_SHIFT = 12;

    private final Model model;
    private final ConversionOptions options;
    private final Map<String, BatchNormFolding.Params> params;
    private final int classes;

    private int timesteps;
    /** Shape {@code [C, H, W]} of the current spike map, or {@code [N, 1, 1]} for a vector. */
    private int[] shape;
    /** Resolution L of the current spike map: one spike is worth 1/L. */
    private double levels;
    /** Whether the current map is a vector (after flatten or linear). */
    private boolean vector;
    /** Map shape before the last flatten with order "chw", whose order the next linear must undo; else null. */
    private int[] channelFirstFlatten;

    /** Threshold-balancing scale λ of each relu node of a ReLU network, or null for a quantized network. */
    private final Map<String, Double> lambdas;
    /** ReLU networks: λ of the current spike map, so one spike per step stands for activation λ. */
    private double lambda;
    /** ReLU networks: λ of the layer being added, which divides its weights and bias. */
    private double outputLambda = Double.NaN;
    /** ReLU networks: whether the next synaptic layer reads raw pixel bytes as an analog current. */
    private boolean analogInput;

    private final List<SpikingLayer> layers = new ArrayList<>();
    private final List<LayerReport> reports = new ArrayList<>();

    private Converter(Model model, ConversionOptions options, Map<String, BatchNormFolding.Params> params,
                      Map<String, Double> lambdas) {
        this.model = model;
        this.options = options;
        this.params = params;
        this.classes = model.graph().input().classes();
        this.lambdas = lambdas;
    }

    /**
     * Converts {@code model} with {@code options}.
     *
     * @throws ConversionException when the graph is not a supported chain or a layer could overflow int32
     */
    public static Conversion convert(Model model, ConversionOptions options) {
        List<Op> ops = model.graph().nodes().stream().map(Node::op).toList();
        if (ops.contains(Op.RELU) && !ops.contains(Op.CLAMP_FLOOR) && !ops.contains(Op.INPUT_EXPANSION)) {
            throw new ConversionException("the graph has relu nodes and no clamp_floor or input_expansion: it is a "
                    + "float ReLU network, which has no T of its own; convert it by threshold balancing (run "
                    + "--method max|p99.9 --timesteps T)");
        }
        BatchNormFolding.Result folded = BatchNormFolding.fold(model);
        List<Node> steps = new ArrayList<>();
        for (Node node : chainNodes(model.graph())) {
            if (!folded.foldedNodes().contains(node.name())) {
                steps.add(node);
            }
        }
        return new Converter(model, options, folded.params(), null).run(steps);
    }

    /**
     * Converts a float ReLU network with threshold balancing; {@link ThresholdBalancing} computes the scales.
     *
     * @param lambdas   λ of every relu node that follows a conv2d or linear node, keyed by the relu node's name
     * @param timesteps the window T, free for ReLU networks because they have no quantizer
     * @throws ConversionException when the graph is not a supported ReLU chain or a layer could overflow int32
     */
    static Conversion convertRelu(Model model, Map<String, Double> lambdas, int timesteps,
                                  ConversionOptions options) {
        BatchNormFolding.Result folded = BatchNormFolding.fold(model);
        List<Node> steps = new ArrayList<>();
        for (Node node : chainNodes(model.graph())) {
            if (!folded.foldedNodes().contains(node.name())) {
                steps.add(node);
            }
        }
        Converter converter = new Converter(model, options, folded.params(), Map.copyOf(lambdas));
        converter.timesteps = timesteps;
        return converter.runRelu(steps);
    }

    private static List<Node> chainNodes(Graph graph) {
        List<Node> nodes = graph.nodes();
        if (nodes.isEmpty()) {
            throw new ConversionException("the graph has no nodes: expected input → encoder → layers → readout");
        }
        String previous = graph.input().name();
        for (Node node : nodes) {
            if (node.inputs().size() != 1 || !node.input().equals(previous)) {
                throw new ConversionException("node '" + node.name() + "' reads " + node.inputs()
                        + " but the converter accepts only chains, where each node reads the previous one ('"
                        + previous + "')");
            }
            previous = node.name();
        }
        if (!graph.output().equals(previous)) {
            throw new ConversionException("graph output '" + graph.output() + "' is not the last node '" + previous
                    + "': the converter accepts only chains ending in the readout");
        }
        return nodes;
    }

    private Conversion run(List<Node> steps) {
        startEncoder(steps.get(0));
        Encoder encoder = buildEncoder(steps.get(0));
        SpikingLayer readout = null;
        int i = 1;
        while (i < steps.size()) {
            Node node = steps.get(i);
            switch (node.op()) {
                case DROPOUT:
                    i++;
                    break;
                case FLATTEN:
                    flatten(node);
                    i++;
                    break;
                case CONV2D:
                case LINEAR:
                case AVG_POOL2D:
                case MAX_POOL2D: {
                    int next = i + 1;
                    while (next < steps.size() && steps.get(next).op() == Op.DROPOUT) {
                        next++;
                    }
                    Node quantizer = next < steps.size() ? steps.get(next) : null;
                    if (quantizer != null && quantizer.op() == Op.CLAMP_FLOOR) {
                        addHidden(node, quantizer);
                        i = next + 1;
                    } else if (quantizer != null && quantizer.op() == Op.RELU) {
                        throw new ConversionException("node '" + quantizer.name() + "' is a relu after a "
                                + "clamp_floor encoder: a model mixes quantizers and ReLU; convert float ReLU "
                                + "networks without an encoder by threshold balancing (run --method max|p99.9)");
                    } else if (onlyTrailingNodes(steps, next)) {
                        readout = buildReadout(node, steps, next);
                        i = steps.size();
                    } else if (node.op() == Op.MAX_POOL2D) {
                        addHidden(node, null);
                        i++;
                    } else {
                        throw new ConversionException(node.op().id() + " node '" + node.name() + "' is followed by "
                                + quantizer.op().id() + " node '" + quantizer.name() + "': every hidden "
                                + "conv2d, linear or avg_pool2d must be followed by a clamp_floor quantizer");
                    }
                    break;
                }
                default:
                    throw new ConversionException(node.op().id() + " node '" + node.name() + "' does not follow a "
                            + "synaptic layer: expected conv2d, linear, avg_pool2d, max_pool2d, flatten or dropout");
            }
        }
        return finish(encoder, readout);
    }

    private Conversion finish(Encoder encoder, SpikingLayer readout) {
        if (readout == null) {
            throw new ConversionException("the graph has no readout: it must end in a linear node (or a conv2d "
                    + "producing [" + classes + ", 1, 1]) without a quantizer");
        }

        long overflowBound = 0;
        for (LayerReport report : reports) {
            overflowBound = Math.max(overflowBound, report.bound());
        }
        SnnNetwork network = new SnnNetwork(timesteps, encoder, layers, readout, overflowBound);
        return new Conversion(network, reports);
    }

    private static boolean onlyTrailingNodes(List<Node> steps, int from) {
        for (int k = from; k < steps.size(); k++) {
            Op op = steps.get(k).op();
            if (op != Op.DROPOUT && op != Op.FLATTEN) {
                return false;
            }
        }
        return true;
    }

    // ---- ReLU networks (threshold balancing) ----

    /**
     * Builds the standard conversion of a float ReLU chain {@code input → (conv2d|linear [batch_norm] relu
     * [dropout] | avg_pool2d | max_pool2d)* → flatten → readout}. The first layer reads the pixel bytes as a
     * constant current, hidden layers get W·λ_in/λ_out, bias b/λ_out and threshold 1, and the readout gets
     * W·λ_in with its bias unscaled, so readout / T approximates the ANN logits.
     */
    private Conversion runRelu(List<Node> steps) {
        InputSpec input = model.graph().input();
        for (int c = 0; c < input.channels(); c++) {
            if (input.mean()[c] != 0.0 || !(input.std()[c] > 0.0) || Double.isInfinite(input.std()[c])) {
                throw new ConversionException("input '" + input.name() + "' has mean " + Arrays.toString(input.mean())
                        + " and std " + Arrays.toString(input.std()) + ": analog input needs mean 0 and a finite "
                        + "std > 0, because a zero-padded first conv cannot fold a mean into its bias; fold the "
                        + "mean into the first layer's bias before export");
            }
        }
        if (!(input.scale() > 0.0) || Double.isInfinite(input.scale())) {
            throw new ConversionException("input '" + input.name() + "' has scale " + input.scale()
                    + ": analog input needs a finite scale > 0");
        }
        shape = input.shape();
        vector = false;
        levels = 1.0;
        // λ cancels for analog input: the first layer receives x itself, so its current is (W·x + b)/λ_1.
        lambda = 1.0;
        analogInput = true;
        Encoder encoder = new Encoder(Encoder.Type.ANALOG, 1.0, new int[] {0}, input.shape());

        SpikingLayer readout = null;
        int i = 0;
        while (i < steps.size()) {
            Node node = steps.get(i);
            switch (node.op()) {
                case DROPOUT:
                    i++;
                    break;
                case FLATTEN:
                    flatten(node);
                    i++;
                    break;
                case CONV2D:
                case LINEAR: {
                    int next = skipDropout(steps, i + 1);
                    Node activation = next < steps.size() ? steps.get(next) : null;
                    if (activation != null && activation.op() == Op.RELU) {
                        addReluLayer(node, activation);
                        i = next + 1;
                    } else if (onlyTrailingNodes(steps, next)) {
                        if (analogInput) {
                            throw new ConversionException(node.op().id() + " node '" + node.name() + "' reads the "
                                    + "graph input and is the readout: a ReLU network needs at least one hidden "
                                    + "conv2d or linear layer with a relu");
                        }
                        readout = buildReadout(node, steps, next);
                        i = steps.size();
                    } else {
                        throw new ConversionException(node.op().id() + " node '" + node.name() + "' is followed "
                                + "by " + activation.op().id() + " node '" + activation.name() + "': every hidden "
                                + "conv2d or linear layer of a ReLU network must be followed by a relu");
                    }
                    break;
                }
                case AVG_POOL2D:
                case MAX_POOL2D: {
                    if (analogInput) {
                        throw new ConversionException(node.op().id() + " node '" + node.name() + "' reads the "
                                + "graph input: the first layer of a ReLU network must be conv2d or linear, which "
                                + "receives the pixels as an analog current");
                    }
                    // A pool keeps the scale λ of its input. Average pools become spiking layers with weight
                    // 1/k² and threshold 1 (exact in fixed point); a relu after a pool is a no-op on rates >= 0.
                    if (node.op() == Op.AVG_POOL2D) {
                        addAvgPool(node, levels, 1.0);
                    } else {
                        addMaxPool(node);
                    }
                    int next = skipDropout(steps, i + 1);
                    i = next < steps.size() && steps.get(next).op() == Op.RELU ? next + 1 : i + 1;
                    break;
                }
                case CLAMP_FLOOR:
                case INPUT_EXPANSION:
                    throw new ConversionException(node.op().id() + " node '" + node.name() + "' is a quantizer: "
                            + "threshold balancing converts float ReLU networks only; convert quantized models "
                            + "without --method");
                default:
                    throw new ConversionException(node.op().id() + " node '" + node.name() + "' does not follow "
                            + "a synaptic layer: expected conv2d, linear, avg_pool2d, max_pool2d, flatten or "
                            + "dropout");
            }
        }
        return finish(encoder, readout);
    }

    private static int skipDropout(List<Node> steps, int from) {
        int next = from;
        while (next < steps.size() && steps.get(next).op() == Op.DROPOUT) {
            next++;
        }
        return next;
    }

    private void addReluLayer(Node node, Node relu) {
        Double scale = lambdas.get(relu.name());
        if (scale == null || !(scale > 0.0) || scale.isInfinite()) {
            throw new ConversionException("relu node '" + relu.name() + "' has threshold-balancing scale " + scale
                    + ": expected a finite λ > 0 from the calibration activations");
        }
        outputLambda = scale;
        if (node.op() == Op.CONV2D) {
            addConv(node, 1.0, false);
        } else {
            addLinear(node, 1.0, false);
        }
        lambda = scale;
        outputLambda = Double.NaN;
    }

    /** Returns the real factor of a layer's weights: T/L_in for quantized networks, λ_in/λ_out for ReLU ones. */
    private double weightScale(boolean isReadout) {
        if (lambdas == null) {
            return timesteps / levels;
        }
        return isReadout ? lambda : lambda / outputLambda;
    }

    /** Returns the real bias: unscaled for quantized networks and readouts, b/λ_out for hidden ReLU layers. */
    private double[] scaledBias(double[] bias, boolean isReadout) {
        if (lambdas == null || isReadout) {
            return bias;
        }
        double[] scaled = new double[bias.length];
        for (int c = 0; c < bias.length; c++) {
            scaled[c] = bias[c] / outputLambda;
        }
        return scaled;
    }

    /**
     * Returns the factor that turns a weight on x into a weight on the raw byte b of image channel
     * {@code channel}: scale/std for analog input (x = b·scale/std when the mean is 0), else 1. Rounding these
     * per-byte weights keeps the first layer's current Σ w·b exact in integers.
     */
    private double inputFactor(int channel) {
        if (!analogInput) {
            return 1.0;
        }
        InputSpec input = model.graph().input();
        return input.scale() / input.std()[channel];
    }

    // ---- encoder ----

    private void startEncoder(Node node) {
        InputSpec input = model.graph().input();
        if (node.op() == Op.CONV2D || node.op() == Op.LINEAR) {
            throw new ConversionException("node '" + node.name() + "' reads the graph input directly: this is a "
                    + "ReLU network with analog input; convert it by threshold balancing (run --method max|p99.9 "
                    + "--timesteps T), or start the graph with a clamp_floor (VR) or input_expansion (ICE) encoder");
        }
        if (node.op() != Op.CLAMP_FLOOR && node.op() != Op.INPUT_EXPANSION) {
            throw new ConversionException("node '" + node.name() + "' (" + node.op().id() + ") reads the graph input: "
                    + "expected a clamp_floor (VR) or input_expansion (ICE) encoder");
        }
        if (!input.isPlainBytes()) {
            throw new ConversionException("input '" + input.name() + "' has scale " + input.scale() + ", mean "
                    + Arrays.toString(input.mean()) + ", std " + Arrays.toString(input.std())
                    + ": the VR and ICE encoders need x = b/255 (scale 1/255, mean 0, std 1)");
        }
        timesteps = readTimesteps(node);
        levels = readLevels(node);
        int[] inputShape = input.shape();
        int groups = node.op() == Op.INPUT_EXPANSION ? readOffsets(node).length : 1;
        shape = new int[] {inputShape[0] * groups, inputShape[1], inputShape[2]};
        vector = false;
    }

    private Encoder buildEncoder(Node node) {
        int[] inputShape = model.graph().input().shape();
        if (node.op() == Op.INPUT_EXPANSION) {
            return new Encoder(Encoder.Type.ICE, levels, readOffsets(node), inputShape);
        }
        return new Encoder(Encoder.Type.VR, levels, new int[] {0}, inputShape);
    }

    private static int[] readOffsets(Node node) {
        int[] offsets = node.intsAttr("offsets", new int[0]);
        if (offsets.length == 0) {
            throw new ConversionException("input_expansion node '" + node.name()
                    + "' has no offsets: give a list such as [-1, 0, 1]");
        }
        for (int offset : offsets) {
            if (offset < -1 || offset > 1) {
                throw new ConversionException("input_expansion node '" + node.name() + "' has offset " + offset
                        + ": each offset must be -1, 0 or +1");
            }
        }
        return offsets;
    }

    private static int readTimesteps(Node node) {
        long value = node.longAttr("timesteps", 0);
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has timesteps " + value
                    + ": expected an integer from 1 to " + Integer.MAX_VALUE);
        }
        return (int) value;
    }

    private static double readLevels(Node node) {
        double value = node.doubleAttr("levels", Double.NaN);
        if (!(value > 0.0) || Double.isInfinite(value)) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has levels " + value
                    + ": expected a finite number > 0");
        }
        return value;
    }

    // ---- flatten ----

    private void flatten(Node node) {
        String order = node.stringAttr("order", "chw");
        if (!order.equals("chw") && !order.equals("hwc")) {
            throw new ConversionException("flatten node '" + node.name() + "' has order '" + order
                    + "': expected chw or hwc");
        }
        if (vector) {
            return;
        }
        channelFirstFlatten = order.equals("chw") ? shape.clone() : null;
        shape = new int[] {shape[0] * shape[1] * shape[2], 1, 1};
        vector = true;
    }

    // ---- hidden layers ----

    private void addHidden(Node node, Node quantizer) {
        double outputLevels = levels;
        if (quantizer != null) {
            int quantizerSteps = readTimesteps(quantizer);
            if (quantizerSteps != timesteps) {
                throw new ConversionException("clamp_floor node '" + quantizer.name() + "' has timesteps "
                        + quantizerSteps + " but the encoder has " + timesteps + ": all quantizers share one T");
            }
            outputLevels = readLevels(quantizer);
        }
        if (node.op() == Op.MAX_POOL2D && outputLevels != levels) {
            throw new ConversionException("max_pool2d node '" + node.name() + "' is followed by clamp_floor node '"
                    + quantizer.name() + "' with levels " + outputLevels + " but its input has levels " + levels
                    + ": a max pool cannot change the resolution; remove the quantizer or give it levels "
                    + levels);
        }
        double threshold = timesteps / outputLevels - options.epsilon();
        if (!(threshold > 0.0)) {
            throw new ConversionException("layer '" + node.name() + "' has threshold T/L − epsilon = " + threshold
                    + ": epsilon " + options.epsilon() + " must be below T/L = " + (timesteps / outputLevels));
        }
        switch (node.op()) {
            case CONV2D:
                addConv(node, threshold, false);
                break;
            case LINEAR:
                addLinear(node, threshold, false);
                break;
            case AVG_POOL2D:
                addAvgPool(node, outputLevels, threshold);
                break;
            default:
                addMaxPool(node);
                break;
        }
        levels = outputLevels;
    }

    private SpikingLayer buildReadout(Node node, List<Node> steps, int trailing) {
        if (node.op() != Op.LINEAR && node.op() != Op.CONV2D) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' is the last layer: the "
                    + "readout must be a linear node or a conv2d producing [" + classes + ", 1, 1]");
        }
        SpikingLayer readout = node.op() == Op.LINEAR ? addLinear(node, Double.NaN, true)
                : addConv(node, Double.NaN, true);
        int[] out = readout.outputShape();
        if (out[0] != classes || out[1] != 1 || out[2] != 1) {
            throw new ConversionException("readout node '" + node.name() + "' produces " + Arrays.toString(out)
                    + " but the input declares " + classes + " classes: expected [" + classes + ", 1, 1]");
        }
        for (int k = trailing; k < steps.size(); k++) {
            if (steps.get(k).op() == Op.FLATTEN && node.op() == Op.LINEAR) {
                throw new ConversionException("flatten node '" + steps.get(k).name() + "' follows the linear "
                        + "readout '" + node.name() + "': remove it");
            }
        }
        return readout;
    }

    private SpikingLayer addConv(Node node, double threshold, boolean isReadout) {
        BatchNormFolding.Params layerParams = params.get(node.name());
        int[] weightShape = layerParams.weightShape();
        if (vector) {
            throw new ConversionException("conv2d node '" + node.name() + "' follows a flatten or linear node: "
                    + "convolutions need a [C, H, W] feature map");
        }
        int inChannels = shape[0];
        int groups = (int) node.longAttr("groups", 1);
        int outChannels = weightShape[0];
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0
                || weightShape[1] != inChannels / groups) {
            throw new ConversionException("conv2d node '" + node.name() + "' has weight shape "
                    + Arrays.toString(weightShape) + " and groups " + groups + " for " + inChannels
                    + " input channels: expected [Cout, " + inChannels + "/groups, KH, KW] with groups dividing "
                    + "Cin and Cout");
        }
        int[] kernel = {weightShape[2], weightShape[3]};
        int[] stride = pair(node, "stride", new int[] {1, 1});
        int[] padding = quad(node, new int[] {0, 0, 0, 0});
        int[] dilation = pair(node, "dilation", new int[] {1, 1});
        int[] outputShape = {outChannels, outputSize(node, shape[1], kernel[0], stride[0], padding[0] + padding[1],
                dilation[0]), outputSize(node, shape[2], kernel[1], stride[1], padding[2] + padding[3], dilation[1])};

        // Reorder [Cout][Cin/g][KH][KW] to input-major [Cin][KH][KW][Cout/g] and scale by T/L_in.
        int cinPerGroup = inChannels / groups;
        int coutPerGroup = outChannels / groups;
        int taps = kernel[0] * kernel[1];
        double scale = weightScale(isReadout);
        double[] weights = new double[layerParams.weight().length];
        int[] weightChannel = new int[weights.length];
        for (int co = 0; co < outChannels; co++) {
            int group = co / coutPerGroup;
            int j = co % coutPerGroup;
            for (int cil = 0; cil < cinPerGroup; cil++) {
                int ci = group * cinPerGroup + cil;
                for (int tap = 0; tap < taps; tap++) {
                    int target = (ci * taps + tap) * coutPerGroup + j;
                    weights[target] = layerParams.weight()[(co * cinPerGroup + cil) * taps + tap] * scale
                            * inputFactor(ci);
                    weightChannel[target] = co;
                }
            }
        }
        FixedPoint.Layer fixed = FixedPoint.quantize(node.name(), weights, weightChannel,
                scaledBias(layerParams.bias(), isReadout), threshold, timesteps, analogInput ? 255 : 1);
        analogInput = false;
        NeuronRule rule = isReadout ? NeuronRule.ACCUMULATE : options.neuron();
        SpikingLayer layer = new SpikingLayer(node.name(), LayerType.CONV2D, shape.clone(), outputShape, kernel,
                stride, padding, dilation, groups, rule, options.reset(), fixed.shift(), fixed.weights(), 0,
                fixed.bias(), fixed.threshold());
        record(layer, fixed.maxAbsWeight(), fixed.bound(), isReadout);
        shape = outputShape;
        return layer;
    }

    private SpikingLayer addLinear(Node node, double threshold, boolean isReadout) {
        BatchNormFolding.Params layerParams = params.get(node.name());
        int[] weightShape = layerParams.weightShape();
        int inputs = shape[0] * shape[1] * shape[2];
        if (!vector) {
            throw new ConversionException("linear node '" + node.name() + "' reads a " + Arrays.toString(shape)
                    + " feature map: insert a flatten node with the order the weights were trained with");
        }
        if (weightShape[1] != inputs) {
            throw new ConversionException("linear node '" + node.name() + "' has weight shape "
                    + Arrays.toString(weightShape) + " but its input has " + inputs + " values: expected ["
                    + weightShape[0] + ", " + inputs + "]");
        }
        int outputs = weightShape[0];

        // Store [Out][In] as [In][Out], where In is the channel-last spike index of the previous layer.
        double scale = weightScale(isReadout);
        int imageChannels = model.graph().input().channels();
        double[] weights = new double[layerParams.weight().length];
        int[] weightChannel = new int[weights.length];
        for (int annIndex = 0; annIndex < inputs; annIndex++) {
            int spikeIndex = spikeIndexOf(annIndex);
            // Only read for analog input, where spike indices are channel-last pixel indices of the image.
            double factor = inputFactor(spikeIndex % imageChannels);
            for (int o = 0; o < outputs; o++) {
                weights[spikeIndex * outputs + o] = layerParams.weight()[o * inputs + annIndex] * scale * factor;
                weightChannel[spikeIndex * outputs + o] = o;
            }
        }
        FixedPoint.Layer fixed = FixedPoint.quantize(node.name(), weights, weightChannel,
                scaledBias(layerParams.bias(), isReadout), threshold, timesteps, analogInput ? 255 : 1);
        analogInput = false;
        NeuronRule rule = isReadout ? NeuronRule.ACCUMULATE : options.neuron();
        int[] outputShape = {outputs, 1, 1};
        SpikingLayer layer = new SpikingLayer(node.name(), LayerType.LINEAR, new int[] {inputs, 1, 1}, outputShape,
                new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0}, new int[] {1, 1}, 1, rule,
                options.reset(), fixed.shift(), fixed.weights(), 0, fixed.bias(), fixed.threshold());
        record(layer, fixed.maxAbsWeight(), fixed.bound(), isReadout);
        shape = outputShape;
        channelFirstFlatten = null;
        return layer;
    }

    /** Maps an ANN vector index to the channel-last spike index, undoing a "chw" flatten. */
    private int spikeIndexOf(int annIndex) {
        if (channelFirstFlatten == null) {
            return annIndex;
        }
        int channels = channelFirstFlatten[0];
        int positions = channelFirstFlatten[1] * channelFirstFlatten[2];
        int c = annIndex / positions;
        int position = annIndex % positions;
        return position * channels + c;
    }

    private void addAvgPool(Node node, double outputLevels, double threshold) {
        checkMap(node);
        int[] kernel = pair(node, "kernel", null);
        int[] stride = pair(node, "stride", kernel);
        int[] padding = quad(node, new int[] {0, 0, 0, 0});
        checkPoolPadding(node, kernel, padding);
        int channels = shape[0];
        int[] outputShape = {channels, outputSize(node, shape[1], kernel[0], stride[0], padding[0] + padding[1], 1),
                outputSize(node, shape[2], kernel[1], stride[1], padding[2] + padding[3], 1)};
        int window = kernel[0] * kernel[1];

        int shift;
        int weightValue;
        int[] thresholds = new int[channels];
        long bound;
        if (options.epsilon() == 0.0 && outputLevels == levels) {
            // Exact: weight 2^s and threshold window·2^s give floor(Σn / window) spikes, like avg pool then Q.
            shift = AVG_POOL_SHIFT;
            while (shift > 0 && FixedPoint.windowBound(timesteps, (long) window << shift, (long) window << shift)
                    > Integer.MAX_VALUE) {
                shift--;
            }
            bound = FixedPoint.windowBound(timesteps, (long) window << shift, (long) window << shift);
            if (bound > Integer.MAX_VALUE) {
                throw new ConversionException("avg_pool2d node '" + node.name() + "' may overflow int32: its window "
                        + "bound is " + bound + " > " + Integer.MAX_VALUE + "; use a smaller T or kernel");
            }
            weightValue = 1 << shift;
            Arrays.fill(thresholds, window << shift);
        } else {
            double[] weights = {timesteps / (levels * window)};
            FixedPoint.Layer fixed = FixedPoint.quantize(node.name(), weights, new int[] {0}, new double[] {0.0},
                    threshold, timesteps);
            // The bound of one channel holds for all: every channel has the same window and weight.
            shift = fixed.shift();
            weightValue = fixed.weights()[0];
            Arrays.fill(thresholds, fixed.threshold()[0]);
            bound = FixedPoint.windowBound(timesteps, (long) window * Math.abs(weightValue), thresholds[0]);
            if (bound > Integer.MAX_VALUE) {
                throw new ConversionException("avg_pool2d node '" + node.name() + "' may overflow int32: its window "
                        + "bound is " + bound + " > " + Integer.MAX_VALUE + "; use a smaller T or kernel");
            }
        }
        SpikingLayer layer = new SpikingLayer(node.name(), LayerType.AVG_POOL2D, shape.clone(), outputShape, kernel,
                stride, padding, new int[] {1, 1}, channels, options.neuron(), options.reset(), shift, null,
                weightValue, null, thresholds);
        record(layer, weightValue, bound, false);
        shape = outputShape;
    }

    private void addMaxPool(Node node) {
        checkMap(node);
        int[] kernel = pair(node, "kernel", null);
        int[] stride = pair(node, "stride", kernel);
        int[] padding = quad(node, new int[] {0, 0, 0, 0});
        checkPoolPadding(node, kernel, padding);
        int channels = shape[0];
        int[] outputShape = {channels, outputSize(node, shape[1], kernel[0], stride[0], padding[0] + padding[1], 1),
                outputSize(node, shape[2], kernel[1], stride[1], padding[2] + padding[3], 1)};
        SpikingLayer layer = new SpikingLayer(node.name(), LayerType.MAX_POOL2D, shape.clone(), outputShape, kernel,
                stride, padding, new int[] {1, 1}, channels, options.neuron(), options.reset(), 0, null, 0, null,
                null);
        // Max pools have no membrane: their state is spike counts, at most T each.
        record(layer, 0, 0, false);
        shape = outputShape;
    }

    private void record(SpikingLayer layer, int maxAbsWeight, long bound, boolean isReadout) {
        if (!isReadout) {
            layers.add(layer);
        }
        reports.add(new LayerReport(layer.name(), layer.type(), layer.neuron(), layer.shift(), maxAbsWeight, bound));
    }

    // ---- attributes and shapes ----

    private void checkMap(Node node) {
        if (vector) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' follows a flatten or "
                    + "linear node: pools need a [C, H, W] feature map");
        }
    }

    private static void checkPoolPadding(Node node, int[] kernel, int[] padding) {
        if (padding[0] > kernel[0] / 2 || padding[1] > kernel[0] / 2 || padding[2] > kernel[1] / 2
                || padding[3] > kernel[1] / 2) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has padding "
                    + Arrays.toString(padding) + " for kernel " + Arrays.toString(kernel)
                    + ": each padding must be at most half the kernel");
        }
    }

    private static int outputSize(Node node, int size, int kernel, int stride, int padding, int dilation) {
        long span = (long) dilation * (kernel - 1) + 1;
        long out = (size + (long) padding - span) / stride + 1;
        if (size + (long) padding < span || out < 1) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has a kernel spanning "
                    + span + " on a padded input of " + (size + padding) + ": the output would be empty");
        }
        return (int) out;
    }

    private static int[] pair(Node node, String key, int[] defaultValue) {
        if (defaultValue == null && !node.attrs().containsKey(key)) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has no " + key
                    + ": give [h, w]");
        }
        int[] value = node.intsAttr(key, defaultValue == null ? new int[0] : defaultValue);
        if (value.length != 2 || value[0] < 1 || value[1] < 1) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has " + key + " "
                    + Arrays.toString(value) + ": expected two integers >= 1");
        }
        return value;
    }

    private static int[] quad(Node node, int[] defaultValue) {
        int[] value = node.intsAttr("padding", defaultValue);
        if (value.length != 4 || Arrays.stream(value).anyMatch(p -> p < 0)) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has padding "
                    + Arrays.toString(value) + ": expected [top, bottom, left, right], each >= 0");
        }
        return value;
    }
}
