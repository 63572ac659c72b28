package org.ratesim.sim;

import java.util.Locale;

/** Synaptic structure of a spiking layer; {@link #id()} is the name in the model file. */
public enum LayerType {
    CONV2D,
    LINEAR,
    AVG_POOL2D,
    MAX_POOL2D;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the type named {@code id}, or null when there is none. */
    public static LayerType fromId(String id) {
        for (LayerType type : values()) {
            if (type.id().equals(id)) {
                return type;
            }
        }
        return null;
    }
}
