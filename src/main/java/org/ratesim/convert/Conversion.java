package org.ratesim.convert;

import java.util.List;
import java.util.Locale;
import org.ratesim.sim.SnnNetwork;

/**
 * The result of a conversion: the spiking network and one report per layer, hidden layers first, readout last.
 *
 * @param network the spiking network
 * @param layers  per-layer choices, in network order, the readout last
 */
public record Conversion(SnnNetwork network, List<LayerReport> layers) {

    public Conversion {
        layers = List.copyOf(layers);
    }

    /** Formats the per-layer report as an aligned text table, one line per layer. */
    public String formatTable() {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-24s %-11s %-10s %5s %9s %13s%n",
                "layer", "type", "neuron", "shift", "max|w|", "bound"));
        for (LayerReport layer : layers) {
            text.append(String.format(Locale.ROOT, "%-24s %-11s %-10s %5d %9d %13d%n", layer.name(),
                    layer.type().id(), layer.neuron().id(), layer.shift(), layer.maxAbsWeight(), layer.bound()));
        }
        text.append(String.format(Locale.ROOT, "overflow bound %d of %d%n", network.overflowBound(),
                Integer.MAX_VALUE));
        return text.toString();
    }
}
