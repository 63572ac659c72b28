package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.model.Graph;
import org.ratesim.model.Macs;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

/** {@code info MODEL}: the graph, shapes, T, L, parameter count and MACs, and the stored spiking network if any. */
final class InfoCommand {

    private InfoCommand() {
    }

    static int run(String[] argv, PrintStream out) throws IOException {
        Args args = Args.parse("info", argv, Set.of(), Set.of("--json"));
        if (args.positionals().size() != 1) {
            throw new UsageException("info needs exactly one MODEL file, got " + args.positionals().size());
        }
        String modelName = args.positionals().get(0);
        ModelFile model = ModelInput.readModel(modelName);
        Graph graph = model.ann().graph();
        Macs macs = Macs.of(model.ann());

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", modelName);
        json.put("input_shape", longs(graph.input().shape()));
        json.put("classes", (long) graph.input().classes());
        List<Object> quantizers = new ArrayList<>();
        List<Object> nodes = new ArrayList<>();
        for (Macs.NodeCost cost : macs.nodes()) {
            Node node = graph.node(cost.name());
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", cost.name());
            entry.put("op", cost.op().id());
            entry.put("inputs", node.inputs());
            entry.put("output_shape", longs(cost.outputShape()));
            entry.put("parameters", cost.weights() + cost.biases() + cost.bnParams());
            entry.put("macs", cost.macs());
            nodes.add(entry);
            if (node.op() == Op.CLAMP_FLOOR || node.op() == Op.INPUT_EXPANSION) {
                quantizers.add(Map.of("node", node.name(), "timesteps", node.longAttr("timesteps", 0),
                        "levels", node.doubleAttr("levels", 0)));
            }
        }
        json.put("quantizers", quantizers);
        json.put("nodes", nodes);
        json.put("weights", macs.weights());
        json.put("biases", macs.biases());
        json.put("batch_norm_parameters", macs.bnParams());
        json.put("parameters", macs.parameters());
        json.put("macs_per_image", macs.total());
        json.put("samples", model.ann().samples() == null ? 0L : (long) model.ann().samples().size());
        json.put("snn", model.snn() == null ? null : snnSummary(model.snn()));

        if (args.has("--json")) {
            out.println(Json.writePretty(json));
        } else {
            out.print(table(modelName, json, macs, graph, model.snn()));
        }
        return 0;
    }

    private static Map<String, Object> snnSummary(SnnNetwork snn) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("timesteps", (long) snn.timesteps());
        json.put("encoder", snn.encoder().type().name().toLowerCase(Locale.ROOT));
        json.put("levels", snn.encoder().levels());
        json.put("overflow_bound", snn.overflowBound());
        List<Object> layers = new ArrayList<>();
        List<SpikingLayer> all = new ArrayList<>(snn.layers());
        all.add(snn.readout());
        for (SpikingLayer layer : all) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", layer.name());
            entry.put("type", layer.type().id());
            entry.put("neuron", layer.neuron().id());
            entry.put("output_shape", longs(layer.outputShape()));
            entry.put("shift", (long) layer.shift());
            layers.add(entry);
        }
        json.put("layers", layers);
        return json;
    }

    private static String table(String modelName, Map<String, Object> json, Macs macs, Graph graph,
                                SnnNetwork snn) {
        StringBuilder text = new StringBuilder();
        text.append("model ").append(modelName).append('\n');
        text.append("input ").append(Arrays.toString(graph.input().shape())).append(", ")
                .append(graph.input().classes()).append(" classes\n");
        text.append(String.format(Locale.ROOT, "%-20s %-16s %-16s %14s %12s%n", "node", "op", "output shape",
                "parameters", "MACs"));
        for (Macs.NodeCost cost : macs.nodes()) {
            String attrs = "";
            Node node = graph.node(cost.name());
            if (node.op() == Op.CLAMP_FLOOR || node.op() == Op.INPUT_EXPANSION) {
                attrs = String.format(Locale.ROOT, "  T=%d L=%s", node.longAttr("timesteps", 0),
                        trim(node.doubleAttr("levels", 0)));
            }
            text.append(String.format(Locale.ROOT, "%-20s %-16s %-16s %14d %12d%s%n", cost.name(), cost.op().id(),
                    Arrays.toString(cost.outputShape()), cost.weights() + cost.biases() + cost.bnParams(),
                    cost.macs(), attrs));
        }
        text.append(String.format(Locale.ROOT, "parameters %d (weights %d, biases %d, batch norm %d)%n",
                macs.weights() + macs.biases() + macs.bnParams(), macs.weights(), macs.biases(), macs.bnParams()));
        text.append(String.format(Locale.ROOT, "MACs per image %d%n", macs.total()));
        text.append("embedded samples ").append(json.get("samples")).append('\n');
        if (snn != null) {
            text.append(String.format(Locale.ROOT, "spiking network: T=%d, encoder %s, L=%s, overflow bound %d%n",
                    snn.timesteps(), snn.encoder().type().name().toLowerCase(Locale.ROOT),
                    trim(snn.encoder().levels()), snn.overflowBound()));
            List<SpikingLayer> all = new ArrayList<>(snn.layers());
            all.add(snn.readout());
            for (SpikingLayer layer : all) {
                text.append(String.format(Locale.ROOT, "  %-20s %-12s %-10s %-16s shift %d%n", layer.name(),
                        layer.type().id(), layer.neuron().id(), Arrays.toString(layer.outputShape()),
                        layer.shift()));
            }
        } else {
            text.append("spiking network: none stored (run converts on the fly)\n");
        }
        return text.toString();
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }

    static List<Object> longs(int[] values) {
        List<Object> list = new ArrayList<>();
        for (int v : values) {
            list.add((long) v);
        }
        return list;
    }
}
