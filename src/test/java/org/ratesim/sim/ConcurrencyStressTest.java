package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.ratesim.model.Dataset;

/**
 * Shares one network among 16 threads, more than the cores of most build machines, so threads are preempted in the
 * middle of an image. Every result must equal a serial run, whatever the thread count and the image order.
 */
class ConcurrencyStressTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int THREADS = 16;
    private static final int IMAGES = 640;

    /** Per-image outcome, copied out of the reusable {@link ImageResult}. */
    private record Outcome(long[] readout, long[] spikesPerLayer, long[] synapticOpsPerLayer, int[][] counts) {
    }

    private static int[] shuffledOrder(SplittableRandom random, int count) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static Dataset permuted(Dataset data, int[] order) {
        int pixels = data.pixelsPerImage();
        byte[] images = new byte[data.images().length];
        int[] labels = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(data.images(), order[i] * pixels, images, i * pixels, pixels);
            labels[i] = data.labels()[order[i]];
        }
        return new Dataset(images, labels, data.shape());
    }

    private static Outcome simulate(Simulator simulator, Simulator.Workspace workspace, ImageResult result,
                                    byte[] images, int image) {
        simulator.run(images, image * simulator.imageBytes(), workspace, result);
        int layers = simulator.network().layers().size();
        int[][] counts = new int[layers][];
        for (int l = 0; l < layers; l++) {
            counts[l] = result.neuronCounts(l).clone();
        }
        return new Outcome(result.readout().clone(), result.spikesPerLayer().clone(),
                result.synapticOpsPerLayer().clone(), counts);
    }

    private static void assertSameOutcome(Outcome expected, Outcome actual, String where) {
        assertArrayEquals(expected.readout(), actual.readout(), where + ": readout");
        assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer(), where + ": spikes");
        assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer(), where + ": synaptic ops");
        for (int l = 0; l < expected.counts().length; l++) {
            assertArrayEquals(expected.counts()[l], actual.counts()[l], where + ": counts of layer " + l);
        }
    }

    /**
     * Runs every image on 16 threads at once, each thread in its own shuffled order. With {@code shareSimulator}
     * all threads use one simulator, otherwise each builds its own over the same network.
     */
    private static void runAllThreads(SnnNetwork network, SpikeKernels kernels, byte[] images, boolean shareSimulator,
                                      long seed) throws Exception {
        Simulator serial = new Simulator(network, kernels);
        Simulator.Workspace serialWorkspace = serial.newWorkspace(true);
        ImageResult serialResult = serial.newResult();
        Outcome[] expected = new Outcome[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            expected[i] = simulate(serial, serialWorkspace, serialResult, images, i);
        }

        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Outcome[]>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int[] order = shuffledOrder(new SplittableRandom(seed + t), IMAGES);
                futures.add(pool.submit(() -> {
                    Simulator simulator = shareSimulator ? serial : new Simulator(network, kernels);
                    Simulator.Workspace workspace = simulator.newWorkspace(true);
                    ImageResult result = simulator.newResult();
                    Outcome[] outcomes = new Outcome[IMAGES];
                    start.await(1, TimeUnit.MINUTES);
                    for (int image : order) {
                        outcomes[image] = simulate(simulator, workspace, result, images, image);
                    }
                    return outcomes;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                Outcome[] actual = futures.get(t).get(5, TimeUnit.MINUTES);
                for (int i = 0; i < IMAGES; i++) {
                    assertSameOutcome(expected[i], actual[i], "thread " + t + ", image " + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadsSharingOneSimulatorMatchSerial() throws Exception {
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SplittableRandom random = new SplittableRandom(SEED + rule.ordinal());
            SnnNetwork network = RandomNetworks.generate(random, 6, rule);
            byte[] images = RandomNetworks.images(random, network, IMAGES);
            runAllThreads(network, Kernels.get(), images, true, SEED);
        }
    }

    @Test
    void simulatorsSharingOneNetworkMatchSerial() throws Exception {
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SplittableRandom random = new SplittableRandom(SEED + 10 + rule.ordinal());
            SnnNetwork network = RandomNetworks.generate(random, 5, rule);
            byte[] images = RandomNetworks.images(random, network, IMAGES);
            runAllThreads(network, new CheckedSpikeKernels(Kernels.get()), images, false, SEED + 100);
        }
    }

    @Test
    void evaluatorIgnoresThreadsAndImageOrder() {
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SplittableRandom random = new SplittableRandom(SEED + 20 + rule.ordinal());
            SnnNetwork network = RandomNetworks.generate(random, 4, rule);
            int classes = network.readout().outputNeurons();
            int[] labels = new int[IMAGES];
            for (int i = 0; i < IMAGES; i++) {
                labels[i] = random.nextInt(classes);
            }
            int[] shape = network.encoder().shape();
            Dataset data = new Dataset(RandomNetworks.images(random, network, IMAGES), labels, shape);
            Dataset shuffled = permuted(data, shuffledOrder(random, IMAGES));

            EvaluationReport expected = Evaluator.evaluate(null, network, data, Kernels.get(),
                    new Evaluator.Options(1, true, null));
            EvaluationReport actual = Evaluator.evaluate(null, network, shuffled, Kernels.get(),
                    new Evaluator.Options(THREADS, true, null));

            String where = rule.id();
            assertEquals(THREADS, actual.threads(), where + ": threads");
            assertEquals(expected.snnAccuracy(), actual.snnAccuracy(), where + ": SNN accuracy");
            assertEquals(expected.intAnnAccuracy(), actual.intAnnAccuracy(), where + ": integer ANN accuracy");
            assertEquals(expected.intAgreement(), actual.intAgreement(), where + ": integer agreement");
            assertEquals(expected.exactMismatchNeurons(), actual.exactMismatchNeurons(), where + ": mismatches");
            assertArrayEquals(expected.mismatchesPerLayer(), actual.mismatchesPerLayer(), where + ": per layer");
            assertEquals(expected.inputSpikesPerImage(), actual.inputSpikesPerImage(), where + ": input spikes");
            assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer(), where + ": spikes per layer");
            assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer(), where + ": ops");
        }
    }
}
