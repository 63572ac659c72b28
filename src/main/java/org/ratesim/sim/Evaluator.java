package org.ratesim.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.ratesim.model.Dataset;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;

/**
 * Runs a labelled dataset through the float ANN, the spiking network and the integer quantized ANN, and sums what
 * a report needs.
 *
 * <p>Images are simulated in parallel in blocks. Every total is an integer sum, which does not depend on the order of
 * addition, so every reported number except the throughput is identical for any thread count and image order.
 *
 * <p>With {@link CheckedSpikeKernels}, an overflow stops the evaluation with the {@link IntegerOverflowException} of
 * the lowest image index that overflows, which is the same for any thread count.
 */
public final class Evaluator {

    /** Images a thread takes at a time; small enough to balance load, large enough to keep the queue cold. */
    private static final int BLOCK = 32;

    /**
     * Settings of one evaluation.
     *
     * @param threads        worker threads, at least 1
     * @param checkExactness whether to run the integer quantized ANN next to the SNN and compare every neuron.
     *                       Networks with analog input have no integer ANN, so they ignore it
     * @param progress       called with the number of finished images after each block (may be null)
     */
    public record Options(int threads, boolean checkExactness, IntConsumer progress) {

        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
        }

        /** Returns the settings of one thread, the exactness check on and no progress reports. */
        public static Options defaults() {
            return new Options(1, true, null);
        }
    }

    private Evaluator() {
    }

    /**
     * Evaluates {@code data} on {@code network}; {@code ann} is the float ANN it was converted from, or null to skip
     * the float comparison.
     *
     * @throws IntegerOverflowException naming the layer and the first image that overflows, only when
     *                                  {@code kernels} are {@link CheckedSpikeKernels}
     */
    public static EvaluationReport evaluate(Model ann, SnnNetwork network, Dataset data, SpikeKernels kernels,
                                            Options options) {
        if (ann == null) {
            return run(null, network, data, kernels, options);
        }
        FloatExecutor floatAnn = new FloatExecutor(ann);
        return run((images, offset, index) -> floatAnn.predict(images, offset), network, data, kernels, options);
    }

    /**
     * Evaluates {@code data} on {@code network} against float ANN predictions computed beforehand, one per image of
     * {@code data} in order; a sweep over many conversions of one ANN uses it to run the float ANN only once.
     */
    public static EvaluationReport evaluateAgainst(int[] annPredictions, SnnNetwork network, Dataset data,
                                                   SpikeKernels kernels, Options options) {
        if (annPredictions.length != data.size()) {
            throw new IllegalArgumentException(annPredictions.length + " ANN predictions for " + data.size()
                    + " images");
        }
        return run((images, offset, index) -> annPredictions[index], network, data, kernels, options);
    }

    /** Returns the float ANN's prediction of every image of {@code data}, computed on {@code threads} threads. */
    public static int[] predictFloat(Model ann, Dataset data, int threads) {
        FloatExecutor floatAnn = new FloatExecutor(ann);
        int[] predictions = new int[data.size()];
        int pixels = data.pixelsPerImage();
        java.util.stream.IntStream range = java.util.stream.IntStream.range(0, data.size());
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(threads);
        try {
            pool.submit(() -> range.parallel()
                    .forEach(i -> predictions[i] = floatAnn.predict(data.images(), i * pixels))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("float ANN evaluation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return predictions;
    }

    /** The float ANN's prediction of image {@code index}, whose bytes start at {@code offset}. */
    private interface AnnPredictor {
        int predict(byte[] images, int offset, int index);
    }

    private static EvaluationReport run(AnnPredictor floatAnn, SnnNetwork network, Dataset data,
                                             SpikeKernels kernels, Options options) {
        Simulator simulator = new Simulator(network, kernels);
        // Analog-input networks have no integer ANN, so they report exactness as not applicable (NaN and −1).
        boolean check = options.checkExactness() && ExactnessCheck.applicable(network);
        IntegerReference reference = check ? new IntegerReference(network) : null;
        int images = data.size();
        int threads = threadsFor(options.threads(), images);

        AtomicInteger nextBlock = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        FirstOverflow overflow = new FirstOverflow();
        long start = System.nanoTime();
        List<Totals> parts = new ArrayList<>();
        if (threads == 1) {
            parts.add(work(simulator, reference, floatAnn, data, nextBlock, finished, overflow, options.progress()));
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
                Thread thread = new Thread(runnable, "ratesim-eval");
                thread.setDaemon(true);
                return thread;
            });
            try {
                List<Future<Totals>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> work(simulator, reference, floatAnn, data, nextBlock, finished,
                            overflow, options.progress())));
                }
                for (Future<Totals> future : futures) {
                    parts.add(future.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("evaluation interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new IllegalStateException(cause);
            } finally {
                pool.shutdownNow();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        overflow.throwIfFound();

        Totals total = new Totals(network.layers().size());
        for (Totals part : parts) {
            total.add(part);
        }
        return EvaluationReport.of(network, total, images, floatAnn != null, reference != null, threads,
                kernels.name(), seconds);
    }

    /** Returns the threads an evaluation of {@code images} images uses: at most one per block of 32 images. */
    public static int threadsFor(int requested, int images) {
        return Math.min(requested, Math.max(1, (images + BLOCK - 1) / BLOCK));
    }

    private static Totals work(Simulator simulator, IntegerReference reference, AnnPredictor floatAnn, Dataset data,
                               AtomicInteger nextBlock, AtomicInteger finished, FirstOverflow overflow,
                               IntConsumer progress) {
        int layers = simulator.network().layers().size();
        Totals totals = new Totals(layers);
        Simulator.Workspace workspace = simulator.newWorkspace(reference != null);
        ImageResult result = simulator.newResult();
        byte[] images = data.images();
        int pixels = data.pixelsPerImage();
        int count = data.size();

        while (true) {
            int first = nextBlock.getAndIncrement() * BLOCK;
            // Blocks are taken in increasing order, so once an image overflowed, later blocks cannot hold a lower one.
            if (first >= count || first > overflow.image()) {
                return totals;
            }
            int end = Math.min(count, first + BLOCK);
            for (int image = first; image < end; image++) {
                int offset = image * pixels;
                int label = data.labels()[image];
                try {
                    simulator.run(images, offset, workspace, result);
                } catch (IntegerOverflowException e) {
                    overflow.record(e.atImage(image));
                    return totals;
                }
                totals.addImage(result, label);

                if (floatAnn != null) {
                    int floatPrediction = floatAnn.predict(images, offset, image);
                    totals.annCorrect += floatPrediction == label ? 1 : 0;
                    totals.agreement += floatPrediction == result.prediction() ? 1 : 0;
                }
                if (reference != null) {
                    IntegerReference.Result expected = reference.evaluate(images, offset);
                    totals.intCorrect += expected.prediction() == label ? 1 : 0;
                    totals.intAgreement += expected.prediction() == result.prediction() ? 1 : 0;
                    for (int l = 0; l < layers; l++) {
                        totals.mismatches[l] += differences(result.neuronCounts(l), expected.layerCounts()[l]);
                    }
                    totals.inputMismatches += differences(result.inputCounts(), expected.inputCounts());
                }
            }
            int done = finished.addAndGet(end - first);
            if (progress != null) {
                progress.accept(done);
            }
        }
    }

    private static long differences(int[] actual, int[] expected) {
        long count = 0;
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != expected[i]) {
                count++;
            }
        }
        return count;
    }

    /** The overflow of the lowest image index that any worker found. */
    private static final class FirstOverflow {
        private IntegerOverflowException first;

        synchronized int image() {
            return first == null ? Integer.MAX_VALUE : first.image();
        }

        synchronized void record(IntegerOverflowException e) {
            if (first == null || e.image() < first.image()) {
                first = e;
            }
        }

        synchronized void throwIfFound() {
            if (first != null) {
                throw first;
            }
        }
    }

    /** Integer sums of one worker; integer addition is associative, so merging order does not matter. */
    static final class Totals {
        long snnCorrect;
        long annCorrect;
        long intCorrect;
        long agreement;
        long intAgreement;
        long inputSpikes;
        long inputMismatches;
        final long[] spikesPerLayer;
        final long[] synapticOpsPerLayer;
        final long[] mismatches;

        Totals(int layers) {
            spikesPerLayer = new long[layers];
            synapticOpsPerLayer = new long[layers + 1];
            mismatches = new long[layers];
        }

        void addImage(ImageResult result, int label) {
            snnCorrect += result.prediction() == label ? 1 : 0;
            inputSpikes += result.inputSpikes();
            long[] spikes = result.spikesPerLayer();
            for (int l = 0; l < spikes.length; l++) {
                spikesPerLayer[l] += spikes[l];
            }
            long[] ops = result.synapticOpsPerLayer();
            for (int l = 0; l < ops.length; l++) {
                synapticOpsPerLayer[l] += ops[l];
            }
        }

        void add(Totals other) {
            snnCorrect += other.snnCorrect;
            annCorrect += other.annCorrect;
            intCorrect += other.intCorrect;
            agreement += other.agreement;
            intAgreement += other.intAgreement;
            inputSpikes += other.inputSpikes;
            inputMismatches += other.inputMismatches;
            for (int l = 0; l < spikesPerLayer.length; l++) {
                spikesPerLayer[l] += other.spikesPerLayer[l];
                mismatches[l] += other.mismatches[l];
            }
            for (int l = 0; l < synapticOpsPerLayer.length; l++) {
                synapticOpsPerLayer[l] += other.synapticOpsPerLayer[l];
            }
        }
    }
}
