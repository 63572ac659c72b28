package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InputEncodingTest {

    @Test
    void countIsExactAtLevelBoundary() {
        // 2.5 · 102 / 255 is exactly 1; rounded floating point may give 0.99999.
        assertEquals(1, InputEncoding.count(2.5, 0, 102, 4));
        assertEquals(0, InputEncoding.count(2.5, 0, 101, 4));
        assertEquals(2, InputEncoding.count(2.5, 0, 255, 4));
    }

    @Test
    void countUsesIntegerLevels() {
        assertEquals(1, InputEncoding.count(4, 0, 64, 1));
        assertEquals(0, InputEncoding.count(4, 0, 63, 1));
        assertEquals(1, InputEncoding.count(4, 0, 255, 1));
        assertEquals(4, InputEncoding.count(4, 0, 255, 8));
    }

    @Test
    void countAppliesExpansionOffsets() {
        assertEquals(7, InputEncoding.count(8, -1, 255, 8));
        assertEquals(8, InputEncoding.count(8, 1, 255, 8));
        assertEquals(3, InputEncoding.count(8, 1, 85, 8));
        assertEquals(0, InputEncoding.count(0.5, -1, 255, 8));
    }

    @Test
    void countMatchesExactRationalForEveryByte() {
        double[] levels = {1, 2.5, 3, 7.75, 10, 20};
        for (double level : levels) {
            for (int offset = -1; offset <= 1; offset++) {
                for (int b = 0; b < 256; b++) {
                    // (L + d)·b/255 with L = m/4 exactly: floor(m'·b / 1020), m' = 4(L + d).
                    long quarter = Math.round(4 * (level + offset));
                    long expected = Math.max(0, Math.min(Math.floorDiv(quarter * b, 1020L), 16));
                    assertEquals(expected, InputEncoding.count(level, offset, b, 16),
                            "L " + level + " offset " + offset + " b " + b);
                }
            }
        }
    }

    @Test
    void spikesAreEvenlySpacedTowardsWindowEnd() {
        int[] times = new int[8];
        int n = 0;
        for (int t = 1; t <= 8; t++) {
            if (InputEncoding.firesAt(t, 3, 8)) {
                times[n++] = t;
            }
        }
        assertEquals(3, n);
        assertEquals(3, times[0]);
        assertEquals(6, times[1]);
        assertEquals(8, times[2]);
    }
}
