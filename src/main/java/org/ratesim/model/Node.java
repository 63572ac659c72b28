package org.ratesim.model;

import java.util.List;
import java.util.Map;

/**
 * One named node of the ANN graph.
 *
 * @param name   unique node name
 * @param op     operator
 * @param inputs names of the nodes (or the graph input) it reads, in order
 * @param attrs  operator attributes as parsed from JSON: {@code Long}, {@code Double}, {@code String},
 *               {@code Boolean}, {@code List} or {@code Map} values
 * @param params parameter role (for example {@code weight}) to tensor name in the container
 */
public record Node(String name, Op op, List<String> inputs, Map<String, Object> attrs, Map<String, String> params) {

    public Node {
        inputs = List.copyOf(inputs);
        attrs = Map.copyOf(attrs);
        params = Map.copyOf(params);
    }

    /** Returns the single input's name. */
    public String input() {
        return inputs.get(0);
    }

    /** Returns an integer attribute, or {@code defaultValue} when absent. */
    public long longAttr(String key, long defaultValue) {
        Object value = attrs.get(key);
        return value == null ? defaultValue : ((Number) value).longValue();
    }

    /** Returns a numeric attribute, or {@code defaultValue} when absent. */
    public double doubleAttr(String key, double defaultValue) {
        Object value = attrs.get(key);
        return value == null ? defaultValue : ((Number) value).doubleValue();
    }

    /** Returns an integer list attribute, or {@code defaultValue} when absent. */
    public int[] intsAttr(String key, int[] defaultValue) {
        Object value = attrs.get(key);
        if (value == null) {
            return defaultValue.clone();
        }
        List<?> list = (List<?>) value;
        int[] result = new int[list.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = Math.toIntExact(((Number) list.get(i)).longValue());
        }
        return result;
    }

    /** Returns a string attribute, or {@code defaultValue} when absent. */
    public String stringAttr(String key, String defaultValue) {
        Object value = attrs.get(key);
        return value == null ? defaultValue : (String) value;
    }
}
