package org.ratesim.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A valid model file opened for editing, so a test can break one rule and write the result: the parsed graph and
 * snn documents, the metadata and the tensors.
 */
final class EditableModel {

    final Map<String, Object> graph;
    final Map<String, Object> snn;
    final Map<String, String> metadata;
    final Map<String, Safetensors.Entry> tensors;

    @SuppressWarnings("unchecked")
    EditableModel(byte[] validFile) {
        Safetensors.Container container = Safetensors.read(validFile, "valid", ReaderLimits.DEFAULTS);
        metadata = new LinkedHashMap<>(container.metadata());
        tensors = new LinkedHashMap<>(container.tensors());
        Json.Limits limits = new Json.Limits(1 << 24, 64, 1 << 24, 1 << 20);
        graph = (Map<String, Object>) Json.parse(metadata.get("graph"), limits);
        snn = metadata.containsKey("snn") ? (Map<String, Object>) Json.parse(metadata.get("snn"), limits) : null;
    }

    static EditableModel valid() {
        return new EditableModel(TestModels.bytes(1));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> input() {
        return (Map<String, Object>) graph.get("input");
    }

    @SuppressWarnings("unchecked")
    List<Object> nodes() {
        return (List<Object>) graph.get("nodes");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> node(String name) {
        for (Object node : nodes()) {
            if (name.equals(((Map<String, Object>) node).get("name"))) {
                return (Map<String, Object>) node;
            }
        }
        throw new IllegalArgumentException("no node " + name);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> attrs(String node) {
        return (Map<String, Object>) node(node).computeIfAbsent("attrs", key -> new LinkedHashMap<>());
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> layer(String name) {
        if (name.equals(((Map<String, Object>) snn.get("readout")).get("name"))) {
            return (Map<String, Object>) snn.get("readout");
        }
        for (Object layer : (List<Object>) snn.get("layers")) {
            if (name.equals(((Map<String, Object>) layer).get("name"))) {
                return (Map<String, Object>) layer;
            }
        }
        throw new IllegalArgumentException("no layer " + name);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> encoder() {
        return (Map<String, Object>) snn.get("encoder");
    }

    /** Replaces a tensor with an F32 tensor of the given values and shape. */
    void setFloats(String tensor, float[] values, int... shape) {
        tensors.put(tensor, Safetensors.Entry.ofFloats(values, shape));
    }

    byte[] bytes() {
        Map<String, String> out = new LinkedHashMap<>(metadata);
        out.put("graph", Json.write(graph));
        if (snn != null) {
            out.put("snn", Json.write(snn));
        }
        return Safetensors.write(tensors, out);
    }
}
