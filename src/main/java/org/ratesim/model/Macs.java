package org.ratesim.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.ratesim.io.InvalidModelException;
import org.ratesim.tensor.Ops;
import org.ratesim.tensor.Tensor;

/**
 * Multiply-accumulate (MAC) and parameter counts of a model's ANN for one image.
 *
 * <p>Counting rules:
 * <ul>
 *   <li>{@code conv2d}: Cout · Hout · Wout · (Cin / groups) · KH · KW, every kernel tap including those that fall on
 *       padding. {@link NodeCost#realMacs()} counts only taps on real input pixels.</li>
 *   <li>{@code linear}: In · Out.</li>
 *   <li>pools, {@code batch_norm} (folded into the preceding layer), quantizers, encoders, {@code relu},
 *       {@code flatten} and {@code dropout}: 0. Pools and quantizers do work, but no multiply-accumulates.</li>
 * </ul>
 * Parameters are the elements of each node's weight and bias tensors; batch-norm tensors (γ, β, running mean and
 * running variance) are counted separately.
 */
public final class Macs {

    /**
     * Costs of one node.
     *
     * @param name        node name
     * @param op          operator
     * @param outputShape shape of the node's output for one image
     * @param macs        MACs counting every kernel tap, padded ones included
     * @param realMacs    MACs counting only taps on real input values
     * @param weights     weight elements
     * @param biases      bias elements
     * @param bnParams    batch-norm elements: γ, β, running mean and running variance
     */
    public record NodeCost(String name, Op op, int[] outputShape, long macs, long realMacs, long weights, long biases,
                           long bnParams) {

        public NodeCost {
            outputShape = outputShape.clone();
        }

        @Override
        public int[] outputShape() {
            return outputShape.clone();
        }
    }

    private final List<NodeCost> nodes;

    private Macs(List<NodeCost> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Counts the MACs and parameters of every node, propagating shapes from the input.
     *
     * @throws InvalidModelException when a node reads an unknown name, misses a weight or has shapes that do not fit
     */
    public static Macs of(Model model) {
        Graph graph = model.graph();
        Map<String, int[]> shapes = new HashMap<>();
        shapes.put(graph.input().name(), graph.input().shape());
        List<NodeCost> costs = new ArrayList<>();
        for (Node node : graph.nodes()) {
            int[] inShape = shapes.get(node.input());
            if (inShape == null) {
                throw new InvalidModelException("graph node \"" + node.name() + "\" reads \"" + node.input()
                        + "\", which is not the input or an earlier node; list nodes in topological order");
            }
            NodeCost cost;
            try {
                cost = count(model, node, inShape);
            } catch (IllegalArgumentException | ClassCastException | ArithmeticException
                     | IndexOutOfBoundsException e) {
                throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                        + ") has shapes or attributes that do not fit: " + e.getMessage(), e);
            }
            shapes.put(node.name(), cost.outputShape());
            costs.add(cost);
        }
        return new Macs(costs);
    }

