package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SimulatorReuseTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int IMAGES = 16;

    private static long[][] readouts(Simulator simulator, byte[] images) {
        Simulator.Workspace workspace = simulator.newWorkspace();
        ImageResult result = simulator.newResult();
        long[][] readouts = new long[IMAGES][];
        for (int i = 0; i < IMAGES; i++) {
            simulator.run(images, i * simulator.imageBytes(), workspace, result);
            readouts[i] = result.readout().clone();
        }
        return readouts;
    }

    @Test
    void warmRunsAllocateNoArrays() {
        java.lang.management.ThreadMXBean management = ManagementFactory.getThreadMXBean();
        assumeTrue(management instanceof com.sun.management.ThreadMXBean,
                "this JVM cannot report per-thread allocation");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) management;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation accounting is off");

        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SplittableRandom random = new SplittableRandom(SEED);
            SnnNetwork network = RandomNetworks.generate(random, 8, rule);
            byte[] images = RandomNetworks.images(random, network, IMAGES);
            Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
            Simulator.Workspace workspace = simulator.newWorkspace();
            ImageResult result = simulator.newResult();
            for (int warm = 0; warm < 20; warm++) {
                for (int i = 0; i < IMAGES; i++) {
                    simulator.run(images, i * simulator.imageBytes(), workspace, result);
                }
            }
            int runs = 0;
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int repeat = 0; repeat < 20; repeat++) {
                for (int i = 0; i < IMAGES; i++) {
                    simulator.run(images, i * simulator.imageBytes(), workspace, result);
                    runs++;
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // The smallest Java array takes 16 bytes, so fewer than 16 bytes per run means no per-run array.
            assertTrue(allocated < 16L * runs, rule.id() + ": " + allocated + " bytes in " + runs + " runs");
        }
    }

    @Test
    void threadsShareOneSimulator() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        SnnNetwork network = RandomNetworks.generate(random, 6, NeuronRule.IF);
        byte[] images = RandomNetworks.images(random, network, IMAGES);
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        long[][] expected = readouts(simulator, images);

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<long[][]>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> readouts(simulator, images)));
            }
            for (Future<long[][]> future : futures) {
                long[][] actual = future.get();
                for (int i = 0; i < IMAGES; i++) {
                    assertArrayEquals(expected[i], actual[i], "image " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
    }
}
