package org.ratesim.properties;

import org.junit.jupiter.api.Test;
import org.ratesim.sim.ResetMode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Hand-checked cases that pin the test oracle before properties rely on it. */
class ReferenceIfNeuronTest {

    private static boolean[] spikesAt(int steps, int... oneBasedSteps) {
        boolean[] spikes = new boolean[steps];
        for (int step : oneBasedSteps) {
            spikes[step - 1] = true;
        }
        return spikes;
    }

    @Test
    void subtractResetKeepsExcessCharge() {
        // Threshold 10, current 6: potentials 6, 12 -> 2, 8, 14 -> 4, 10 -> 0.
        ReferenceIfNeuron.Trace five = ReferenceIfNeuron.runConstant(6, 5, 10, ResetMode.SUBTRACT);
        ReferenceIfNeuron.Trace ten = ReferenceIfNeuron.runConstant(6, 10, 10, ResetMode.SUBTRACT);

        assertArrayEquals(spikesAt(5, 2, 4, 5), five.spikes());
        assertEquals(3, five.count());
        assertEquals(0, five.finalPotential());
        assertArrayEquals(spikesAt(10, 2, 4, 5, 7, 9, 10), ten.spikes());
        assertEquals(0, ten.finalPotential());
    }

    @Test
    void zeroResetDropsExcessCharge() {
        // Threshold 10, current 6: potentials 6, 12 -> 0, 6, 12 -> 0, 6.
        ReferenceIfNeuron.Trace five = ReferenceIfNeuron.runConstant(6, 5, 10, ResetMode.ZERO);
        ReferenceIfNeuron.Trace ten = ReferenceIfNeuron.runConstant(6, 10, 10, ResetMode.ZERO);

        assertArrayEquals(spikesAt(5, 2, 4), five.spikes());
        assertEquals(6, five.finalPotential());
        assertArrayEquals(spikesAt(10, 2, 4, 6, 8, 10), ten.spikes());
    }

    @Test
    void oneSpikePerStepAtMost() {
        // Current 25 against threshold 10 fires every step and the excess piles up: 15, 30, 45.
        ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant(25, 3, 10, ResetMode.SUBTRACT);

        assertEquals(3, trace.count());
        assertEquals(45, trace.finalPotential());
    }

    @Test
    void lateChargeIsLostEarlyChargeOverfires() {
        // Charge 20 against threshold 10 in the last step gives 1 spike, not 2. Early charge that later current
        // cancels gives 1 spike, not 0.
        ReferenceIfNeuron.Trace late = ReferenceIfNeuron.run(new long[] {0, 0, 20}, 10, ResetMode.SUBTRACT);
        ReferenceIfNeuron.Trace early = ReferenceIfNeuron.run(new long[] {10, -10, 0}, 10, ResetMode.SUBTRACT);

        assertEquals(1, late.count());
        assertEquals(10, late.finalPotential());
        assertEquals(1, early.count());
        assertEquals(-10, early.finalPotential());
    }

    @Test
    void asgDependsOnlyOnTotalCharge() {
        // Total charge 20 over 3 steps against threshold 10 gives floor(20 / 10) = 2 spikes, at steps 2 and 3.
        ReferenceIfNeuron.Trace late = ReferenceIfNeuron.runAsg(new long[] {0, 0, 20}, 10);
        ReferenceIfNeuron.Trace early = ReferenceIfNeuron.runAsg(new long[] {20, 0, 0}, 10);

        assertArrayEquals(spikesAt(3, 2, 3), late.spikes());
        assertArrayEquals(late.spikes(), early.spikes());
    }
}
