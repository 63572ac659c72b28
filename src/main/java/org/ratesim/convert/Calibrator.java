package org.ratesim.convert;

import java.util.ArrayList;
import java.util.List;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;

/** The update loop of one CTT calibration; see {@link CttCalibration} for the rule. */
final class Calibrator {

    private final SnnNetwork network;
    private final List<Integer> calibratedLayers;
    private final boolean[] calibrated;
    private final ChannelCounter counter;
    private final CttCalibration.Options options;
    private final int timesteps;
    /** Current thresholds per layer, null for layers that keep their own. */
    private final int[][] thresholds;
    /** Largest threshold per layer and channel that keeps T·(Σ|w| + |b|) + θ within int32. */
    private final long[][] maxThreshold;
    private final long[][] charge;
    private final long totalBatches;
    private long batchesDone;

    Calibrator(SnnNetwork network, List<Integer> calibratedLayers, ChannelCounter counter,
               CttCalibration.Options options) {
        this.network = network;
        this.calibratedLayers = calibratedLayers;
        this.counter = counter;
        this.options = options;
        this.timesteps = network.timesteps();
        int layers = network.layers().size();
        this.calibrated = new boolean[layers];
        this.thresholds = new int[layers][];
        this.maxThreshold = new long[layers][];
        this.charge = new long[layers][];
        for (int l : calibratedLayers) {
            calibrated[l] = true;
            SpikingLayer layer = network.layers().get(l);
            charge[l] = CttCalibration.channelCharge(layer, timesteps);
            maxThreshold[l] = new long[charge[l].length];
            thresholds[l] = new int[charge[l].length];
            for (int c = 0; c < charge[l].length; c++) {
                maxThreshold[l][c] = Math.max(1, Integer.MAX_VALUE - charge[l][c]);
                long initial = FixedPoint.roundHalfAway(options.initialScale() * layer.threshold()[c]);
                thresholds[l][c] = (int) clamp(initial, 1, maxThreshold[l][c]);
            }
        }
        long updates = options.schedule() == CttCalibration.Schedule.ALL_LAYERS ? 1 : calibratedLayers.size();
        this.totalBatches = updates * options.passes() * counter.batches();
    }

    CttCalibration.Result run() {
        // The summary measures whole batches: enough of them to cover the requested number of images.
        int summaryImages = Math.min(options.summaryImages(), counter.images(counter.batches()));
        int summaryBatches = (summaryImages + options.batchSize() - 1) / options.batchSize();
        long[][] referenceTotal = counter.referenceTotal(summaryBatches);
        double[] scaleBefore = meanScales();
        long[][] before = counter.deployedTotal(current(), summaryBatches);

        if (options.schedule() == CttCalibration.Schedule.ALL_LAYERS) {
            int last = calibratedLayers.get(calibratedLayers.size() - 1);
            for (int pass = 0; pass < options.passes(); pass++) {
                for (int b = 0; b < counter.batches(); b++) {
                    long[][] deployed = counter.deployed(current(), b, last);
                    for (int l : calibratedLayers) {
                        update(l, counter.reference(b)[l], deployed[l], counter.batchImages(b));
                    }
                    reportBatch();
                }
            }
        } else {
            for (int l : calibratedLayers) {
                for (int pass = 0; pass < options.passes(); pass++) {
                    for (int b = 0; b < counter.batches(); b++) {
                        long[][] deployed = counter.deployed(current(), b, l);
                        update(l, counter.reference(b)[l], deployed[l], counter.batchImages(b));
                        reportBatch();
                    }
                }
            }
        }

        SnnNetwork result = withBound(current());
        long[][] after = counter.deployedTotal(result, summaryBatches);
        double[] scaleAfter = meanScales();
        List<CttCalibration.LayerSummary> summaries = new ArrayList<>();
        for (int l : calibratedLayers) {
            SpikingLayer layer = network.layers().get(l);
            double neuronSteps = (double) counter.images(summaryBatches) * positions(layer) * timesteps;
            double referenceSpikes = 0;
            for (long spikes : referenceTotal[l]) {
                referenceSpikes += spikes;
            }
            summaries.add(new CttCalibration.LayerSummary(layer.name(), layer.type(), layer.outputChannels(),
                    scaleBefore[l], scaleAfter[l], referenceSpikes / (neuronSteps * layer.outputChannels()),
                    meanGap(referenceTotal[l], before[l]) / neuronSteps,
                    meanGap(referenceTotal[l], after[l]) / neuronSteps));
        }
        return new CttCalibration.Result(result, summaries, counter.images(counter.batches()),
                counter.images(summaryBatches));
    }

    /** Applies θ_c ← θ_c − round(η · θ_ref,c · D_c) to every channel of layer {@code l}. */
    private void update(int l, long[] referenceCounts, long[] deployedCounts, int images) {
        SpikingLayer layer = network.layers().get(l);
        // B·H·W·T < 2^31 · 2^31 fits a long; the division happens in double.
        double neuronSteps = (double) ((long) images * positions(layer) * timesteps);
        int[] theta = thresholds[l];
        for (int c = 0; c < theta.length; c++) {
            double gap = (referenceCounts[c] - deployedCounts[c]) / neuronSteps;
            long step = FixedPoint.roundHalfAway(options.learningRate() * layer.threshold()[c] * gap);
            theta[c] = (int) clamp(theta[c] - step, 1, maxThreshold[l][c]);
        }
    }

    private void reportBatch() {
        batchesDone++;
        if (options.progress() != null) {
            options.progress().batchFinished(batchesDone, totalBatches);
        }
    }

    private SnnNetwork current() {
        return CttCalibration.withThresholds(network, thresholds, calibrated);
    }

    /** Returns {@code calibratedNetwork} with an overflow bound that also covers the new thresholds. */
    private SnnNetwork withBound(SnnNetwork calibratedNetwork) {
        long bound = network.overflowBound();
        for (int l : calibratedLayers) {
            for (int c = 0; c < thresholds[l].length; c++) {
                bound = Math.max(bound, charge[l][c] + thresholds[l][c]);
            }
        }
        return new SnnNetwork(calibratedNetwork.timesteps(), calibratedNetwork.encoder(), calibratedNetwork.layers(),
                calibratedNetwork.readout(), bound);
    }

    /** Returns, per layer, the mean over channels of θ_c / θ_ref,c (0 for layers that are not calibrated). */
    private double[] meanScales() {
        double[] scales = new double[network.layers().size()];
        for (int l : calibratedLayers) {
            int[] reference = network.layers().get(l).threshold();
            double sum = 0;
            for (int c = 0; c < reference.length; c++) {
                sum += (double) thresholds[l][c] / reference[c];
            }
            scales[l] = sum / reference.length;
        }
        return scales;
    }

    /** Returns the mean over channels of |reference − deployed|, in spikes. */
    private static double meanGap(long[] reference, long[] deployed) {
        double sum = 0;
        for (int c = 0; c < reference.length; c++) {
            sum += Math.abs(reference[c] - deployed[c]);
        }
        return sum / reference.length;
    }

    private static int positions(SpikingLayer layer) {
        return layer.outputShape()[1] * layer.outputShape()[2];
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }
}
