package org.ratesim.convert;

import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;

/**
 * Converter choices for one layer.
 *
 * @param name         name of the ANN node
 * @param type         synaptic structure
 * @param neuron       neuron rule ({@link NeuronRule#ACCUMULATE} for the readout)
 * @param shift        integer units are 2^−shift of the real value (0 for max pools)
 * @param maxAbsWeight largest absolute integer weight (0 for max pools)
 * @param bound        largest absolute membrane potential the layer can reach in one window, in integer units
 */
public record LayerReport(String name, LayerType type, NeuronRule neuron, int shift, int maxAbsWeight, long bound) {
}
