package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Compares the SIMD kernels with the scalar reference on random inputs: lengths around every lane count, offsets,
 * channel counts, values at the int16 and int32 limits (so sums and products wrap), extreme thresholds and both reset
 * modes. Results must be identical, element for element. The seed comes from {@code -Dratesim.seed}.
 */
@Tag("kernels")
class KernelDifferentialTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int[] CHANNEL_COUNTS = {1, 3, 7, 8, 16, 33, 64, 128};
    private static final int[] OFFSETS = {0, 1, 3, 17};

    private static SpikeKernels scalar;
    private static SpikeKernels simd;

    @BeforeAll
    static void loadKernels() {
        scalar = Kernels.scalar();
        simd = Kernels.simdOrNull();
        if ("simd".equals(System.getProperty("ratesim.expectKernels"))) {
            assertNotNull(simd, "-Dratesim.expectKernels=simd but the SIMD kernels did not load; run the JVM with"
                    + " --add-modules jdk.incubator.vector on a CPU with at least 256-bit vectors");
        }
    }

    /** Skips each test, visibly and with the reason, when there are no SIMD kernels to compare. */
    @BeforeEach
    void requireSimd() {
        Assumptions.assumeTrue(simd != null, "SIMD kernels unavailable (module jdk.incubator.vector not loaded or"
                + " vectors too narrow), so there is nothing to compare with the scalar kernels");
    }

    /** Returns 0, 1, small primes up to 4093 and every multiple of 4 to 64 lanes, plus and minus one, up to 4100. */
    private static SortedSet<Integer> lengths() {
        SortedSet<Integer> lengths = new TreeSet<>(List.of(0, 1, 2, 3, 5, 7, 11, 13, 31, 61, 127, 257, 509, 1021,
                2039, 4093));
        for (int lanes : new int[] {4, 8, 16, 32, 64}) {
            for (int multiple = 1; multiple * lanes <= 4100; multiple = multiple < 4 ? multiple + 1 : multiple * 3) {
                lengths.add(multiple * lanes - 1);
                lengths.add(multiple * lanes);
                lengths.add(multiple * lanes + 1);
            }
        }
        return lengths;
    }

    /** Returns a random int16, often one of the limits or a value next to zero. */
    private static short weight(Random random) {
        switch (random.nextInt(8)) {
            case 0:
                return Short.MAX_VALUE;
            case 1:
                return Short.MIN_VALUE;
            case 2:
                return (short) (random.nextInt(3) - 1);
            default:
                return (short) random.nextInt(1 << 16);
        }
    }

    /** Returns a random int, often one of the limits or a value near them, so that additions wrap. */
    private static int extremeInt(Random random) {
        switch (random.nextInt(8)) {
            case 0:
                return Integer.MAX_VALUE - random.nextInt(40_000);
            case 1:
                return Integer.MIN_VALUE + random.nextInt(40_000);
            case 2:
                return random.nextInt(3) - 1;
            case 3:
                return random.nextInt(2001) - 1000;
            default:
                return random.nextInt();
        }
    }

    private static short[] weights(Random random, int length) {
        short[] weights = new short[length];
        for (int i = 0; i < length; i++) {
            weights[i] = weight(random);
        }
        return weights;
    }

    private static int[] ints(Random random, int length) {
        int[] values = new int[length];
        for (int i = 0; i < length; i++) {
            values[i] = extremeInt(random);
        }
        return values;
    }

    private static int multiplier(Random random) {
        int[] special = {0, 1, -1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 65_537};
        return random.nextBoolean() ? special[random.nextInt(special.length)] : random.nextInt();
    }

    @Test
    void accumulateMatchesScalar() {
        Random random = new Random(SEED);
        for (int length : lengths()) {
            for (int offset : OFFSETS) {
                short[] weights = weights(random, length + offset + 5);
                int[] membrane = ints(random, length + offset + 5);
                int membraneOffset = (offset * 7) % 5;
                int[] expected = membrane.clone();
                int[] actual = membrane.clone();

                scalar.accumulate(expected, membraneOffset, weights, offset, length);
                simd.accumulate(actual, membraneOffset, weights, offset, length);

                assertArrayEquals(expected, actual, "accumulate length " + length + ", weight offset " + offset
                        + ", membrane offset " + membraneOffset + ", seed " + SEED);
            }
        }
    }

    @Test
    void accumulateFullWidthMatchesScalar() {
        PanamaSpikeKernels panama = (PanamaSpikeKernels) simd;
        Random random = new Random(SEED + 1);
        for (int length : lengths()) {
            for (int offset : OFFSETS) {
                short[] weights = weights(random, length + offset);
                int[] membrane = ints(random, length + offset);
                int[] expected = membrane.clone();
                int[] actual = membrane.clone();

                scalar.accumulate(expected, offset, weights, offset, length);
                panama.accumulateFullWidth(actual, offset, weights, offset, length);

                assertArrayEquals(expected, actual, "accumulateFullWidth length " + length + ", offset " + offset
                        + ", seed " + (SEED + 1));
            }
        }
    }

    @Test
    void accumulateScaledMatchesScalar() {
        Random random = new Random(SEED + 2);
        for (int length : lengths()) {
            for (int offset : OFFSETS) {
                short[] weights = weights(random, length + offset);
                int[] membrane = ints(random, length + 2 * offset);
                int multiplier = multiplier(random);
                int[] expected = membrane.clone();
                int[] actual = membrane.clone();

                scalar.accumulateScaled(expected, 2 * offset, weights, offset, length, multiplier);
                simd.accumulateScaled(actual, 2 * offset, weights, offset, length, multiplier);

                assertArrayEquals(expected, actual, "accumulateScaled length " + length + ", offset " + offset
                        + ", multiplier " + multiplier + ", seed " + (SEED + 2));
            }
        }
    }

    /**
     * Covers output lengths around 1, 2 and 4 vectors of every lane count, input counts from none to a few hundred,
     * strides equal to and larger than the length, and counts that mix zeros, small spike counts and int32 extremes.
     */
    @Test
    void accumulateDenseMatchesScalar() {
        Random random = new Random(SEED + 5);
        int[] countLengths = {0, 1, 2, 3, 9, 31, 288};
        for (int length : lengths()) {
            if (length > 600) {
                continue;
            }
            for (int countLength : countLengths) {
                int stride = length + random.nextInt(3) * 7;
                int weightOffset = random.nextInt(5);
                int countOffset = random.nextInt(4);
                int membraneOffset = random.nextInt(6);
                short[] weights = weights(random, weightOffset + countLength * stride + length);
                int[] counts = new int[countOffset + countLength];
                for (int j = 0; j < counts.length; j++) {
                    counts[j] = random.nextBoolean() ? random.nextInt(5) : extremeInt(random);
                }
                int[] membrane = ints(random, membraneOffset + length + 3);
                int[] expected = membrane.clone();
                int[] actual = membrane.clone();

                scalar.accumulateDense(expected, membraneOffset, length, counts, countOffset, countLength, weights,
                        weightOffset, stride);
                simd.accumulateDense(actual, membraneOffset, length, counts, countOffset, countLength, weights,
                        weightOffset, stride);

                assertArrayEquals(expected, actual, "accumulateDense length " + length + ", count length "
                        + countLength + ", stride " + stride + ", seed " + (SEED + 5));
            }
        }
    }

    /** Returns position counts that give maps from empty up to a few thousand neurons for {@code channels}. */
    private static List<Integer> positionCounts(int channels) {
        List<Integer> counts = new ArrayList<>(List.of(0, 1, 2, 3, 5, 17));
        counts.add(Math.max(1, 4093 / channels));
        return counts;
    }

    @Test
    void addBiasMatchesScalar() {
        Random random = new Random(SEED + 3);
        for (int channels : CHANNEL_COUNTS) {
            for (int positions : positionCounts(channels)) {
                int[] bias = ints(random, channels);
                int multiplier = multiplier(random);
                // A membrane longer than the map must keep its extra entries.
                int[] membrane = ints(random, positions * channels + 3);
                int[] expected = membrane.clone();
                int[] actual = membrane.clone();

                scalar.addBias(expected, bias, multiplier, positions, channels);
                simd.addBias(actual, bias, multiplier, positions, channels);

                assertArrayEquals(expected, actual, "addBias " + positions + " positions × " + channels
                        + " channels, multiplier " + multiplier + ", seed " + (SEED + 3));
            }
        }
    }

    /** Threshold sets: random positive, extreme values, and mixed signs. */
    private static int[] thresholds(Random random, int channels, int kind) {
        int[] thresholds = new int[channels];
        for (int c = 0; c < channels; c++) {
            switch (kind) {
                case 0:
                    thresholds[c] = 1 + random.nextInt(1000);
                    break;
                case 1:
                    thresholds[c] = Integer.MAX_VALUE;
                    break;
                case 2:
                    thresholds[c] = Integer.MIN_VALUE;
                    break;
                default:
                    thresholds[c] = extremeInt(random);
                    break;
            }
        }
        return thresholds;
    }

    /** Returns membranes around the thresholds, so that about {@code percent} of them fire. */
    private static int[] membranesNear(Random random, int[] thresholds, int positions, int percent) {
        int channels = thresholds.length;
        int[] membrane = new int[positions * channels];
        for (int i = 0; i < membrane.length; i++) {
            int threshold = thresholds[i % channels];
            boolean fires = random.nextInt(100) < percent;
            if (random.nextInt(10) == 0) {
                membrane[i] = extremeInt(random);
            } else if (fires) {
                membrane[i] = threshold > Integer.MAX_VALUE - 500 ? threshold : threshold + random.nextInt(500);
            } else {
                membrane[i] = threshold < Integer.MIN_VALUE + 500 ? threshold : threshold - 1 - random.nextInt(499);
            }
        }
        return membrane;
    }

    @Test
    void emptyMapReadsNoBiasOrThreshold() {
        int[] membrane = {5, 6};
        int[] events = {-7};

        simd.addBias(membrane, new int[0], 3, 0, 1);
        int count = simd.fire(membrane, new int[0], 0, 1, false, events, 0);

        assertEquals(0, count);
        assertArrayEquals(new int[] {5, 6}, membrane);
        assertArrayEquals(new int[] {-7}, events);
    }

    @Test
    void fireMatchesScalar() {
        Random random = new Random(SEED + 4);
        int[] firingPercents = {0, 1, 50, 100};
        for (ResetMode reset : ResetMode.values()) {
            boolean resetToZero = reset == ResetMode.ZERO;
            for (int channels : CHANNEL_COUNTS) {
                for (int positions : positionCounts(channels)) {
                    for (int kind = 0; kind < 4; kind++) {
                        for (int percent : firingPercents) {
                            int[] thresholds = thresholds(random, channels, kind);
                            int[] membrane = membranesNear(random, thresholds, positions, percent);
                            int eventOffset = random.nextInt(4);
                            int[] expectedMembrane = membrane.clone();
                            int[] actualMembrane = membrane.clone();
                            // Events past the returned count must stay untouched, so both buffers start at -7.
                            int[] expectedEvents = new int[eventOffset + membrane.length + 2];
                            Arrays.fill(expectedEvents, -7);
                            int[] actualEvents = expectedEvents.clone();

                            int expectedCount = scalar.fire(expectedMembrane, thresholds, positions, channels,
                                    resetToZero, expectedEvents, eventOffset);
                            int actualCount = simd.fire(actualMembrane, thresholds, positions, channels,
                                    resetToZero, actualEvents, eventOffset);

                            String context = "fire " + positions + " positions × " + channels + " channels, reset "
                                    + reset.id() + ", threshold kind " + kind + ", " + percent + "% firing, seed "
                                    + (SEED + 4);
                            assertEquals(expectedCount, actualCount, context + ": spike count");
                            assertArrayEquals(expectedEvents, actualEvents, context + ": events");
                            assertArrayEquals(expectedMembrane, actualMembrane, context + ": membranes");
                        }
                    }
                }
            }
        }
    }
}
