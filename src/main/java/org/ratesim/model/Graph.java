package org.ratesim.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ANN graph: a DAG of named nodes in topological order, read from the model file's {@code graph} metadata.
 *
 * @param input  the graph input
 * @param nodes  nodes in topological order
 * @param output name of the node that produces the logits
 */
public record Graph(InputSpec input, List<Node> nodes, String output) {

    public Graph {
        nodes = List.copyOf(nodes);
    }

    /** Returns the node named {@code name}, or null when the graph has none. */
    public Node node(String name) {
        for (Node node : nodes) {
            if (node.name().equals(name)) {
                return node;
            }
        }
        return null;
    }

    /** Returns, for each node and the input, the number of nodes that read it. */
    public Map<String, Integer> consumerCounts() {
        Map<String, Integer> counts = new HashMap<>();
        counts.put(input.name(), 0);
        for (Node node : nodes) {
            counts.putIfAbsent(node.name(), 0);
            for (String in : node.inputs()) {
                counts.merge(in, 1, Integer::sum);
            }
        }
        return counts;
    }
}
