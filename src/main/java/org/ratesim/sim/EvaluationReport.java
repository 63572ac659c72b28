package org.ratesim.sim;

import java.util.List;

/**
 * Totals of one evaluation. Accuracies and agreements are fractions in [0, 1]; per-image figures are means over
 * the images. Every field except {@code imagesPerSecond} is independent of the thread count.
 *
 * @param images               images evaluated
 * @param timesteps            the window T
 * @param levels               the input encoder's resolution L (1 for analog input, which has none)
 * @param neuron               neuron rule of the hidden layers
 * @param annAccuracy          float ANN accuracy, or NaN when the float ANN was not run
 * @param snnAccuracy          spiking network accuracy
 * @param intAnnAccuracy       integer quantized ANN accuracy, or NaN when the exactness check was off or does not
 *                             apply (analog input)
 * @param agreement            share of images where the SNN's prediction equals the float ANN's (NaN when not run)
 * @param intAgreement         share of images where the SNN's prediction equals the integer ANN's (NaN when off)
 * @param exactMismatchNeurons hidden neurons whose spike count differs from L × activation, summed over images
 *                             (−1 when the check was off or does not apply)
 * @param mismatchesPerLayer   the same per hidden layer
 * @param layerNames           hidden layer names, then the readout's
 * @param inputSpikesPerImage  mean input spikes per image
 * @param spikesPerImage       mean hidden-layer spikes per image (input and readout excluded)
 * @param spikesPerLayer       mean spikes per image of each hidden layer
 * @param synapticOpsPerImage  mean synaptic operations per image, readout included
 * @param synapticOpsPerLayer  the same per layer, the readout last
 * @param threads              worker threads used
 * @param kernels              kernel set name
 * @param seconds              wall time of the evaluation
 */
public record EvaluationReport(int images, int timesteps, double levels, NeuronRule neuron, double annAccuracy,
                               double snnAccuracy, double intAnnAccuracy, double agreement, double intAgreement,
                               long exactMismatchNeurons, long[] mismatchesPerLayer, List<String> layerNames,
                               double inputSpikesPerImage, double spikesPerImage, double[] spikesPerLayer,
                               double synapticOpsPerImage, double[] synapticOpsPerLayer, int threads,
                               String kernels, double seconds) {

    static EvaluationReport of(SnnNetwork network, Evaluator.Totals totals, int images, boolean withAnn,
                               boolean withReference, int threads, String kernels, double seconds) {
        double n = Math.max(images, 1);
        int layers = network.layers().size();
        double[] spikes = new double[layers];
        long hiddenSpikes = 0;
        for (int l = 0; l < layers; l++) {
            spikes[l] = totals.spikesPerLayer[l] / n;
            hiddenSpikes += totals.spikesPerLayer[l];
        }
        double[] ops = new double[layers + 1];
        long allOps = 0;
        for (int l = 0; l <= layers; l++) {
            ops[l] = totals.synapticOpsPerLayer[l] / n;
            allOps += totals.synapticOpsPerLayer[l];
        }
        long mismatchTotal = 0;
        for (long m : totals.mismatches) {
            mismatchTotal += m;
        }
        List<String> names = new java.util.ArrayList<>();
        for (SpikingLayer layer : network.layers()) {
            names.add(layer.name());
        }
        names.add(network.readout().name());
        NeuronRule neuron = layers == 0 ? NeuronRule.ACCUMULATE : network.layers().get(0).neuron();
        return new EvaluationReport(images, network.timesteps(), network.encoder().levels(), neuron,
                withAnn ? totals.annCorrect / n : Double.NaN,
                totals.snnCorrect / n,
                withReference ? totals.intCorrect / n : Double.NaN,
                withAnn ? totals.agreement / n : Double.NaN,
                withReference ? totals.intAgreement / n : Double.NaN,
                withReference ? mismatchTotal : -1,
                totals.mismatches.clone(), List.copyOf(names),
                totals.inputSpikes / n, hiddenSpikes / n, spikes, allOps / n, ops, threads, kernels, seconds);
    }

    /** Returns images per second of the whole evaluation (float ANN and exactness check included when on). */
    public double imagesPerSecond() {
        return seconds > 0 ? images / seconds : 0.0;
    }
}