    private static NodeCost count(Model model, Node node, int[] inShape) {
        String name = node.name();
        Op op = node.op();
        switch (op) {
            case CONV2D: {
                Tensor weight = weight(model, node);
                int[] stride = node.intsAttr("stride", new int[] {1, 1});
                int[] padding = node.intsAttr("padding", new int[4]);
                int[] dilation = node.intsAttr("dilation", new int[] {1, 1});
                int groups = Math.toIntExact(node.longAttr("groups", 1));
                int[] out = Ops.conv2dShape(inShape, weight.shape(), stride, padding, dilation, groups);
                long channelPairs = (long) out[0] * weight.dim(1);
                long macs = channelPairs * out[1] * out[2] * weight.dim(2) * weight.dim(3);
                long rows = Ops.validTaps(inShape[1], out[1], weight.dim(2), stride[0], padding[0], dilation[0]);
                long cols = Ops.validTaps(inShape[2], out[2], weight.dim(3), stride[1], padding[2], dilation[1]);
                return new NodeCost(name, op, out, macs, channelPairs * rows * cols, weight.size(),
                        elements(model.param(node, "bias")), 0);
            }
            case LINEAR: {
                Tensor weight = weight(model, node);
                if (inShape.length != 1 || weight.rank() != 2 || weight.dim(1) != inShape[0]) {
                    throw new IllegalArgumentException("linear weight shape " + Arrays.toString(weight.shape())
                            + " does not fit input shape " + Arrays.toString(inShape) + "; expected [Out, "
                            + Tensor.size(inShape) + "] after a flatten");
                }
                long macs = (long) weight.dim(0) * weight.dim(1);
                return new NodeCost(name, op, new int[] {weight.dim(0)}, macs, macs, weight.size(),
                        elements(model.param(node, "bias")), 0);
            }
            case BATCH_NORM: {
                long bn = 0;
                for (String role : new String[] {"weight", "bias", "running_mean", "running_var"}) {
                    bn += elements(model.param(node, role));
                }
                return new NodeCost(name, op, inShape, 0, 0, 0, 0, bn);
            }
            case AVG_POOL2D:
            case MAX_POOL2D: {
                int[] kernel = node.intsAttr("kernel", new int[0]);
                int[] stride = node.intsAttr("stride", kernel);
                int[] padding = node.intsAttr("padding", new int[4]);
                return new NodeCost(name, op, Ops.pool2dShape(inShape, kernel, stride, padding), 0, 0, 0, 0, 0);
            }
            case INPUT_EXPANSION: {
                int groups = node.intsAttr("offsets", new int[0]).length;
                int[] out = {inShape[0] * groups, inShape[1], inShape[2]};
                return new NodeCost(name, op, out, 0, 0, 0, 0, 0);
            }
            case FLATTEN:
                return new NodeCost(name, op, new int[] {Tensor.size(inShape)}, 0, 0, 0, 0, 0);
            default:
                // relu, clamp_floor and dropout keep the shape and do no multiply-accumulates.
                return new NodeCost(name, op, inShape, 0, 0, 0, 0, 0);
        }
    }

    private static Tensor weight(Model model, Node node) {
        Tensor weight = model.param(node, "weight");
        if (weight == null) {
            throw new InvalidModelException("graph node \"" + node.name() + "\" (" + node.op().id()
                    + ") has no parameter \"weight\"; add it to the node's params and the container");
        }
        return weight;
    }

    private static long elements(Tensor tensor) {
        return tensor == null ? 0 : tensor.size();
    }

    /** Returns the per-node costs in graph order. */
    public List<NodeCost> nodes() {
        return nodes;
    }

    /** Returns the cost of the node named {@code name}, or null when there is none. */
    public NodeCost node(String name) {
        for (NodeCost cost : nodes) {
            if (cost.name().equals(name)) {
                return cost;
            }
        }
        return null;
    }

    /** Returns the ANN's MACs per image, padded kernel taps included (reported as {@code ann_macs_per_image}). */
    public long total() {
        return nodes.stream().mapToLong(NodeCost::macs).sum();
    }

    /** Returns the ANN's MACs per image on real input values only, padded kernel taps excluded. */
    public long totalReal() {
        return nodes.stream().mapToLong(NodeCost::realMacs).sum();
    }

    /** Returns the number of weight elements of all conv2d and linear nodes. */
    public long weights() {
        return nodes.stream().mapToLong(NodeCost::weights).sum();
    }

    /** Returns the number of bias elements of all conv2d and linear nodes. */
    public long biases() {
        return nodes.stream().mapToLong(NodeCost::biases).sum();
    }

    /** Returns the number of batch-norm elements (γ, β, running mean, running variance). */
    public long bnParams() {
        return nodes.stream().mapToLong(NodeCost::bnParams).sum();
    }

    /** Returns weights plus biases, batch norm excluded. */
    public long parameters() {
        return weights() + biases();
    }

    @Override
    public String toString() {
        return "Macs[total=" + total() + ", real=" + totalReal() + ", weights=" + weights() + ", biases=" + biases()
                + ", bn=" + bnParams() + ", nodes=" + Arrays.toString(nodes.stream().map(NodeCost::name).toArray())
                + "]";
    }
}
