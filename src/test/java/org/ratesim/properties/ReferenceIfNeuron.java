package org.ratesim.properties;

import org.ratesim.sim.ResetMode;

import java.util.Arrays;

/**
 * Test oracle, not part of ratesim: one integrate-and-fire neuron stepped through its window in exact long
 * arithmetic, written for clarity rather than speed. Properties compare closed forms and real kernels against it.
 *
 * <p>The potential starts at 0. At each step t = 1..T it adds the step's current I_t. When it is then at least the
 * threshold, the neuron emits one spike (at most one per step) and resets by subtracting the threshold or to zero.
 * The potential has no lower bound. Callers keep |I_t| · T well below 2^62 so the sums cannot overflow.
 */
public final class ReferenceIfNeuron {

    /**
     * What one neuron did over its window.
     *
     * @param spikes         {@code spikes[t - 1]} is whether the neuron fired at step t
     * @param count          number of spikes
     * @param finalPotential membrane potential after the last step's reset
     */
    public record Trace(boolean[] spikes, int count, long finalPotential) {
    }

    private ReferenceIfNeuron() {
    }

    /** Runs the neuron over {@code currents.length} steps with threshold {@code threshold}. */
    public static Trace run(long[] currents, long threshold, ResetMode reset) {
        boolean[] spikes = new boolean[currents.length];
        int count = 0;
        long potential = 0;
        for (int step = 0; step < currents.length; step++) {
            potential += currents[step];
            if (potential >= threshold) {
                spikes[step] = true;
                count++;
                potential = reset == ResetMode.ZERO ? 0 : potential - threshold;
            }
        }
        return new Trace(spikes, count, potential);
    }

    /** Runs the neuron with the same current {@code current} at each of {@code steps} steps. */
    public static Trace runConstant(long current, int steps, long threshold, ResetMode reset) {
        long[] currents = new long[steps];
        Arrays.fill(currents, current);
        return run(currents, threshold, reset);
    }

    /**
     * Runs an ASG neuron: it waits for the whole window, then feeds the mean current as a constant current to the
     * IF neuron. To stay in integers, both the mean current S/T and the threshold are multiplied by T, which
     * leaves every comparison unchanged.
     */
    public static Trace runAsg(long[] currents, long threshold) {
        long totalCharge = 0;
        for (long current : currents) {
            totalCharge += current;
        }
        int steps = currents.length;
        return runConstant(totalCharge, steps, threshold * steps, ResetMode.SUBTRACT);
    }
}
