package org.ratesim.sim;

/**
 * Outcome of one simulated image: prediction, readout, spike and synaptic operation counts.
 *
 * <p>Mutable and reusable: {@link Simulator#run} overwrites it, and the arrays it returns are its own storage,
 * valid until the next run.
 */
public final class ImageResult {

    int prediction;
    long[] readout = new long[0];
    long inputSpikes;
    long[] spikesPerLayer = new long[0];
    long[] synapticOpsPerLayer = new long[0];
    int[] inputCounts;
    int[][] neuronCounts;
    double logitScale = 1.0;

    /** Sizes the arrays for {@code network}, allocating only when the sizes change. */
    void prepare(SnnNetwork network, boolean withCounts) {
        int layers = network.layers().size();
        if (readout.length != network.readout().outputNeurons()) {
            readout = new long[network.readout().outputNeurons()];
        }
        if (spikesPerLayer.length != layers || synapticOpsPerLayer.length != layers + 1) {
            spikesPerLayer = new long[layers];
            synapticOpsPerLayer = new long[layers + 1];
        }
        logitScale = network.timesteps() * Math.scalb(1.0, network.readout().shift());
        if (!withCounts) {
            inputCounts = null;
            neuronCounts = null;
            return;
        }
        int inputNeurons = layers == 0 ? network.readout().inputNeurons() : network.layers().get(0).inputNeurons();
        if (inputCounts == null || inputCounts.length != inputNeurons) {
            inputCounts = new int[inputNeurons];
        }
        if (neuronCounts == null || neuronCounts.length != layers) {
            neuronCounts = new int[layers][];
        }
        for (int l = 0; l < layers; l++) {
            int neurons = network.layers().get(l).outputNeurons();
            if (neuronCounts[l] == null || neuronCounts[l].length != neurons) {
                neuronCounts[l] = new int[neurons];
            }
        }
    }

    /** Returns the predicted class: the largest readout, the lowest index on ties. */
    public int prediction() {
        return prediction;
    }

    /** Returns the readout potentials Σ_t (W·s_t + b) in the readout's integer units. */
    public long[] readout() {
        return readout;
    }

    /** Returns the logit of class {@code index}: readout / (T · 2^shift), which equals the ANN logit when exact. */
    public double logit(int index) {
        return readout[index] / logitScale;
    }

    /** Returns all logits in a new array. */
    public double[] logits() {
        double[] logits = new double[readout.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = logit(i);
        }
        return logits;
    }

    /** Returns the number of spikes the input encoder emitted. */
    public long inputSpikes() {
        return inputSpikes;
    }

    /** Returns the spikes emitted by each hidden layer. */
    public long[] spikesPerLayer() {
        return spikesPerLayer;
    }

    /** Returns the spikes of all hidden layers, the input excluded. */
    public long hiddenSpikes() {
        long total = 0;
        for (long spikes : spikesPerLayer) {
            total += spikes;
        }
        return total;
    }

    /**
     * Returns the synaptic operations of each layer, hidden layers first and the readout last: every spike
     * arriving at a layer counts one operation per target neuron it reaches (padding-aware).
     */
    public long[] synapticOpsPerLayer() {
        return synapticOpsPerLayer;
    }

    /** Returns the synaptic operations of all layers, the readout included. */
    public long synapticOps() {
        long total = 0;
        for (long ops : synapticOpsPerLayer) {
            total += ops;
        }
        return total;
    }

    /** Returns whether per-neuron spike counts were recorded (see {@link Simulator#newWorkspace(boolean)}). */
    public boolean hasNeuronCounts() {
        return neuronCounts != null;
    }

    /** Returns the spike count of every encoded input neuron, channels last; requires recorded counts. */
    public int[] inputCounts() {
        requireCounts();
        return inputCounts;
    }

    /** Returns the spike count of every neuron of hidden layer {@code layer}, channels last. */
    public int[] neuronCounts(int layer) {
        requireCounts();
        return neuronCounts[layer];
    }

    private void requireCounts() {
        if (neuronCounts == null) {
            throw new IllegalStateException("per-neuron counts were not recorded: run with a workspace from "
                    + "Simulator.newWorkspace(true)");
        }
    }
}
