package org.ratesim.sim;

import java.util.Arrays;

/**
 * The spikes of one layer over the window, as neuron indices grouped by step.
 *
 * <p>Events of step t (1-based) are {@code events[stepStart[t - 1] .. stepStart[t])}. The event array grows while
 * a workspace warms up and is reused afterwards.
 */
final class SpikeTrain {

    int[] events;
    final int[] stepStart;
    int size;

    SpikeTrain(int timesteps, int initialCapacity) {
        events = new int[Math.max(16, initialCapacity)];
        stepStart = new int[timesteps + 1];
    }

    void clear() {
        size = 0;
        stepStart[0] = 0;
    }

    /** Makes room for {@code extra} more events. */
    void reserve(int extra) {
        long needed = (long) size + extra;
        if (needed > events.length) {
            long grown = Math.max(needed, Math.min(Integer.MAX_VALUE - 8L, (long) events.length * 2));
            events = Arrays.copyOf(events, (int) grown);
        }
    }

    void add(int neuron) {
        events[size++] = neuron;
    }

    /** Closes step t (1-based): events added since the previous call belong to it. */
    void endStep(int t) {
        stepStart[t] = size;
    }

    int stepBegin(int t) {
        return stepStart[t - 1];
    }

    int stepEnd(int t) {
        return stepStart[t];
    }
}
