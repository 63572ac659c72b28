package org.ratesim.sim;

/**
 * The inner loops of the event-driven engine. Implementations are stateless and must give bit-identical results:
 * {@link ScalarSpikeKernels} is the reference, {@code PanamaSpikeKernels} the SIMD one.
 *
 * <p>Membranes are int32 and channel-last, so a map of P positions and C channels has P × C entries and channel c
 * of position p sits at p·C + c. All arithmetic wraps like Java {@code int}; the converter's overflow bound
 * guarantees that no sum leaves the int32 range for a model it accepted.
 */
public interface SpikeKernels {

    /** Returns the kernel set's name as shown by {@code --version} and the JSON {@code kernels} key. */
    String name();

    /** Returns the int32 lanes that one call processes at a time: the vector width for SIMD kernels, 1 for scalar. */
    default int intLanes() {
        return 1;
    }

    /** Adds {@code weights[weightOffset + i]} to {@code membrane[membraneOffset + i]} for i in [0, length). */
    void accumulate(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length);

    /**
     * Adds {@code multiplier × weights[weightOffset + i]} to {@code membrane[membraneOffset + i]} for i in
     * [0, length); ASG layers use it to apply a neuron's whole spike count at once.
     */
    void accumulateScaled(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length,
                          int multiplier);

    /**
     * Adds the product of a count vector and an int16 matrix: {@code membrane[membraneOffset + i] +=}
     * Σ<sub>j</sub> {@code counts[countOffset + j] × weights[weightOffset + j × weightStride + i]} for i in
     * [0, length) and j in [0, countLength). The dense strategy of the engine uses it to compute all output channels
     * of one output position from every input of a kernel row, zero counts included.
     */
    void accumulateDense(int[] membrane, int membraneOffset, int length, int[] counts, int countOffset,
                         int countLength, short[] weights, int weightOffset, int weightStride);

    /** Adds {@code multiplier × bias[c]} to every channel c of {@code positions} positions of {@code channels}. */
    void addBias(int[] membrane, int[] bias, int multiplier, int positions, int channels);

    /**
     * Runs the IF threshold pass over {@code positions × channels} neurons: every neuron with membrane potential
     * {@code >= threshold[c]} emits one spike, and its potential drops by the threshold (or becomes 0 when
     * {@code resetToZero}). The indices of spiking neurons are written in increasing order to {@code events}
     * from {@code eventOffset} on.
     *
     * @return the number of spikes written
     */
    int fire(int[] membrane, int[] threshold, int positions, int channels, boolean resetToZero, int[] events,
             int eventOffset);
}
