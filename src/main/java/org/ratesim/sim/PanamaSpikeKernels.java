package org.ratesim.sim;

import java.util.Locale;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels on the incubating Vector API, bit-identical to {@link ScalarSpikeKernels}.
 *
 * <p>This is the only class that imports {@code jdk.incubator.vector}. {@link Kernels} loads it by name after checking
 * that the module is present, so the default path never links against the module. The vector width follows the
 * hardware ({@link VectorShape#preferredShape()}): a species wider than the CPU supports runs many times slower than
 * scalar code. Integer lanes wrap on overflow exactly like Java {@code int}, so every result matches the scalar
 * reference bit for bit, overflow included.
 */
public final class PanamaSpikeKernels implements SpikeKernels {

    /**
     * Species constants. They sit in a holder so that no vector API code runs before the constructor's checks. They
     * are static final because C2 folds only those into constants, and the intrinsics need a constant species.
     */
    private static final class Species {
        static final int BITS = VectorShape.preferredShape().vectorBitSize();
        static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
        /** Shorts at half the width: one load yields exactly one int vector after sign extension. */
        static final VectorSpecies<Short> SHORT_HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
        /** Shorts at the full width: one load yields two int vectors after sign extension. */
        static final VectorSpecies<Short> SHORT_FULL = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS));
        static final int LANES = INT.length();
        /** Lane k is 1 << k, for turning a mask of up to 32 lanes into an int bit set. */
        static final int[] LANE_BITS = powersOfTwo(Math.min(LANES, Integer.SIZE));

        private static int[] powersOfTwo(int lanes) {
            int[] bits = new int[LANES];
            for (int k = 0; k < lanes; k++) {
                bits[k] = 1 << k;
            }
            return bits;
        }

        private Species() {
        }
    }

    private final String name;

    /**
     * Creates the kernels for the preferred vector width of this CPU.
     *
     * @throws UnsupportedOperationException when the preferred width is below 128 bits, below 256 bits on x86, or
     *                                       has no half-width short species. {@link Kernels} then falls back to the
     *                                       scalar kernels.
     */
    public PanamaSpikeKernels() {
        int bits = VectorShape.preferredShape().vectorBitSize();
        if (bits < 128) {
            throw new UnsupportedOperationException("the preferred vector width is " + bits
                    + " bits, below the 128 bits the SIMD kernels need");
        }
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        if (x86 && bits < 256) {
            // NOTE: the 256-bit floor on x86 follows Lucene's choice; 128-bit kernels were not measured here.
            throw new UnsupportedOperationException("the preferred vector width on " + arch + " is " + bits
                    + " bits, below the 256 bits the SIMD kernels need on x86");
        }
        try {
            VectorShape.forBitSize(bits / 2);
        } catch (IllegalArgumentException e) {
            throw new UnsupportedOperationException("no " + (bits / 2) + "-bit vector shape exists to widen int16"
                    + " weights into " + bits + "-bit int vectors");
        }
        this.name = "panama-" + Species.BITS;
    }

    /** Returns "panama-N", where N is the vector width in bits. */
    @Override
    public String name() {
        return name;
    }

    /** Returns the number of int lanes in one vector. */
    @Override
    public int intLanes() {
        return Species.LANES;
    }

    /**
     * Loads {@code lanes} shorts at a time and sign-extends them into one int vector ({@code S2I} from the half-width
     * short species). The JMH benchmarks compare it with {@link #accumulateFullWidth}.
     */
    @Override
    public void accumulate(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int i = 0;
        for (int upper = length - length % lanes; i < upper; i += lanes) {
            IntVector current = (IntVector) ShortVector.fromArray(Species.SHORT_HALF, weights, weightOffset + i)
                    .convertShape(VectorOperators.S2I, intSpecies, 0);
            IntVector.fromArray(intSpecies, membrane, membraneOffset + i)
                    .add(current)
                    .intoArray(membrane, membraneOffset + i);
        }
        for (; i < length; i++) {
            membrane[membraneOffset + i] += weights[weightOffset + i];
        }
    }

    /**
     * Does the same as {@link #accumulate}, but loads {@code 2 × lanes} shorts at the full width and sign-extends
     * each half into its own int vector. It exists so the benchmarks can compare the two load strategies.
     */
    public void accumulateFullWidth(int[] membrane, int membraneOffset, short[] weights, int weightOffset,
                                    int length) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int step = 2 * lanes;
        int i = 0;
        for (int upper = length - length % step; i < upper; i += step) {
            ShortVector loaded = ShortVector.fromArray(Species.SHORT_FULL, weights, weightOffset + i);
            IntVector low = (IntVector) loaded.convertShape(VectorOperators.S2I, intSpecies, 0);
            IntVector high = (IntVector) loaded.convertShape(VectorOperators.S2I, intSpecies, 1);
            int at = membraneOffset + i;
            IntVector.fromArray(intSpecies, membrane, at).add(low).intoArray(membrane, at);
            IntVector.fromArray(intSpecies, membrane, at + lanes).add(high).intoArray(membrane, at + lanes);
        }
        for (; i < length; i++) {
            membrane[membraneOffset + i] += weights[weightOffset + i];
        }
    }

    @Override
    public void accumulateScaled(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length,
                                 int multiplier) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int i = 0;
        for (int upper = length - length % lanes; i < upper; i += lanes) {
            IntVector current = (IntVector) ShortVector.fromArray(Species.SHORT_HALF, weights, weightOffset + i)
                    .convertShape(VectorOperators.S2I, intSpecies, 0);
            // The 32-bit lane multiply keeps the low 32 bits of the product, as Java int multiplication does.
            IntVector.fromArray(intSpecies, membrane, membraneOffset + i)
                    .add(current.mul(multiplier))
                    .intoArray(membrane, membraneOffset + i);
        }
        for (; i < length; i++) {
            membrane[membraneOffset + i] += multiplier * weights[weightOffset + i];
        }
    }

    /**
     * Keeps blocks of 4, 2 or 1 vectors of outputs in registers while it walks all inputs, so each membrane is loaded
     * and stored once per call instead of once per input. Zero counts are multiplied like any other, because the engine
     * calls this only when at least a quarter of the inputs are active, and a branch on zero would mispredict often.
     */
    @Override
    public void accumulateDense(int[] membrane, int membraneOffset, int length, int[] counts, int countOffset,
                                int countLength, short[] weights, int weightOffset, int weightStride) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int i = 0;
        for (; i + 4 * lanes <= length; i += 4 * lanes) {
            int at = membraneOffset + i;
            IntVector sum0 = IntVector.fromArray(intSpecies, membrane, at);
            IntVector sum1 = IntVector.fromArray(intSpecies, membrane, at + lanes);
            IntVector sum2 = IntVector.fromArray(intSpecies, membrane, at + 2 * lanes);
            IntVector sum3 = IntVector.fromArray(intSpecies, membrane, at + 3 * lanes);
            int row = weightOffset + i;
            for (int j = 0; j < countLength; j++, row += weightStride) {
                int count = counts[countOffset + j];
                sum0 = sum0.add(widen(weights, row).mul(count));
                sum1 = sum1.add(widen(weights, row + lanes).mul(count));
                sum2 = sum2.add(widen(weights, row + 2 * lanes).mul(count));
                sum3 = sum3.add(widen(weights, row + 3 * lanes).mul(count));
            }
            sum0.intoArray(membrane, at);
            sum1.intoArray(membrane, at + lanes);
            sum2.intoArray(membrane, at + 2 * lanes);
            sum3.intoArray(membrane, at + 3 * lanes);
        }
        if (i + 2 * lanes <= length) {
            int at = membraneOffset + i;
            IntVector sum0 = IntVector.fromArray(intSpecies, membrane, at);
            IntVector sum1 = IntVector.fromArray(intSpecies, membrane, at + lanes);
            int row = weightOffset + i;
            for (int j = 0; j < countLength; j++, row += weightStride) {
                int count = counts[countOffset + j];
                sum0 = sum0.add(widen(weights, row).mul(count));
                sum1 = sum1.add(widen(weights, row + lanes).mul(count));
            }
            sum0.intoArray(membrane, at);
            sum1.intoArray(membrane, at + lanes);
            i += 2 * lanes;
        }
        if (i + lanes <= length) {
            int at = membraneOffset + i;
            IntVector sum = IntVector.fromArray(intSpecies, membrane, at);
            int row = weightOffset + i;
            for (int j = 0; j < countLength; j++, row += weightStride) {
                sum = sum.add(widen(weights, row).mul(counts[countOffset + j]));
            }
            sum.intoArray(membrane, at);
            i += lanes;
        }
        for (; i < length; i++) {
            int sum = membrane[membraneOffset + i];
            int row = weightOffset + i;
            for (int j = 0; j < countLength; j++, row += weightStride) {
                sum += counts[countOffset + j] * weights[row];
            }
            membrane[membraneOffset + i] = sum;
        }
    }

    /** Loads {@code lanes} int16 weights from {@code offset} and sign-extends them into one int vector. */
    private static IntVector widen(short[] weights, int offset) {
        return (IntVector) ShortVector.fromArray(Species.SHORT_HALF, weights, offset)
                .convertShape(VectorOperators.S2I, Species.INT, 0);
    }

    /**
     * Vectorizes over the channels of each position with a scalar tail. With one channel the whole map is a single
     * run, so it is vectorized as one array.
     */
    @Override
    public void addBias(int[] membrane, int[] bias, int multiplier, int positions, int channels) {
        // NOTE: from 2 channels up to one vector's lane count, every position runs the scalar tail only.
        if (channels == 1 && positions > 0) {
            addScalarToAll(membrane, multiplier * bias[0], positions);
            return;
        }
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int upper = channels - channels % lanes;
        int base = 0;
        for (int p = 0; p < positions; p++, base += channels) {
            int c = 0;
            for (; c < upper; c += lanes) {
                IntVector scaledBias = IntVector.fromArray(intSpecies, bias, c).mul(multiplier);
                IntVector.fromArray(intSpecies, membrane, base + c)
                        .add(scaledBias)
                        .intoArray(membrane, base + c);
            }
            for (; c < channels; c++) {
                membrane[base + c] += multiplier * bias[c];
            }
        }
    }

    private static void addScalarToAll(int[] membrane, int value, int length) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int i = 0;
        for (int upper = length - length % lanes; i < upper; i += lanes) {
            IntVector.fromArray(intSpecies, membrane, i).add(value).intoArray(membrane, i);
        }
        for (; i < length; i++) {
            membrane[i] += value;
        }
    }

    /**
     * Compares a vector of membranes with their thresholds and skips the vector when no lane fires. Otherwise it
     * resets the firing lanes under the mask and writes their indices by walking the set bits of the mask from the
     * lowest, which keeps the events in increasing order. With one channel the whole map shares one threshold.
     */
    @Override
    public int fire(int[] membrane, int[] threshold, int positions, int channels, boolean resetToZero, int[] events,
                    int eventOffset) {
        if (channels == 1 && positions > 0) {
            return fireOneThreshold(membrane, threshold[0], positions, resetToZero, events, eventOffset);
        }
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int upper = channels - channels % lanes;
        int count = 0;
        int base = 0;
        for (int p = 0; p < positions; p++, base += channels) {
            int c = 0;
            for (; c < upper; c += lanes) {
                IntVector potential = IntVector.fromArray(intSpecies, membrane, base + c);
                IntVector limit = IntVector.fromArray(intSpecies, threshold, c);
                VectorMask<Integer> spikes = potential.compare(VectorOperators.GE, limit);
                if (!spikes.anyTrue()) {
                    continue;
                }
                IntVector reset = resetToZero
                        ? potential.blend(0, spikes)
                        : potential.lanewise(VectorOperators.SUB, limit, spikes);
                reset.intoArray(membrane, base + c);
                count = writeEvents(laneBits(spikes), base + c, events, eventOffset + count) - eventOffset;
            }
            for (; c < channels; c++) {
                int index = base + c;
                int potential = membrane[index];
                if (potential >= threshold[c]) {
                    membrane[index] = resetToZero ? 0 : potential - threshold[c];
                    events[eventOffset + count++] = index;
                }
            }
        }
        return count;
    }

    private static int fireOneThreshold(int[] membrane, int threshold, int length, boolean resetToZero, int[] events,
                                        int eventOffset) {
        VectorSpecies<Integer> intSpecies = Species.INT;
        int lanes = Species.LANES;
        int next = eventOffset;
        int i = 0;
        for (int upper = length - length % lanes; i < upper; i += lanes) {
            IntVector potential = IntVector.fromArray(intSpecies, membrane, i);
            VectorMask<Integer> spikes = potential.compare(VectorOperators.GE, threshold);
            if (!spikes.anyTrue()) {
                continue;
            }
            IntVector reset = resetToZero
                    ? potential.blend(0, spikes)
                    : potential.lanewise(VectorOperators.SUB, threshold, spikes);
            reset.intoArray(membrane, i);
            next = writeEvents(laneBits(spikes), i, events, next);
        }
        for (; i < length; i++) {
            int potential = membrane[i];
            if (potential >= threshold) {
                membrane[i] = resetToZero ? 0 : potential - threshold;
                events[next++] = i;
            }
        }
        return next - eventOffset;
    }

    /**
     * Returns the mask as a bit set, lane k in bit k. {@code VectorMask.toLong()} allocates on JDK 17.0.15 (32 bytes
     * and about 8 times the time per call, measured on AMD EPYC with 512-bit vectors) but not on JDK 25.0.3, so
     * masks of up to 32 lanes are reduced by OR over the lane bits, which allocates on neither.
     */
    private static long laneBits(VectorMask<Integer> mask) {
        if (Species.LANES > Integer.SIZE) {
            // NOTE: only vectors wider than 1024 bits (SVE) take this path, and no test machine has them.
            return mask.toLong();
        }
        IntVector bits = IntVector.fromArray(Species.INT, Species.LANE_BITS, 0);
        int set = IntVector.zero(Species.INT).blend(bits, mask).reduceLanes(VectorOperators.OR);
        return set & 0xFFFF_FFFFL;
    }

    /**
     * Writes {@code firstIndex + k} for every set bit k of {@code laneBits}, lowest first, from {@code next} on, and
     * returns the position after the last one written. At most 64 lanes fit in the long, and an int vector of the
     * widest shape (2048 bits) has 64.
     */
    private static int writeEvents(long laneBits, int firstIndex, int[] events, int next) {
        long remaining = laneBits;
        while (remaining != 0) {
            events[next++] = firstIndex + Long.numberOfTrailingZeros(remaining);
            remaining &= remaining - 1;
        }
        return next;
    }
}
