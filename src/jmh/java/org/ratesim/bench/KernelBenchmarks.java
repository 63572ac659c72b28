package org.ratesim.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.PanamaSpikeKernels;
import org.ratesim.sim.SpikeKernels;

/**
 * Scalar versus SIMD spike kernels. Each nested class is one kernel, and its {@code kernels} parameter picks the
 * implementation: {@code scalar}, {@code simd} ({@link PanamaSpikeKernels}) or, for accumulate only,
 * {@code simd-full-width} (the load strategy of {@link PanamaSpikeKernels#accumulateFullWidth}). The forks add
 * {@code --add-modules jdk.incubator.vector}; without it the SIMD cases fail in setup.
 */
public final class KernelBenchmarks {

    private static final long SEED = 20261204L;

    private KernelBenchmarks() {
    }

    static SpikeKernels kernels(String id) {
        if (id.equals("scalar")) {
            return Kernels.scalar();
        }
        SpikeKernels simd = Kernels.simdOrNull();
        if (simd == null) {
            throw new IllegalStateException("SIMD kernels not available for kernels=" + id
                    + "; run the fork with --add-modules jdk.incubator.vector on a CPU with 256-bit vectors or wider");
        }
        return simd;
    }

    static short[] randomWeights(Random random, int length) {
        short[] weights = new short[length];
        for (int i = 0; i < length; i++) {
            weights[i] = (short) (random.nextInt(2001) - 1000);
        }
        return weights;
    }

    /**
     * One presynaptic spike: adds a row of {@code fanOut} int16 weights to the membranes. Successive calls walk
     * through 64 rows, so each call reads a different row.
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class Accumulate {

        private static final int ROWS = 64;

        @Param({"scalar", "simd", "simd-full-width"})
        public String kernels;

        @Param({"32", "64", "128", "512"})
        public int fanOut;

        private SpikeKernels selected;
        private PanamaSpikeKernels panama;
        private boolean fullWidth;
        private short[] weights;
        private int[] membrane;
        private int row;

        @Setup
        public void setUp() {
            selected = KernelBenchmarks.kernels(kernels);
            panama = selected instanceof PanamaSpikeKernels ? (PanamaSpikeKernels) selected : null;
            fullWidth = kernels.equals("simd-full-width");
            weights = randomWeights(new Random(SEED), ROWS * fanOut);
            membrane = new int[fanOut];
        }

        private int nextRowOffset() {
            row = row + 1 == ROWS ? 0 : row + 1;
            return row * fanOut;
        }

        @Benchmark
        public int[] accumulate() {
            if (fullWidth) {
                panama.accumulateFullWidth(membrane, 0, weights, nextRowOffset(), fanOut);
            } else {
                selected.accumulate(membrane, 0, weights, nextRowOffset(), fanOut);
            }
            return membrane;
        }
    }

    /** An ASG neuron's whole spike count at once: adds {@code count × row} for a row of {@code fanOut} weights. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class AccumulateScaled {

        private static final int ROWS = 64;

        @Param({"scalar", "simd"})
        public String kernels;

        @Param({"128", "512"})
        public int fanOut;

        private SpikeKernels selected;
        private short[] weights;
        private int[] membrane;
        private int row;

        @Setup
        public void setUp() {
            selected = KernelBenchmarks.kernels(kernels);
            weights = randomWeights(new Random(SEED), ROWS * fanOut);
            membrane = new int[fanOut];
        }

        @Benchmark
        public int[] accumulateScaled() {
            row = row + 1 == ROWS ? 0 : row + 1;
            selected.accumulateScaled(membrane, 0, weights, row * fanOut, fanOut, 1 + row % 7);
            return membrane;
        }
    }

    /** The per-step bias current of a whole layer of {@code positions × channels} neurons. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class AddBias {

        @Param({"scalar", "simd"})
        public String kernels;

        /** Positions × channels: a dense layer, a 14×14 conv map with 64 channels, and one with 33. */
        @Param({"1x1024", "196x64", "196x33"})
        public String shape;

        private SpikeKernels selected;
        private int[] membrane;
        private int[] bias;
        private int positions;
        private int channels;

        @Setup
        public void setUp() {
            selected = KernelBenchmarks.kernels(kernels);
            String[] parts = shape.split("x");
            positions = Integer.parseInt(parts[0]);
            channels = Integer.parseInt(parts[1]);
            Random random = new Random(SEED);
            bias = new int[channels];
            for (int c = 0; c < channels; c++) {
                bias[c] = random.nextInt(2001) - 1000;
            }
            membrane = new int[positions * channels];
        }

        @Benchmark
        public int[] addBias() {
            selected.addBias(membrane, bias, 3, positions, channels);
            return membrane;
        }
    }

    /**
     * The threshold pass over a layer. Each call first restores the membranes from a saved copy, so every call fires
     * at the same rate. {@link FireCopy} measures that copy alone.
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class Fire {

        @Param({"scalar", "simd"})
        public String kernels;

        /** Positions × channels, as in {@link AddBias}. */
        @Param({"1x1024", "196x64"})
        public String shape;

        /** Percentage of neurons at or above their threshold: 1 is sparse, 50 is dense firing. */
        @Param({"1", "50"})
        public int firingPercent;

        private SpikeKernels selected;
        private int[] saved;
        private int[] membrane;
        private int[] threshold;
        private int[] events;
        private int positions;
        private int channels;

        @Setup
        public void setUp() {
            selected = KernelBenchmarks.kernels(kernels);
            String[] parts = shape.split("x");
            positions = Integer.parseInt(parts[0]);
            channels = Integer.parseInt(parts[1]);
            Random random = new Random(SEED);
            threshold = new int[channels];
            for (int c = 0; c < channels; c++) {
                threshold[c] = 1000 + random.nextInt(1000);
            }
            saved = new int[positions * channels];
            for (int i = 0; i < saved.length; i++) {
                int t = threshold[i % channels];
                saved[i] = random.nextInt(100) < firingPercent ? t + random.nextInt(t) : random.nextInt(t);
            }
            membrane = saved.clone();
            events = new int[saved.length];
        }

        @Benchmark
        public int fire() {
            System.arraycopy(saved, 0, membrane, 0, saved.length);
            return selected.fire(membrane, threshold, positions, channels, false, events, 0);
        }

    }

    /** The membrane copy that every {@link Fire} call makes, measured alone so it can be subtracted. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class FireCopy {

        @Param({"1x1024", "196x64"})
        public String shape;

        private int[] saved;
        private int[] membrane;

        @Setup
        public void setUp() {
            String[] parts = shape.split("x");
            saved = new int[Integer.parseInt(parts[0]) * Integer.parseInt(parts[1])];
            membrane = new int[saved.length];
        }

        @Benchmark
        public int[] copyOnly() {
            System.arraycopy(saved, 0, membrane, 0, saved.length);
            return membrane;
        }
    }
}
