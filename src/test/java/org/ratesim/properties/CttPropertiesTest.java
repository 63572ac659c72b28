package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.convert.CttCalibration;
import org.ratesim.model.Dataset;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.IntegerReference;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;

/**
 * Properties of CTT threshold calibration ({@link CttCalibration}) on generated chain models converted to IF.
 *
 * <p>Each try calibrates once: one pass over one batch that contains all images, starting from the converted
 * thresholds θ_ref. The test measures the gap itself, without the calibrator's code: the reference counts come
 * from {@link IntegerReference} (the quantized ANN, which the ASG path reproduces), and the IF counts from the
 * simulator run on the network that the calibrator saw when it updated the layer.
 */
class CttPropertiesTest {

    /** Images per try, all in one calibration batch. */
    private static final int IMAGES = 3;

    /** A generated model, {@link #IMAGES} images for it and the layer order of the calibration. */
    record Case(ModelGen.Chain chain, byte[] images, CttCalibration.Schedule schedule) {
    }

    /** Returns chain models with at least one layer that CTT calibrates, with images and a schedule. */
    static Gen<Case> cases() {
        Gen<ModelGen.Chain> chains = ModelGen.chains(ChainOptions.defaults())
                .filter(chain -> !calibratedLayers(ifNetwork(chain)).isEmpty());
        return chains.flatMap(chain -> Gen.zip(ModelGen.images(chain.imageBytes(), IMAGES),
                Gen.elementOf(CttCalibration.Schedule.values()), (images, schedule) -> new Case(chain, images,
                        schedule)));
    }

    @Test
    void updateFollowsFiringGap() {
        // For all generated models and images, a channel whose IF neurons fire fewer spikes than the ASG reference
        // gets a lower threshold, one that fires more gets a higher threshold, and one that fires as often keeps
        // its threshold. The learning rate makes a gap of one spike move a threshold by at least one unit.
        AtomicLong under = new AtomicLong();
        AtomicLong over = new AtomicLong();
        AtomicLong equal = new AtomicLong();
        Property.forAll("CTT moves each threshold against its firing gap", cases(), c -> {
            SnnNetwork network = ifNetwork(c.chain());
            List<Integer> calibrated = calibratedLayers(network);
            Dataset data = new Dataset(c.images(), new int[IMAGES], network.encoder().shape());
            CttCalibration.Options options = CttCalibration.Options.defaults().withBatchSize(IMAGES).withPasses(1)
                    .withLearningRate(oneUnitLearningRate(network, calibrated)).withSchedule(c.schedule())
                    .withSummaryImages(IMAGES);
            SnnNetwork result = CttCalibration.calibrate(network, data, Kernels.scalar(), options).network();
            long[][] reference = referenceCounts(network, c.images());

            for (int l : calibrated) {
                long[] deployed = deployedCounts(upstreamOf(network, result, calibrated, l, c.schedule()),
                        c.images(), l);
                int[] before = network.layers().get(l).threshold();
                int[] after = result.layers().get(l).threshold();
                for (int channel = 0; channel < before.length; channel++) {
                    long gap = reference[l][channel] - deployed[channel];
                    String where = c.schedule() + ", layer " + network.layers().get(l).name() + ", channel "
                            + channel + ": ASG " + reference[l][channel] + " spikes, IF " + deployed[channel]
                            + ", threshold " + before[channel] + " -> " + after[channel];
                    if (gap > 0) {
                        under.incrementAndGet();
                        if (before[channel] == 1) {
                            // Thresholds never drop below 1.
                            assertEquals(1, after[channel], where + ": threshold 1 must stay at 1");
                        } else {
                            assertTrue(after[channel] < before[channel], where + ": under-firing, so must decrease");
                        }
                    } else if (gap < 0) {
                        over.incrementAndGet();
                        assertTrue(after[channel] > before[channel], where + ": over-firing, so must increase");
                    } else {
                        equal.incrementAndGet();
                        assertEquals(before[channel], after[channel], where + ": no gap, so must stay");
                    }
                }
            }
            return true;
        }, Tries.divided(4));

        // The property above must have seen all three cases, or it tested less than it claims.
        assertTrue(under.get() > 0, "no generated channel under-fired");
        assertTrue(over.get() > 0, "no generated channel over-fired");
        assertTrue(equal.get() > 0, "no generated channel fired as often as ASG");
    }

