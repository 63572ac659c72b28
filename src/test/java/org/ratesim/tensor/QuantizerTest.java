package org.ratesim.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class QuantizerTest {

    private static float[] quantize(int timesteps, double levels, float... x) {
        return Quantizer.clampFloor(Tensor.of(x, x.length), timesteps, levels).floats();
    }

    @Test
    void clampFloorOneStepFourLevels() {
        // T = 1, L = 4: the range is [0, 0.25] and the only nonzero level is 0.25.
        float[] out = quantize(1, 4, -0.1f, 0f, 0.2f, 0.249f, 0.25f, 0.3f, 1f);

        assertArrayEquals(new float[] {0, 0, 0, 0, 0.25f, 0.25f, 0.25f}, out);
    }

    @Test
    void clampFloorFourStepsEightLevels() {
        // T = 4, L = 8: levels 0, 1/8, 2/8, 3/8, 4/8, clamped at 0.5.
        float[] out = quantize(4, 8, 0.124f, 0.125f, 0.26f, 0.49f, 0.5f, 0.9f);

        assertArrayEquals(new float[] {0, 0.125f, 0.25f, 0.375f, 0.5f, 0.5f}, out);
    }

    @Test
    void clampFloorNonIntegerLevels() {
        // L = 2.5: one level is worth 0.4. T = 1 clamps at 0.4; T = 2 clamps at 0.8.
        assertArrayEquals(new float[] {0, 0.4f, 0.4f}, quantize(1, 2.5, 0.39f, 0.4f, 0.81f));
        assertArrayEquals(new float[] {0, 0.4f, 0.4f, 0.8f, 0.8f}, quantize(2, 2.5, 0.3f, 0.4f, 0.79f, 0.8f, 3f));
    }

    @Test
    void clampFloorKeepsNaN() {
        assertEquals(Float.NaN, quantize(1, 4, Float.NaN)[0]);
    }

    @Test
    void countIsExactWhenProductRoundsUp() {
        // The double 1/3 is slightly below one third, so 3 × (1/3) is exactly 1 − 2^−54, which rounds to 1.0 in
        // double. The exact floor is 0.
        double third = 1.0 / 3.0;
        assertEquals(1.0, 3.0 * third);

        assertEquals(0, Quantizer.count(3.0, 5, third));
        assertEquals(1, Quantizer.count(3.0000002, 5, third));
    }

    @Test
    void countClampsToWindow() {
        assertEquals(0, Quantizer.count(-3.0, 4, 8));
        assertEquals(4, Quantizer.count(1e30, 4, 8));
        assertEquals(3, Quantizer.count(0.375, 4, 8));
    }

    @Test
    void vrCountAtLevelBoundary() {
        // L = 2.5, b = 102: 2.5 · 102 / 255 is exactly 1, so the count is 1; b = 101 stays below.
        assertEquals(1, Quantizer.byteCount(102, 1, 2.5, 0));
        assertEquals(0, Quantizer.byteCount(101, 1, 2.5, 0));
        assertEquals(2, Quantizer.byteCount(204, 4, 2.5, 0));
        assertEquals(1, Quantizer.byteCount(203, 4, 2.5, 0));
    }

    @Test
    void vrCountIntegerLevels() {
        // T = 1, L = 4: a byte spikes from 64 on (4 · 64 / 255 = 1.0039).
        assertEquals(0, Quantizer.byteCount(63, 1, 4, 0));
        assertEquals(1, Quantizer.byteCount(64, 1, 4, 0));
        assertEquals(1, Quantizer.byteCount(255, 1, 4, 0));
        // T = 4, L = 8: 8 · 32 / 255 = 1.004, 8 · 127 / 255 = 3.98, 8 · 128 / 255 = 4.02.
        assertEquals(0, Quantizer.byteCount(31, 4, 8, 0));
        assertEquals(1, Quantizer.byteCount(32, 4, 8, 0));
        assertEquals(3, Quantizer.byteCount(127, 4, 8, 0));
        assertEquals(4, Quantizer.byteCount(128, 4, 8, 0));
        assertEquals(4, Quantizer.byteCount(255, 4, 8, 0));
    }

    @Test
    void byteCountExactForDyadicLevels() {
        // L = p / q with q a power of two is exact in binary; floor((p + d·q) · b / (255 · q)) on integers is the
        // independent reference.
        int[][] fractions = {{5, 2}, {15, 4}, {10, 1}, {1, 2}, {3, 8}, {25, 1}, {161, 16}};
        for (int[] fraction : fractions) {
            double levels = (double) fraction[0] / fraction[1];
            for (int offset = -1; offset <= 1; offset++) {
                for (int timesteps : new int[] {1, 3, 8, 200}) {
                    for (int b = 0; b <= 255; b++) {
                        long numerator = (long) (fraction[0] + offset * fraction[1]) * b;
                        long expected = Math.floorDiv(numerator, 255L * fraction[1]);
                        expected = Math.max(0, Math.min(expected, timesteps));
                        assertEquals(expected, Quantizer.byteCount(b, timesteps, levels, offset),
                                "L = " + levels + ", offset " + offset + ", T = " + timesteps + ", b = " + b);
                    }
                }
            }
        }
    }

    @Test
    void byteCountUsesBinaryValueOfLevels() {
        // The double nearest 2.55 is 2.54999999999999982236431605997495353221893310546875, so at b = 100 the
        // product (L · b / 255) is just below 1 and the count is 0, where the decimal 2.55 would give 1.
        double levels = 2.55;
        assertEquals(0, Quantizer.byteCount(100, 8, levels, 0));
        assertEquals(1, Quantizer.byteCount(200, 8, levels, 0));

        long bits = Double.doubleToLongBits(levels);
        int exponent = (int) ((bits >> 52) & 0x7FF) - 1075;
        long mantissa = (bits & ((1L << 52) - 1)) | (1L << 52);
        for (int b = 0; b <= 255; b++) {
            // L = mantissa · 2^exponent with exponent < 0, so L · b / 255 = mantissa · b / (255 · 2^−exponent).
            BigInteger numerator = BigInteger.valueOf(mantissa).multiply(BigInteger.valueOf(b));
            BigInteger denominator = BigInteger.valueOf(255).shiftLeft(-exponent);
            long expected = Math.min(numerator.divide(denominator).longValue(), 8);
            assertEquals(expected, Quantizer.byteCount(b, 8, levels, 0), "b = " + b);
        }
    }

    @Test
    void byteCountRejectsInvalidArguments() {
        assertThrows(IllegalArgumentException.class, () -> Quantizer.byteCount(256, 1, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.byteCount(0, 0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.byteCount(0, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.byteCount(0, 1, 4, 2));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.byteCount(0, 1, Double.NaN, 0));
    }

    @Test
    void encodeVrMapsBytesToLevels() {
        byte[] image = {0, 63, 64, (byte) 200, (byte) 255, 1};

        // Image starts at byte 1, shape [1, 2, 2]: bytes 63, 64, 200, 255.
        Tensor out = Quantizer.encodeVr(image, 1, new int[] {1, 2, 2}, 1, 4);

        assertArrayEquals(new int[] {1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {0, 0.25f, 0.25f, 0.25f}, out.floats());
    }

    @Test
    void inputExpansionCountsPerOffset() {
        // L = 10, T = 8, b = 51: 9 · 0.2 = 1.8 → 1, 10 · 0.2 = 2 → 2, 11 · 0.2 = 2.2 → 2; values are k / 10.
        byte[] image = {51};

        Tensor out = Quantizer.inputExpansion(image, 0, new int[] {1, 1, 1}, 8, 10, new int[] {-1, 0, 1});

        assertArrayEquals(new int[] {3, 1, 1}, out.shape());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.2f}, out.floats());
    }

    @Test
    void inputExpansionChannelLayout() {
        // Two image channels, offsets [-1, 1, 0, -1]: output channel g·C + c uses offset g on channel c.
        // L = 1, T = 1: offset -1 always gives 0, offset 0 gives 1 only at b = 255, offset 1 gives 1 from b = 128.
        byte[] image = {(byte) 128, (byte) 255};
        int[] offsets = {-1, 1, 0, -1};

        Tensor out = Quantizer.inputExpansion(image, 0, new int[] {2, 1, 1}, 1, 1, offsets);

        assertArrayEquals(new int[] {8, 1, 1}, out.shape());
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 1, 0, 0}, out.floats());
    }

    @Test
    void inputExpansionNonIntegerLevels() {
        // L = 2.5, offset -1: 1.5 · 170 / 255 = 1 exactly; 169 stays at 0. Values are k / 2.5.
        byte[] image = {(byte) 169, (byte) 170};

        Tensor out = Quantizer.inputExpansion(image, 0, new int[] {1, 1, 2}, 2, 2.5, new int[] {-1});

        assertArrayEquals(new float[] {0, 0.4f}, out.floats());
    }

    @Test
    void expandRejectsImageOutsideArray() {
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.encodeVr(new byte[3], 1, new int[] {1, 1, 3}, 1, 4));
    }
}
