package org.ratesim.model;

import java.util.Map;
import org.ratesim.tensor.Tensor;

/**
 * An ANN: its graph, its parameter tensors by name, and the optional labelled samples embedded in its file.
 *
 * @param graph   the graph
 * @param params  F32 parameter tensors by container name
 * @param samples embedded samples, or null
 */
public record Model(Graph graph, Map<String, Tensor> params, Dataset samples) {

    public Model {
        params = Map.copyOf(params);
    }

    /** Returns the tensor that plays {@code role} in {@code node}, or null when the node has none. */
    public Tensor param(Node node, String role) {
        String name = node.params().get(role);
        return name == null ? null : params.get(name);
    }
}
