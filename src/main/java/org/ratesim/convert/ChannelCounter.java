package org.ratesim.convert;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ratesim.model.Dataset;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikeKernels;
import org.ratesim.sim.SpikingLayer;

/**
 * Spike counts per layer and output channel, summed over one batch of calibration images, for the reference (ASG)
 * path and the deployed (IF) path of CTT. Both paths run on the event-driven {@link Simulator}.
 *
 * <p>Batches are consecutive images in dataset order; batch b contains images b·B .. min(N, (b + 1)·B) − 1. A batch is
 * split into one contiguous chunk per thread, and the chunks' integer sums are added, so every sum is the same
 * for any thread count. The reference sums do not depend on the thresholds being calibrated, so they are computed
 * once per batch and kept: [batches][layers][channels] longs, 8 bytes each.
 */
final class ChannelCounter implements AutoCloseable {

    private final SnnNetwork reference;
    private final Dataset data;
    private final SpikeKernels kernels;
    private final int batchSize;
    private final int threads;
    private final ExecutorService pool;
    private final Simulator asgSimulator;
    private final long[][][] referenceSums;

    ChannelCounter(SnnNetwork reference, Dataset data, SpikeKernels kernels, int batchSize, int threads) {
        this.reference = reference;
        this.data = data;
        this.kernels = kernels;
        this.batchSize = batchSize;
        this.threads = threads;
        this.asgSimulator = new Simulator(asgNetwork(reference), kernels);
        this.referenceSums = new long[batches()][][];
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "ratesim-ctt");
            thread.setDaemon(true);
            return thread;
        });
    }

    int batches() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /** Returns the number of images in the first {@code batchCount} batches. */
    int images(int batchCount) {
        return Math.min(data.size(), batchCount * batchSize);
    }

    int batchImages(int batch) {
        return Math.min(data.size(), (batch + 1) * batchSize) - batch * batchSize;
    }

    /** Returns the reference path's spike counts of batch {@code batch}, [layer][channel]; callers must not modify it. */
    long[][] reference(int batch) {
        if (referenceSums[batch] == null) {
            referenceSums[batch] = sumBatch(batch, (first, end) -> simulateChunk(asgSimulator, first, end));
        }
        return referenceSums[batch];
    }

    /** Returns the reference path's spike counts summed over the first {@code batchCount} batches, [layer][channel]. */
    long[][] referenceTotal(int batchCount) {
        long[][] total = emptySums(reference.layers().size());
        for (int b = 0; b < batchCount; b++) {
            add(total, reference(b));
        }
        return total;
    }

    /**
     * Simulates batch {@code batch} on {@code network} and returns the spike counts of layers 0..{@code lastLayer},
     * [layer][channel]; later layers are not simulated and their rows stay zero.
     */
    long[][] deployed(SnnNetwork network, int batch, int lastLayer) {
        SnnNetwork prefix = prefix(network, lastLayer);
        Simulator simulator = new Simulator(prefix, kernels);
        long[][] sums = sumBatch(batch, (first, end) -> simulateChunk(simulator, first, end));
        long[][] full = emptySums(network.layers().size());
        System.arraycopy(sums, 0, full, 0, sums.length);
        return full;
    }

    /**
     * Returns the deployed path's spike counts of every layer summed over the first {@code batchCount} batches,
     * [layer][channel].
     */
    long[][] deployedTotal(SnnNetwork network, int batchCount) {
        long[][] total = emptySums(network.layers().size());
        int last = network.layers().size() - 1;
        for (int b = 0; b < batchCount; b++) {
            add(total, deployed(network, b, last));
        }
        return total;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /**
     * Returns the network's layers 0..lastLayer with a zero readout of one class, so a simulation stops after
     * layer lastLayer. A zero readout adds no charge, so the prefix's hidden counts equal the full network's.
     */
    private static SnnNetwork prefix(SnnNetwork network, int lastLayer) {
        if (lastLayer == network.layers().size() - 1) {
            return network;
        }
        SpikingLayer last = network.layers().get(lastLayer);
        int inputs = last.outputNeurons();
        SpikingLayer readout = new SpikingLayer("ctt_prefix_readout", LayerType.LINEAR, new int[] {inputs, 1, 1},
                new int[] {1, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                new int[] {1, 1}, 1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 0, new short[inputs], 0,
                new int[1], null);
        return new SnnNetwork(network.timesteps(), network.encoder(), network.layers().subList(0, lastLayer + 1),
                readout, network.overflowBound());
    }

    /** Counts of images [first, end), [layer][channel]. */
    private interface Chunk {
        long[][] count(int first, int end);
    }

    private long[][] sumBatch(int batch, Chunk chunk) {
        int first = batch * batchSize;
        int end = first + batchImages(batch);
        int parts = Math.min(threads, end - first);
        if (parts <= 1) {
            return chunk.count(first, end);
        }
        List<Future<long[][]>> futures = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int from = first + (int) ((long) (end - first) * p / parts);
            int to = first + (int) ((long) (end - first) * (p + 1) / parts);
            Callable<long[][]> task = () -> chunk.count(from, to);
            futures.add(pool.submit(task));
        }
        long[][] total = null;
        try {
            for (Future<long[][]> future : futures) {
                long[][] part = future.get();
                if (total == null) {
                    total = part;
                } else {
                    add(total, part);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("calibration interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        }
        return total;
    }

    /**
     * Returns {@code network} with every spiking layer ASG. The event-driven ASG simulation gives exactly the counts
     * of {@link org.ratesim.sim.IntegerReference} (the quantized ANN). It ran 3 to 6 times faster on the bundled
     * T = 4 Fashion-MNIST model (one thread, one run on a shared 2-core machine, so an estimate).
     */
    static SnnNetwork asgNetwork(SnnNetwork network) {
        List<SpikingLayer> layers = new ArrayList<>();
        for (SpikingLayer layer : network.layers()) {
            layers.add(layer.type() == LayerType.MAX_POOL2D ? layer
                    : layer.withNeuron(NeuronRule.ASG, layer.reset(), layer.threshold()));
        }
        return new SnnNetwork(network.timesteps(), network.encoder(), layers, network.readout(),
                network.overflowBound());
    }

    private long[][] simulateChunk(Simulator simulator, int first, int end) {
        int layers = simulator.network().layers().size();
        long[][] sums = emptySums(layers);
        Simulator.Workspace workspace = simulator.newWorkspace(true);
        ImageResult result = simulator.newResult();
        int pixels = data.pixelsPerImage();
        for (int image = first; image < end; image++) {
            simulator.run(data.images(), image * pixels, workspace, result);
            for (int l = 0; l < layers; l++) {
                addChannels(sums[l], result.neuronCounts(l));
            }
        }
        return sums;
    }

    /** Adds channel-last counts to one sum per channel. */
    private static void addChannels(long[] sums, int[] counts) {
        int channels = sums.length;
        for (int index = 0; index < counts.length; index += channels) {
            for (int c = 0; c < channels; c++) {
                sums[c] += counts[index + c];
            }
        }
    }

    private long[][] emptySums(int layers) {
        long[][] sums = new long[layers][];
        for (int l = 0; l < layers; l++) {
            sums[l] = new long[reference.layers().get(l).outputChannels()];
        }
        return sums;
    }

    private static void add(long[][] total, long[][] part) {
        for (int l = 0; l < total.length; l++) {
            for (int c = 0; c < total[l].length; c++) {
                total[l][c] += part[l][c];
            }
        }
    }
}
