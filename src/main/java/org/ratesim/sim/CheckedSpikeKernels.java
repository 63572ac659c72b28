package org.ratesim.sim;

/**
 * Kernels that compute like the scalar reference but throw {@link IntegerOverflowException} at the first int32
 * overflow, where the other kernel sets wrap silently.
 *
 * <p>Every charge (multiplier × weight) and every new membrane potential is computed in long and checked against
 * the int32 range. An intermediate value that overflows is reported even when later charges would bring the
 * potential back into range, because wrapped membranes may cross a threshold in between. When nothing
 * overflows, the results are bit-identical to every other kernel set, because exact and wrapping int arithmetic
 * agree on every value that fits. The threshold pass cannot overflow (it subtracts a positive threshold from a
 * potential at least as large), so it runs on the delegate.
 *
 * <p>{@link Simulator} also checks its average-pool delivery, which adds charges without the kernels, when it runs
 * with this class.
 */
public final class CheckedSpikeKernels implements SpikeKernels {

    private final SpikeKernels delegate;

    /** Creates checked kernels whose threshold pass runs on {@code delegate}. */
    public CheckedSpikeKernels(SpikeKernels delegate) {
        if (delegate == null) {
            throw new IllegalArgumentException("delegate kernels must not be null");
        }
        this.delegate = delegate;
    }

    /** Returns the kernels that run the threshold pass. */
    public SpikeKernels delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name() + "+overflow-check";
    }

    @Override
    public void accumulate(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length) {
        for (int i = 0; i < length; i++) {
            int index = membraneOffset + i;
            int weight = weights[weightOffset + i];
            long sum = (long) membrane[index] + weight;
            if (sum != (int) sum) {
                throw new IntegerOverflowException("accumulate", index, membrane[index], 1, weight);
            }
            membrane[index] = (int) sum;
        }
    }

    @Override
    public void accumulateScaled(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length,
                                 int multiplier) {
        for (int i = 0; i < length; i++) {
            int index = membraneOffset + i;
            membrane[index] = add("accumulateScaled", index, membrane[index], multiplier, weights[weightOffset + i]);
        }
    }

    /** Checks in the order of {@link ScalarSpikeKernels}: input j by input j, each over all outputs. */
    @Override
    public void accumulateDense(int[] membrane, int membraneOffset, int length, int[] counts, int countOffset,
                                int countLength, short[] weights, int weightOffset, int weightStride) {
        for (int j = 0; j < countLength; j++) {
            int count = counts[countOffset + j];
            if (count == 0) {
                continue;
            }
            int row = weightOffset + j * weightStride;
            for (int i = 0; i < length; i++) {
                int index = membraneOffset + i;
                membrane[index] = add("accumulateDense", index, membrane[index], count, weights[row + i]);
            }
        }
    }

    @Override
    public void addBias(int[] membrane, int[] bias, int multiplier, int positions, int channels) {
        int index = 0;
        for (int p = 0; p < positions; p++) {
            for (int c = 0; c < channels; c++, index++) {
                membrane[index] = add("addBias", index, membrane[index], multiplier, bias[c]);
            }
        }
    }

    @Override
    public int fire(int[] membrane, int[] threshold, int positions, int channels, boolean resetToZero, int[] events,
                    int eventOffset) {
        return delegate.fire(membrane, threshold, positions, channels, resetToZero, events, eventOffset);
    }

    /**
     * Returns {@code potential + multiplier × weight}, or throws when the product or the sum leaves the int32
     * range. Both factors are ints, so the product fits a long exactly.
     */
    static int add(String operation, int index, int potential, int multiplier, int weight) {
        long charge = (long) multiplier * weight;
        long sum = potential + charge;
        if (charge != (int) charge || sum != (int) sum) {
            throw new IntegerOverflowException(operation, index, potential, multiplier, weight);
        }
        return (int) sum;
    }
}
