package org.ratesim.convert;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.ratesim.model.Graph;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.tensor.Tensor;

/**
 * Folds inference batch norm into the conv2d or linear node that directly precedes it.
 *
 * <p>With σ = √(var + eps) per output channel: W_f = W·γ/σ and b_f = (b − μ)·γ/σ + β, where a missing bias is 0.
 * Everything is computed in double. A batch_norm anywhere else (after an activation, a pool, the input, or after a
 * layer that also feeds other nodes) cannot be folded this way and is rejected.
 */
public final class BatchNormFolding {

    private BatchNormFolding() {
    }

    /**
     * Weight and bias of one conv2d or linear node in double.
     *
     * @param weight      weights in the ANN layout, output channel first ({@code [Cout, Cin/groups, KH, KW]} or
     *                    {@code [Out, In]})
     * @param weightShape shape of {@code weight}
     * @param bias        one bias per output channel (zeros when the node had none)
     */
    public record Params(double[] weight, int[] weightShape, double[] bias) {

        public int outputChannels() {
            return weightShape[0];
        }
    }

    /**
     * Parameters of every conv2d and linear node after folding.
     *
     * @param params      folded parameters by node name
     * @param foldedNodes names of the batch_norm nodes that were folded away
     */
    public record Result(Map<String, Params> params, Set<String> foldedNodes) {
    }

    /**
     * Reads every conv2d and linear node's parameters and folds each batch_norm into its producer.
     *
     * @throws ConversionException when a batch_norm cannot be folded or a parameter is missing or misshapen
     */
    public static Result fold(Model model) {
        Graph graph = model.graph();
        Map<String, Params> params = new HashMap<>();
        for (Node node : graph.nodes()) {
            if (node.op() == Op.CONV2D || node.op() == Op.LINEAR) {
                params.put(node.name(), readParams(model, node));
            }
        }

        Map<String, Integer> consumers = graph.consumerCounts();
        Set<String> folded = new HashSet<>();
        for (Node node : graph.nodes()) {
            if (node.op() != Op.BATCH_NORM) {
                continue;
            }
            Node producer = graph.node(node.input());
            if (producer == null) {
                throw new ConversionException("batch_norm node '" + node.name() + "' reads the graph input: "
                        + "it can be folded only into a directly preceding conv2d or linear node");
            }
            if (producer.op() != Op.CONV2D && producer.op() != Op.LINEAR) {
                throw new ConversionException("batch_norm node '" + node.name() + "' follows " + producer.op().id()
                        + " node '" + producer.name() + "': it can be folded only into a directly preceding conv2d "
                        + "or linear node; move it before the activation or pool and retrain");
            }
            if (consumers.getOrDefault(producer.name(), 0) != 1) {
                throw new ConversionException("batch_norm node '" + node.name() + "' follows node '"
                        + producer.name() + "', which also feeds other nodes: folding would change them too");
            }
            Params layer = params.get(producer.name());
            int channels = layer.outputChannels();
            double[] gamma = bnParam(model, node, "weight", channels);
            double[] beta = bnParam(model, node, "bias", channels);
            double[] mean = bnParam(model, node, "running_mean", channels);
            double[] variance = bnParam(model, node, "running_var", channels);
            double eps = node.doubleAttr("eps", 1e-5);
            params.put(producer.name(), foldInto(layer, gamma, beta, mean, variance, eps));
            folded.add(node.name());
        }
        return new Result(params, folded);
    }

    /**
     * Returns {@code layer} with batch norm (γ, β, μ, var, eps) on its outputs folded into its weights and bias.
     * Every array has one entry per output channel.
     */
    public static Params foldInto(Params layer, double[] gamma, double[] beta, double[] mean, double[] variance,
                                  double eps) {
        int channels = layer.outputChannels();
        int perChannel = layer.weight().length / channels;
        double[] weight = new double[layer.weight().length];
        double[] bias = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sigma = Math.sqrt(variance[c] + eps);
            if (!(sigma > 0.0) || Double.isInfinite(sigma)) {
                throw new IllegalArgumentException("invalid batch norm channel " + c + ": var + eps = "
                        + (variance[c] + eps) + ", expected a finite number > 0");
            }
            double scale = gamma[c] / sigma;
            for (int i = 0; i < perChannel; i++) {
                weight[c * perChannel + i] = layer.weight()[c * perChannel + i] * scale;
            }
            bias[c] = (layer.bias()[c] - mean[c]) * scale + beta[c];
        }
        return new Params(weight, layer.weightShape(), bias);
    }

    private static Params readParams(Model model, Node node) {
        Tensor weight = model.param(node, "weight");
        if (weight == null) {
            throw new ConversionException(node.op().id() + " node '" + node.name()
                    + "' has no weight tensor: add params.weight");
        }
        int[] shape = weight.shape();
        int expectedRank = node.op() == Op.CONV2D ? 4 : 2;
        if (shape.length != expectedRank || shape[0] < 1) {
            throw new ConversionException(node.op().id() + " node '" + node.name() + "' has weight shape "
                    + Arrays.toString(shape) + ": expected rank " + expectedRank + " with at least one output");
        }
        double[] values = toDoubles(weight);
        double[] bias = new double[shape[0]];
        Tensor biasTensor = model.param(node, "bias");
        if (biasTensor != null) {
            if (biasTensor.rank() != 1 || biasTensor.dim(0) != shape[0]) {
                throw new ConversionException(node.op().id() + " node '" + node.name() + "' has bias shape "
                        + Arrays.toString(biasTensor.shape()) + ": expected [" + shape[0] + "]");
            }
            bias = toDoubles(biasTensor);
        }
        return new Params(values, shape, bias);
    }

    private static double[] bnParam(Model model, Node node, String role, int channels) {
        Tensor tensor = model.param(node, role);
        if (tensor == null) {
            throw new ConversionException("batch_norm node '" + node.name() + "' has no " + role
                    + " tensor: add params." + role);
        }
        if (tensor.rank() != 1 || tensor.dim(0) != channels) {
            throw new ConversionException("batch_norm node '" + node.name() + "' has " + role + " shape "
                    + Arrays.toString(tensor.shape()) + ": expected [" + channels + "], one per output channel");
        }
        return toDoubles(tensor);
    }

    private static double[] toDoubles(Tensor tensor) {
        float[] floats = tensor.floats();
        double[] values = new double[floats.length];
        for (int i = 0; i < floats.length; i++) {
            values[i] = floats[i];
        }
        return values;
    }
}