    private static SnnNetwork ifNetwork(ModelGen.Chain chain) {
        return Converter.convert(chain.model(), ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
    }

    /** Returns the indices of the layers that CTT calibrates by default: conv2d, avg_pool2d and hidden linear. */
    private static List<Integer> calibratedLayers(SnnNetwork network) {
        List<Integer> indices = new ArrayList<>();
        for (int l = 0; l < network.layers().size(); l++) {
            LayerType type = network.layers().get(l).type();
            if (type == LayerType.CONV2D || type == LayerType.AVG_POOL2D || type == LayerType.LINEAR) {
                indices.add(l);
            }
        }
        return indices;
    }

    /**
     * Returns a learning rate η with η·θ_ref,c / (B·H·W·T) ≥ 1 for every calibrated channel. A gap D of one spike
     * is 1/(B·H·W·T) spikes per neuron and step, so round(η·θ_ref,c·D) moves the threshold by at least one unit.
     */
    private static double oneUnitLearningRate(SnnNetwork network, List<Integer> calibrated) {
        double rate = 0.0;
        for (int l : calibrated) {
            SpikingLayer layer = network.layers().get(l);
            double neuronSteps = (double) IMAGES * layer.outputShape()[1] * layer.outputShape()[2]
                    * network.timesteps();
            for (int theta : layer.threshold()) {
                rate = Math.max(rate, neuronSteps / theta);
            }
        }
        return rate;
    }

    /** Returns the quantized ANN's spike counts of every layer summed over the images, [layer][channel]. */
    private static long[][] referenceCounts(SnnNetwork network, byte[] images) {
        IntegerReference reference = new IntegerReference(network);
        int pixels = images.length / IMAGES;
        long[][] sums = new long[network.layers().size()][];
        for (int l = 0; l < sums.length; l++) {
            sums[l] = new long[network.layers().get(l).outputChannels()];
        }
        for (int image = 0; image < IMAGES; image++) {
            int[][] counts = reference.evaluate(images, image * pixels).layerCounts();
            for (int l = 0; l < sums.length; l++) {
                for (int i = 0; i < counts[l].length; i++) {
                    sums[l][i % sums[l].length] += counts[l][i];
                }
            }
        }
        return sums;
    }

    /** Returns the simulated spike counts of layer {@code layer} summed over the images, per channel. */
    private static long[] deployedCounts(SnnNetwork network, byte[] images, int layer) {
        Simulator simulator = new Simulator(network, Kernels.scalar());
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        ImageResult result = simulator.newResult();
        int pixels = images.length / IMAGES;
        long[] sums = new long[network.layers().get(layer).outputChannels()];
        for (int image = 0; image < IMAGES; image++) {
            simulator.run(images, image * pixels, workspace, result);
            int[] counts = result.neuronCounts(layer);
            for (int i = 0; i < counts.length; i++) {
                sums[i % sums.length] += counts[i];
            }
        }
        return sums;
    }

    /**
     * Returns the network whose IF counts drove the update of layer {@code layer}. With ALL_LAYERS that is the
     * converted network. With LAYER_BY_LAYER the calibrated layers before {@code layer} already carry their final
     * thresholds, taken from {@code result}, and the rest keep the converted ones.
     */
    private static SnnNetwork upstreamOf(SnnNetwork converted, SnnNetwork result, List<Integer> calibrated,
                                         int layer, CttCalibration.Schedule schedule) {
        if (schedule == CttCalibration.Schedule.ALL_LAYERS) {
            return converted;
        }
        List<SpikingLayer> layers = new ArrayList<>(converted.layers());
        for (int l : calibrated) {
            if (l < layer) {
                layers.set(l, result.layers().get(l));
            }
        }
        return new SnnNetwork(converted.timesteps(), converted.encoder(), layers, converted.readout(),
                result.overflowBound());
    }
}
