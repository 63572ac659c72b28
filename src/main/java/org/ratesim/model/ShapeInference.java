package org.ratesim.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ratesim.io.InvalidModelException;
import org.ratesim.io.Json;

/**
 * Output shapes of graph nodes: {@code [C, H, W]} for feature maps and {@code [N]} for vectors, per image.
 *
 * <p>Sizes follow PyTorch: H_out = floor((H + top + bottom − dh·(KH − 1) − 1) / sh) + 1, likewise for W. The
 * methods expect attributes of the right types ({@link GraphValidator} checks them first) and throw
 * {@link InvalidModelException}, naming the node, when the shapes do not fit together.
 */
public final class ShapeInference {

    private ShapeInference() {
    }

    /** Returns the shape of the input and of every node, by name, in graph order. */
    public static Map<String, int[]> infer(Graph graph, Map<String, int[]> paramShapes) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(graph.input().name(), graph.input().shape());
        for (Node node : graph.nodes()) {
            int[] input = shapes.get(node.input());
            if (input == null) {
                throw new InvalidModelException(where(node) + ": input \"" + Json.abbreviate(node.input())
                        + "\" is not the graph input or an earlier node");
            }
            shapes.put(node.name(), outputShape(node, input, paramShapes));
        }
        return shapes;
    }

    /** Returns the shape of the input and of every node of a model, using its parameter tensors' shapes. */
    public static Map<String, int[]> infer(Model model) {
        Map<String, int[]> paramShapes = new LinkedHashMap<>();
        model.params().forEach((name, tensor) -> paramShapes.put(name, tensor.shape()));
        return infer(model.graph(), paramShapes);
    }

    /**
     * Returns the output shape of one node.
     *
     * @param input       the shape of the node's input
     * @param paramShapes shapes of the parameter tensors by container name
     */
    public static int[] outputShape(Node node, int[] input, Map<String, int[]> paramShapes) {
        switch (node.op()) {
            case CONV2D:
                return conv2d(node, input, paramShapes);
            case LINEAR:
                return linear(node, input, paramShapes);
            case BATCH_NORM:
                for (String role : List.of("weight", "bias", "running_mean", "running_var")) {
                    requireParamShape(node, role, paramShapes, input[0]);
                }
                return input.clone();
            case RELU:
            case DROPOUT:
            case CLAMP_FLOOR:
                return input.clone();
            case INPUT_EXPANSION: {
                requireFeatureMap(node, input);
                int groups = node.intsAttr("offsets", new int[0]).length;
                return new int[] {checkedInt(node, (long) input[0] * groups), input[1], input[2]};
            }
            case AVG_POOL2D:
            case MAX_POOL2D:
                return pool(node, input);
            case FLATTEN:
                requireFeatureMap(node, input);
                return new int[] {checkedInt(node, (long) input[0] * input[1] * input[2])};
            default:
                throw new IllegalStateException("operator " + node.op() + " has no shape rule");
        }
    }

    private static int[] conv2d(Node node, int[] input, Map<String, int[]> paramShapes) {
        requireFeatureMap(node, input);
        int[] weight = paramShape(node, "weight", paramShapes);
        if (weight.length != 4) {
            throw new InvalidModelException(where(node) + ": weight shape " + Arrays.toString(weight)
                    + " must be [Cout, Cin/groups, KH, KW]");
        }
        int groups = (int) node.longAttr("groups", 1);
        if (input[0] % groups != 0 || weight[0] % groups != 0) {
            throw new InvalidModelException(where(node) + ": groups " + groups + " must divide the input channels "
                    + input[0] + " and the output channels " + weight[0]);
        }
        if (weight[1] != input[0] / groups || weight[0] < 1 || weight[2] < 1 || weight[3] < 1) {
            throw new InvalidModelException(where(node) + ": weight shape " + Arrays.toString(weight)
                    + " does not fit input " + Arrays.toString(input) + " with groups " + groups + "; expected ["
                    + "Cout, " + input[0] / groups + ", KH, KW] with every size at least 1");
        }
        requireOptionalParamShape(node, "bias", paramShapes, weight[0]);
        int[] stride = node.intsAttr("stride", new int[] {1, 1});
        int[] padding = node.intsAttr("padding", new int[] {0, 0, 0, 0});
        int[] dilation = node.intsAttr("dilation", new int[] {1, 1});
        int height = outputSize(node, "height", input[1], padding[0], padding[1], dilation[0], weight[2], stride[0]);
        int width = outputSize(node, "width", input[2], padding[2], padding[3], dilation[1], weight[3], stride[1]);
        return new int[] {weight[0], height, width};
    }

    private static int[] linear(Node node, int[] input, Map<String, int[]> paramShapes) {
        if (input.length != 1) {
            throw new InvalidModelException(where(node) + ": input shape " + Arrays.toString(input)
                    + " must be a vector [N]; insert a flatten node before it");
        }
        int[] weight = paramShape(node, "weight", paramShapes);
        if (weight.length != 2 || weight[1] != input[0] || weight[0] < 1) {
            throw new InvalidModelException(where(node) + ": weight shape " + Arrays.toString(weight)
                    + " must be [Out, " + input[0] + "] with Out at least 1");
        }
        requireOptionalParamShape(node, "bias", paramShapes, weight[0]);
        return new int[] {weight[0]};
    }

    private static int[] pool(Node node, int[] input) {
        requireFeatureMap(node, input);
        int[] kernel = node.intsAttr("kernel", new int[] {1, 1});
        int[] stride = node.intsAttr("stride", kernel);
        int[] padding = node.intsAttr("padding", new int[] {0, 0, 0, 0});
        int height = outputSize(node, "height", input[1], padding[0], padding[1], 1, kernel[0], stride[0]);
        int width = outputSize(node, "width", input[2], padding[2], padding[3], 1, kernel[1], stride[1]);
        return new int[] {input[0], height, width};
    }

    /** Returns one output dimension; all terms are at most 2^31, so the long arithmetic cannot overflow. */
    private static int outputSize(Node node, String axis, int size, int before, int after, int dilation,
                                  int kernel, int stride) {
        long padded = (long) size + before + after;
        long span = (long) dilation * (kernel - 1) + 1;
        if (span > padded) {
            throw new InvalidModelException(where(node) + ": kernel " + axis + " " + kernel + " (dilation "
                    + dilation + ", span " + span + ") is larger than the padded input " + axis + " " + padded);
        }
        return checkedInt(node, (padded - span) / stride + 1);
    }

    private static void requireFeatureMap(Node node, int[] input) {
        if (input.length != 3) {
            throw new InvalidModelException(where(node) + ": input shape " + Arrays.toString(input)
                    + " must be a feature map [C, H, W]");
        }
    }

    private static int[] paramShape(Node node, String role, Map<String, int[]> paramShapes) {
        String tensor = node.params().get(role);
        int[] shape = tensor == null ? null : paramShapes.get(tensor);
        if (shape == null) {
            throw new InvalidModelException(where(node) + ": parameter " + role + " (tensor \""
                    + Json.abbreviate(String.valueOf(tensor)) + "\") is missing");
        }
        return shape;
    }

    private static void requireParamShape(Node node, String role, Map<String, int[]> paramShapes, int size) {
        int[] shape = paramShape(node, role, paramShapes);
        if (shape.length != 1 || shape[0] != size) {
            throw new InvalidModelException(where(node) + ": parameter " + role + " (tensor \""
                    + Json.abbreviate(node.params().get(role)) + "\") has shape " + Arrays.toString(shape)
                    + ", expected [" + size + "]");
        }
    }

    private static void requireOptionalParamShape(Node node, String role, Map<String, int[]> paramShapes, int size) {
        if (node.params().containsKey(role)) {
            requireParamShape(node, role, paramShapes, size);
        }
    }

    private static int checkedInt(Node node, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new InvalidModelException(where(node) + ": output size " + value + " exceeds 2^31 - 1");
        }
        return (int) value;
    }

    static String where(Node node) {
        return "node \"" + Json.abbreviate(node.name()) + "\" (" + node.op().id() + ")";
    }
}
