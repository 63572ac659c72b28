package org.ratesim.convert;

import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;

/**
 * Settings of one conversion.
 *
 * @param neuron  neuron rule of the hidden layers: {@link NeuronRule#ASG} (exact) or {@link NeuronRule#IF}
 * @param reset   reset of IF neurons after a spike (ASG layers ignore it)
 * @param epsilon margin subtracted from every hidden threshold T/L, in activation units. 0 keeps ASG networks
 *                exactly equal to the quantized ANN. A margin such as 0.001 makes a neuron fire one extra spike when
 *                its activation lies just below a level boundary
 */
public record ConversionOptions(NeuronRule neuron, ResetMode reset, double epsilon) {

    public ConversionOptions {
        if (neuron != NeuronRule.ASG && neuron != NeuronRule.IF) {
            throw new IllegalArgumentException("invalid neuron rule " + neuron + ": the converter produces asg or if");
        }
        if (reset == null) {
            throw new IllegalArgumentException("missing reset mode: use subtract or zero");
        }
        if (!(epsilon >= 0.0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("invalid epsilon " + epsilon + ": expected a finite number >= 0");
        }
    }

    /** Returns ASG neurons, reset by subtraction, and epsilon 0. */
    public static ConversionOptions defaults() {
        return new ConversionOptions(NeuronRule.ASG, ResetMode.SUBTRACT, 0.0);
    }

    /** Returns a copy with another neuron rule. */
    public ConversionOptions withNeuron(NeuronRule newNeuron) {
        return new ConversionOptions(newNeuron, reset, epsilon);
    }

    /** Returns a copy with another reset mode. */
    public ConversionOptions withReset(ResetMode newReset) {
        return new ConversionOptions(neuron, newReset, epsilon);
    }

    /** Returns a copy with another threshold margin. */
    public ConversionOptions withEpsilon(double newEpsilon) {
        return new ConversionOptions(neuron, reset, newEpsilon);
    }
}
