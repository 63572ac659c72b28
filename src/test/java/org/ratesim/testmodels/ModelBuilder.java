package org.ratesim.testmodels;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.tensor.Tensor;

/** Builds chain models in code for tests: each added node reads the previous one. */
public final class ModelBuilder {

    private final InputSpec input;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> params = new HashMap<>();
    private String last;

    public ModelBuilder(int channels, int height, int width, int classes) {
        this.input = InputSpec.ofBytes("input", new int[] {channels, height, width}, classes);
        this.last = "input";
    }

    public ModelBuilder(InputSpec input) {
        this.input = input;
        this.last = input.name();
    }

    public ModelBuilder clampFloor(String name, int timesteps, double levels) {
        return add(name, Op.CLAMP_FLOOR, attrs("timesteps", timesteps, "levels", levels), Map.of());
    }

    public ModelBuilder inputExpansion(String name, int timesteps, double levels, int... offsets) {
        return add(name, Op.INPUT_EXPANSION,
                attrs("timesteps", timesteps, "levels", levels, "offsets", list(offsets)), Map.of());
    }

    /** Adds a conv2d with weight [Cout, Cin/groups, KH, KW] and optional bias; extra attrs as key, value pairs. */
    public ModelBuilder conv(String name, float[] weight, int[] weightShape, float[] bias, Object... attrPairs) {
        Map<String, Object> attrs = attrs(attrPairs);
        Map<String, String> roles = new LinkedHashMap<>();
        roles.put("weight", name + ".weight");
        params.put(name + ".weight", Tensor.of(weight, weightShape));
        if (bias != null) {
            roles.put("bias", name + ".bias");
            params.put(name + ".bias", Tensor.of(bias, weightShape[0]));
        }
        return add(name, Op.CONV2D, attrs, roles);
    }

    /** Adds a linear node with weight [out, in] (row-major) and optional bias. */
    public ModelBuilder linear(String name, float[] weight, int out, int in, float[] bias) {
        Map<String, String> roles = new LinkedHashMap<>();
        roles.put("weight", name + ".weight");
        params.put(name + ".weight", Tensor.of(weight, out, in));
        if (bias != null) {
            roles.put("bias", name + ".bias");
            params.put(name + ".bias", Tensor.of(bias, out));
        }
        return add(name, Op.LINEAR, Map.of(), roles);
    }

    public ModelBuilder batchNorm(String name, float[] gamma, float[] beta, float[] mean, float[] variance,
                                  double eps) {
        Map<String, String> roles = new LinkedHashMap<>();
        String[] keys = {"weight", "bias", "running_mean", "running_var"};
        float[][] values = {gamma, beta, mean, variance};
        for (int i = 0; i < keys.length; i++) {
            roles.put(keys[i], name + "." + keys[i]);
            params.put(name + "." + keys[i], Tensor.of(values[i], values[i].length));
        }
        return add(name, Op.BATCH_NORM, attrs("eps", eps), roles);
    }

    public ModelBuilder avgPool(String name, int[] kernel, int[] stride, int[] padding) {
        return add(name, Op.AVG_POOL2D, poolAttrs(kernel, stride, padding), Map.of());
    }

    public ModelBuilder maxPool(String name, int[] kernel, int[] stride, int[] padding) {
        return add(name, Op.MAX_POOL2D, poolAttrs(kernel, stride, padding), Map.of());
    }

    public ModelBuilder flatten(String name, String order) {
        return add(name, Op.FLATTEN, attrs("order", order), Map.of());
    }

    public ModelBuilder relu(String name) {
        return add(name, Op.RELU, Map.of(), Map.of());
    }

    public ModelBuilder dropout(String name) {
        return add(name, Op.DROPOUT, Map.of(), Map.of());
    }

    /** Adds a node that reads {@code inputName} instead of the previous node (to build non-chains). */
    public ModelBuilder reading(String inputName) {
        last = inputName;
        return this;
    }

    public Model build() {
        return new Model(new Graph(input, nodes, last), params, null);
    }

    private ModelBuilder add(String name, Op op, Map<String, Object> attrs, Map<String, String> roles) {
        nodes.add(new Node(name, op, List.of(last), attrs, roles));
        last = name;
        return this;
    }

    private static Map<String, Object> poolAttrs(int[] kernel, int[] stride, int[] padding) {
        Map<String, Object> attrs = new HashMap<>();
        attrs.put("kernel", list(kernel));
        if (stride != null) {
            attrs.put("stride", list(stride));
        }
        if (padding != null) {
            attrs.put("padding", list(padding));
        }
        return attrs;
    }

    /** Returns a map of key, value pairs, converting int arrays to lists as the JSON reader would. */
    public static Map<String, Object> attrs(Object... pairs) {
        Map<String, Object> attrs = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            Object value = pairs[i + 1];
            attrs.put((String) pairs[i], value instanceof int[] ? list((int[]) value) : value);
        }
        return attrs;
    }

    private static List<Object> list(int[] values) {
        List<Object> list = new ArrayList<>();
        for (int v : values) {
            list.add((long) v);
        }
        return list;
    }
}
