package org.ratesim.tensor;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * The VR quantizer and the VR and ICE input encoders, computed without rounding errors.
 *
 * <p>With T time steps and L levels per unit of activation, the quantizer is Q(x) = floor(L · clamp(x, 0, T/L)) / L.
 * Because T is an integer, L · Q(x) equals the spike count k = clamp(floor(L · x), 0, T), which is what this class
 * computes first; the value is then k / L. L need not be an integer (for example 2.5).
 */
public final class Quantizer {

    /** Largest byte value. A byte b is the pixel value b / 255. */
    public static final int MAX_BYTE = 255;

    private Quantizer() {
    }

    /**
     * Returns the spike count clamp(floor(L · x), 0, T) of one activation.
     *
     * <p>The floor is exact for the real product of the double L and x, not for its rounded double value. A fused
     * multiply-add checks the sign of L · x − k, so a product that rounds up onto an integer level still counts as
     * the level below. NaN yields 0.
     */
    public static int count(double x, int timesteps, double levels) {
        checkLevels(timesteps, levels);
        if (!(x > 0.0)) {
            return 0;
        }
        double product = levels * x;
        if (product >= timesteps + 1.0) {
            return timesteps;
        }
        double k = Math.floor(product);
        if (Math.fma(levels, x, -k) < 0.0) {
            k -= 1.0;
        } else if (Math.fma(levels, x, -(k + 1.0)) >= 0.0) {
            k += 1.0;
        }
        return (int) Math.min(Math.max(k, 0.0), timesteps);
    }

    /** Applies Q(x) = clamp(floor(L · x), 0, T) / L element-wise; NaN stays NaN. */
    public static Tensor clampFloor(Tensor input, int timesteps, double levels) {
        checkLevels(timesteps, levels);
        float[] x = input.floats();
        float[] result = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            result[i] = Float.isNaN(x[i]) ? Float.NaN : (float) (count(x[i], timesteps, levels) / levels);
        }
        return Tensor.of(result, input.shape());
    }

    /**
     * Returns the spike count of one pixel byte, k = clamp(floor((L + offset) · b / 255), 0, T), computed exactly.
     *
     * <p>For an integer L the arithmetic is on longs. Otherwise L is taken as the exact binary value of the double (a
     * finite binary fraction) and the quotient is floored in {@link BigDecimal}. The lower clamp at 0 matters only
     * when L + offset is negative, which an ICE group with offset −1 and L below 1 gives.
     *
     * @param b      pixel byte, 0 to 255
     * @param offset ICE resolution offset, −1, 0 or +1 (0 for VR)
     */
    public static int byteCount(int b, int timesteps, double levels, int offset) {
        checkLevels(timesteps, levels);
        if (b < 0 || b > MAX_BYTE) {
            throw new IllegalArgumentException("invalid pixel byte " + b + ": must be in 0.." + MAX_BYTE);
        }
        if (offset < -1 || offset > 1) {
            throw new IllegalArgumentException("invalid ICE offset " + offset + ": must be -1, 0 or 1");
        }
        long count;
        if (levels == Math.rint(levels) && levels < Integer.MAX_VALUE) {
            // (L + offset) · 255 < 2^40, so the product fits a long.
            count = Math.floorDiv(((long) levels + offset) * b, MAX_BYTE);
        } else {
            BigDecimal numerator = new BigDecimal(levels).add(BigDecimal.valueOf(offset))
                    .multiply(BigDecimal.valueOf(b));
            BigDecimal quotient = numerator.divide(BigDecimal.valueOf(MAX_BYTE), 0, RoundingMode.FLOOR);
            count = quotient.min(BigDecimal.valueOf(timesteps)).longValue();
        }
        return (int) Math.max(0, Math.min(count, timesteps));
    }

    /** Returns the 256-entry table of {@link #byteCount} for every byte value. */
    public static int[] byteCounts(int timesteps, double levels, int offset) {
        int[] table = new int[MAX_BYTE + 1];
        for (int b = 0; b <= MAX_BYTE; b++) {
            table[b] = byteCount(b, timesteps, levels, offset);
        }
        return table;
    }

    /**
     * Encodes one image with the VR encoder: pixel byte b becomes the value min(floor(L · b / 255), T) / L.
     *
     * @param images bytes of one or more images, channels first
     * @param offset index of the image's first byte
     * @param shape  {@code [C, H, W]} of the image
     */
    public static Tensor encodeVr(byte[] images, int offset, int[] shape, int timesteps, double levels) {
        return inputExpansion(images, offset, shape, timesteps, levels, new int[] {0});
    }

    /**
     * Encodes one image with ICE: for group g with offset d = {@code offsets[g]} and input channel c, output channel
     * g·C + c contains the value k / L with k = min(floor((L + d) · b / 255), T).
     *
     * @param images  bytes of one or more images, channels first
     * @param offset  index of the image's first byte
     * @param shape   {@code [C, H, W]} of the image
     * @param offsets ICE resolution offsets in channel-group order, each −1, 0 or +1
     * @return {@code [C · offsets.length, H, W]}
     */
    public static Tensor inputExpansion(byte[] images, int offset, int[] shape, int timesteps, double levels,
                                        int[] offsets) {
        if (offsets.length == 0) {
            throw new IllegalArgumentException("ICE offsets are empty; give at least one offset");
        }
        float[][] groupValues = new float[offsets.length][];
        for (int g = 0; g < offsets.length; g++) {
            groupValues[g] = byteValues(timesteps, levels, offsets[g]);
        }
        return expand(images, offset, shape, groupValues);
    }

    /** Returns the 256-entry table of encoded values k / L, with k from {@link #byteCount}. */
    public static float[] byteValues(int timesteps, double levels, int offset) {
        int[] counts = byteCounts(timesteps, levels, offset);
        float[] values = new float[counts.length];
        for (int b = 0; b < counts.length; b++) {
            values[b] = (float) (counts[b] / levels);
        }
        return values;
    }

    /**
     * Encodes one image through precomputed value tables, one per channel group: output channel g·C + c contains
     * {@code groupValues[g][b]} for the byte b of input channel c. Callers that encode many images build the tables
     * once with {@link #byteValues}.
     *
     * @return {@code [C · groupValues.length, H, W]}
     */
    public static Tensor expand(byte[] images, int offset, int[] shape, float[][] groupValues) {
        if (shape.length != 3) {
            throw new IllegalArgumentException("image shape " + Arrays.toString(shape) + " must be [C, H, W]");
        }
        int pixels = Tensor.size(shape);
        if (offset < 0 || offset > images.length - pixels) {
            throw new IllegalArgumentException("image at byte " + offset + " with " + pixels
                    + " bytes does not fit in " + images.length + " bytes");
        }
        float[] result = new float[pixels * groupValues.length];
        for (int g = 0; g < groupValues.length; g++) {
            float[] values = groupValues[g];
            int groupBase = g * pixels;
            for (int i = 0; i < pixels; i++) {
                result[groupBase + i] = values[images[offset + i] & 0xFF];
            }
        }
        return Tensor.of(result, shape[0] * groupValues.length, shape[1], shape[2]);
    }

    private static void checkLevels(int timesteps, double levels) {
        if (timesteps < 1) {
            throw new IllegalArgumentException("invalid timesteps " + timesteps + ": must be at least 1");
        }
        if (!(levels > 0.0) || Double.isInfinite(levels)) {
            throw new IllegalArgumentException("invalid levels " + levels + ": must be a finite number above 0");
        }
    }
}
