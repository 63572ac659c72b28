package org.ratesim.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Exact spike counts and evenly spaced spike times of the VR and ICE input encoders. */
public final class InputEncoding {

    private InputEncoding() {
    }

    /**
     * Returns min(floor((L + offset) · b / 255), T), clamped below at 0, for a pixel byte b in 0..255.
     *
     * <p>Integer L uses integer math. Other L are computed exactly in BigDecimal from the double's exact binary
     * value, so a level boundary such as L = 2.5, b = 102 (exactly 1) is never lost to rounding.
     */
    public static int count(double levels, int offset, int pixel, int timesteps) {
        double resolution = levels + offset;
        long floor;
        if (resolution == Math.rint(resolution) && Math.abs(resolution) < (1L << 52)) {
            floor = Math.floorDiv((long) resolution * pixel, 255L);
        } else {
            BigDecimal product = new BigDecimal(levels).add(BigDecimal.valueOf(offset))
                    .multiply(BigDecimal.valueOf(pixel));
            BigDecimal quotient = product.divide(BigDecimal.valueOf(255), 0, RoundingMode.FLOOR);
            floor = quotient.min(BigDecimal.valueOf(timesteps)).max(BigDecimal.ZERO).longValueExact();
        }
        return (int) Math.max(0, Math.min(floor, timesteps));
    }

    /** Returns, for each offset of {@code encoder}, the count of every pixel byte 0..255. */
    public static int[][] countTables(Encoder encoder, int timesteps) {
        int[] offsets = encoder.offsets();
        int[][] tables = new int[offsets.length][256];
        for (int g = 0; g < offsets.length; g++) {
            for (int b = 0; b < 256; b++) {
                tables[g][b] = count(encoder.levels(), offsets[g], b, timesteps);
            }
        }
        return tables;
    }

    /**
     * Returns whether a neuron that fires {@code count} of {@code timesteps} steps, evenly spaced, fires at step
     * {@code t} (1-based): iff floor(t·count/T) > floor((t − 1)·count/T). This is the response of an IF neuron to
     * the constant current count/T with threshold 1, so the spikes are pushed towards the end of the window.
     */
    public static boolean firesAt(int t, long count, int timesteps) {
        return (t * count) / timesteps > ((t - 1) * count) / timesteps;
    }
}
