package org.ratesim.sim;

import java.util.Locale;

/** Spiking rule of a layer's neurons, from membrane potential to spikes; {@link #id()} is its name in the model file. */
public enum NeuronRule {
    /** Accumulate the whole window, then emit evenly spaced spikes: exactly the quantized ANN. */
    ASG,
    /** Plain integrate-and-fire with one threshold per layer, firing as input arrives. */
    IF,
    /** Plain integrate-and-fire with per-channel thresholds calibrated by CTT. */
    IF_CTT,
    /** Non-spiking readout that sums its input current over the window. */
    ACCUMULATE;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the rule named {@code id}, or null when there is none. */
    public static NeuronRule fromId(String id) {
        for (NeuronRule rule : values()) {
            if (rule.id().equals(id)) {
                return rule;
            }
        }
        return null;
    }
}
