package org.ratesim.sim;

import java.util.Locale;

/** Reset rule of an IF neuron: the membrane potential it keeps after a spike. */
public enum ResetMode {
    /** Subtract the threshold, keeping the excess charge (the default). */
    SUBTRACT,
    /** Set the membrane potential to zero, discarding the excess (for comparison only). */
    ZERO;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the mode named {@code id}, or null when there is none. */
    public static ResetMode fromId(String id) {
        for (ResetMode mode : values()) {
            if (mode.id().equals(id)) {
                return mode;
            }
        }
        return null;
    }
}
