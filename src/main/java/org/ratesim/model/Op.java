package org.ratesim.model;

import java.util.Locale;

/** Operators of the ANN graph; {@link #id()} is the name used in the model file. */
public enum Op {
    CONV2D,
    LINEAR,
    BATCH_NORM,
    RELU,
    CLAMP_FLOOR,
    INPUT_EXPANSION,
    AVG_POOL2D,
    MAX_POOL2D,
    FLATTEN,
    DROPOUT;

    /** Returns the operator's name in the model file, for example {@code conv2d}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the operator named {@code id} in the model file, or null when there is none. */
    public static Op fromId(String id) {
        for (Op op : values()) {
            if (op.id().equals(id)) {
                return op;
            }
        }
        return null;
    }
}
