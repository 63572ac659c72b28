package org.ratesim.sim;

/** Reference kernels in plain Java; always available. */
public final class ScalarSpikeKernels implements SpikeKernels {

    /** The shared instance; the class has no state. */
    public static final ScalarSpikeKernels INSTANCE = new ScalarSpikeKernels();

    private ScalarSpikeKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void accumulate(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length) {
        for (int i = 0; i < length; i++) {
            membrane[membraneOffset + i] += weights[weightOffset + i];
        }
    }

    @Override
    public void accumulateScaled(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length,
                                 int multiplier) {
        for (int i = 0; i < length; i++) {
            membrane[membraneOffset + i] += multiplier * weights[weightOffset + i];
        }
    }

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
                membrane[membraneOffset + i] += count * weights[row + i];
            }
        }
    }

    @Override
    public void addBias(int[] membrane, int[] bias, int multiplier, int positions, int channels) {
        int index = 0;
        for (int p = 0; p < positions; p++) {
            for (int c = 0; c < channels; c++) {
                membrane[index++] += multiplier * bias[c];
            }
        }
    }

    @Override
    public int fire(int[] membrane, int[] threshold, int positions, int channels, boolean resetToZero, int[] events,
                    int eventOffset) {
        int count = 0;
        int index = 0;
        for (int p = 0; p < positions; p++) {
            for (int c = 0; c < channels; c++, index++) {
                int potential = membrane[index];
                if (potential >= threshold[c]) {
                    membrane[index] = resetToZero ? 0 : potential - threshold[c];
                    events[eventOffset + count++] = index;
                }
            }
        }
        return count;
    }
}
