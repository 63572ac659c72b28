package org.ratesim.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

/** Turns evaluation reports into the JSON document of {@code --json} and the text table. */
final class ReportFormat {

    private ReportFormat() {
    }

    /**
     * Returns the JSON object of one run. The keys up to {@code kernels} are a stable contract; the rest may grow.
     */
    static Map<String, Object> toJson(String modelName, EvaluationReport report, SnnNetwork network, long macs) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", modelName);
        json.put("images", (long) report.images());
        json.put("timesteps", (long) report.timesteps());
        boolean analog = network.encoder().type() == Encoder.Type.ANALOG;
        // Analog input has no resolution L: the pixels enter as a constant current.
        json.put("levels", analog ? null : report.levels());
        json.put("neuron", report.neuron().id());
        json.put("ann_accuracy", nullable(report.annAccuracy()));
        json.put("snn_accuracy", report.snnAccuracy());
        json.put("agreement", nullable(report.agreement()));
        json.put("exact_mismatch_neurons", report.exactMismatchNeurons() < 0 ? null : report.exactMismatchNeurons());
        json.put("input_spikes_per_image", report.inputSpikesPerImage());
        json.put("spikes_per_image", report.spikesPerImage());
        json.put("synaptic_ops_per_image", report.synapticOpsPerImage());
        json.put("ann_macs_per_image", macs);
        json.put("images_per_second", report.imagesPerSecond());
        json.put("kernels", report.kernels());

        json.put("int_ann_accuracy", nullable(report.intAnnAccuracy()));
        json.put("int_agreement", nullable(report.intAgreement()));
        json.put("window_latency", (long) network.timesteps());
        json.put("streaming_latency", streamingLatency(network));
        json.put("overflow_bound", network.overflowBound());
        json.put("threads", (long) report.threads());
        json.put("seconds", report.seconds());
        json.put("input_encoding", network.encoder().type().name().toLowerCase(Locale.ROOT));

        List<Object> layers = new ArrayList<>();
        List<String> names = report.layerNames();
        for (int l = 0; l < names.size(); l++) {
            boolean readout = l == names.size() - 1;
            Map<String, Object> layer = new LinkedHashMap<>();
            layer.put("name", names.get(l));
            SpikingLayer spiking = readout ? network.readout() : network.layers().get(l);
            layer.put("type", spiking.type().id());
            layer.put("neuron", spiking.neuron().id());
            layer.put("neurons", (long) spiking.outputNeurons());
            layer.put("spikes_per_image", readout ? null : report.spikesPerLayer()[l]);
            layer.put("synaptic_ops_per_image", report.synapticOpsPerLayer()[l]);
            layer.put("mismatch_neurons", readout || report.exactMismatchNeurons() < 0 ? null
                    : report.mismatchesPerLayer()[l]);
            layers.add(layer);
        }
        json.put("layers", layers);
        return json;
    }

    /**
     * Returns the time steps from the first input spike to the final readout when layers stream: an ASG layer
     * emits only after its whole window, so each one adds T steps; IF layers add none.
     */
    static long streamingLatency(SnnNetwork network) {
        long asgLayers = network.layers().stream().filter(l -> l.neuron() == NeuronRule.ASG).count();
        return (asgLayers + 1) * network.timesteps();
    }

    private static Object nullable(double value) {
        return Double.isNaN(value) ? null : value;
    }

    private static final String[][] ROWS = {
        {"images", "images", "int"},
        {"timesteps", "time steps T (window latency)", "int"},
        {"streaming_latency", "streaming latency (steps)", "int"},
        {"input_encoding", "input encoding", "text"},
        {"levels", "levels L", "num"},
        {"neuron", "neuron rule", "text"},
        {"ann_accuracy", "float ANN accuracy", "pct"},
        {"int_ann_accuracy", "integer ANN accuracy", "pct"},
        {"snn_accuracy", "SNN accuracy", "pct"},
        {"agreement", "agreement with float ANN", "pct"},
        {"int_agreement", "agreement with integer ANN", "pct"},
        {"exact_mismatch_neurons", "exactness mismatches (neurons)", "int"},
        {"input_spikes_per_image", "input spikes / image", "num"},
        {"spikes_per_image", "hidden spikes / image", "num"},
        {"synaptic_ops_per_image", "synaptic ops / image", "num"},
        {"ann_macs_per_image", "ANN MACs / image", "int"},
        {"overflow_bound", "overflow bound (of 2147483647)", "int"},
        {"images_per_second", "images / second", "num"},
        {"threads", "threads", "int"},
        {"kernels", "kernels", "text"},
    };

    /** Formats runs side by side: one row per metric, one column per model. */
    static String table(List<Map<String, Object>> runs) {
        List<String[]> lines = new ArrayList<>();
        String[] header = new String[runs.size() + 1];
        header[0] = "metric";
        for (int r = 0; r < runs.size(); r++) {
            header[r + 1] = shortName((String) runs.get(r).get("model"));
        }
        lines.add(header);
        for (String[] row : ROWS) {
            String[] line = new String[runs.size() + 1];
            line[0] = row[1];
            for (int r = 0; r < runs.size(); r++) {
                line[r + 1] = format(runs.get(r).get(row[0]), row[2]);
            }
            lines.add(line);
        }

        int[] widths = new int[header.length];
        for (String[] line : lines) {
            for (int c = 0; c < line.length; c++) {
                widths[c] = Math.max(widths[c], line[c].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] line : lines) {
            text.append(String.format(Locale.ROOT, "%-" + widths[0] + "s", line[0]));
            for (int c = 1; c < line.length; c++) {
                text.append("  ").append(String.format(Locale.ROOT, "%" + widths[c] + "s", line[c]));
            }
            text.append('\n');
        }
        return text.toString();
    }

    private static String shortName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }

    private static String format(Object value, String kind) {
        if (value == null) {
            return "n/a";
        }
        switch (kind) {
            case "pct":
                return String.format(Locale.ROOT, "%.2f %%", 100.0 * ((Number) value).doubleValue());
            case "num":
                return String.format(Locale.ROOT, "%.1f", ((Number) value).doubleValue());
            case "int":
                return String.valueOf(((Number) value).longValue());
            default:
                return String.valueOf(value);
        }
    }
}
