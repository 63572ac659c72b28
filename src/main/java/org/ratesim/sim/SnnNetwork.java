package org.ratesim.sim;

import java.util.List;

/**
 * A converted spiking network: input encoder, hidden spiking layers in order, and the non-spiking readout.
 *
 * <p>Immutable once built, so one instance can be shared by any number of simulating threads.
 *
 * @param timesteps     the window T
 * @param encoder       input encoder
 * @param layers        hidden spiking layers, in order
 * @param readout       the accumulating output layer (neuron rule {@link NeuronRule#ACCUMULATE})
 * @param overflowBound largest absolute membrane potential any layer can reach in one window, in integer units
 */
public record SnnNetwork(int timesteps, Encoder encoder, List<SpikingLayer> layers, SpikingLayer readout,
                         long overflowBound) {

    public SnnNetwork {
        layers = List.copyOf(layers);
    }
}
