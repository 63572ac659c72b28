package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ratesim.model.Model;
import org.ratesim.testmodels.ModelBuilder;

class BatchNormFoldingTest {

    private static BatchNormFolding.Params params(double[] weight, int[] shape, double[] bias) {
        return new BatchNormFolding.Params(weight, shape, bias);
    }

    @Test
    void foldFormulaMatchesHandValues() {
        // W = 2, b = 1; γ = 3, β = 0.5, μ = 1, var = 3.99, eps = 0.01, so σ = 2.
        BatchNormFolding.Params folded = BatchNormFolding.foldInto(params(new double[] {2}, new int[] {1, 1},
                new double[] {1}), new double[] {3}, new double[] {0.5}, new double[] {1}, new double[] {3.99}, 0.01);
        assertEquals(3.0, folded.weight()[0], 1e-12);
        assertEquals(0.5, folded.bias()[0], 1e-12);
        double x = 2;
        double unfused = 3 * ((2 * x + 1) - 1) / 2 + 0.5;
        assertEquals(6.5, unfused, 0.0);
        assertEquals(6.5, folded.weight()[0] * x + folded.bias()[0], 1e-12);
    }

    @Test
    void foldScalesOutputRows() {
        // W = [[1, 2], [3, 4]] (rows are outputs), BN scale [2, 1], β = μ = 0, var = 1, eps = 0.
        BatchNormFolding.Params folded = BatchNormFolding.foldInto(params(new double[] {1, 2, 3, 4},
                new int[] {2, 2}, new double[] {0, 0}), new double[] {2, 1}, new double[] {0, 0},
                new double[] {0, 0}, new double[] {1, 1}, 0.0);
        assertArrayEquals(new double[] {2, 4, 3, 4}, folded.weight(), 0.0);
        double[] x = {1, 1};
        assertEquals(6.0, folded.weight()[0] * x[0] + folded.weight()[1] * x[1], 0.0);
        assertEquals(7.0, folded.weight()[2] * x[0] + folded.weight()[3] * x[1], 0.0);
    }

    @Test
    void foldTreatsMissingBiasAsZero() {
        Model model = new ModelBuilder(1, 1, 2, 2)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 2, 3, 4}, 2, 2, null)
                .batchNorm("bn", new float[] {1, 1}, new float[] {0.25f, 0.5f}, new float[] {1, 2},
                        new float[] {1, 1}, 0.0)
                .build();
        BatchNormFolding.Result result = BatchNormFolding.fold(model);
        BatchNormFolding.Params fc = result.params().get("fc");
        assertArrayEquals(new double[] {-0.75, -1.5}, fc.bias(), 0.0);
        assertTrue(result.foldedNodes().contains("bn"));
    }

    @Test
    void foldRejectsBatchNormAfterRelu() {
        // x = 1 → linear (w = 1) → relu → BN(μ = 2) → linear (w = −1): folding backwards across the relu
        // would turn the correct output 1 into 0, so the placement is rejected.
        Model model = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc1", new float[] {1}, 1, 1, null)
                .relu("act")
                .batchNorm("bn", new float[] {1}, new float[] {0}, new float[] {2}, new float[] {1}, 0.0)
                .linear("fc2", new float[] {-1}, 1, 1, null)
                .build();
        ConversionException error = assertThrows(ConversionException.class, () -> BatchNormFolding.fold(model));
        assertTrue(error.getMessage().contains("'bn'"), error.getMessage());
        assertTrue(error.getMessage().contains("relu"), error.getMessage());
    }

    @Test
    void foldRejectsBatchNormAfterQuantizerOrPool() {
        float[] unit = {1};
        Model afterQuantizer = new ModelBuilder(1, 2, 2, 1)
                .clampFloor("encode", 1, 1)
                .batchNorm("bn", unit, new float[] {0}, new float[] {0}, unit, 0.0)
                .build();
        ConversionException quantizerError = assertThrows(ConversionException.class,
                () -> BatchNormFolding.fold(afterQuantizer));
        assertTrue(quantizerError.getMessage().contains("clamp_floor"), quantizerError.getMessage());

        Model afterPool = new ModelBuilder(1, 2, 2, 1)
                .clampFloor("encode", 1, 1)
                .avgPool("pool", new int[] {2, 2}, null, null)
                .batchNorm("bn2", unit, new float[] {0}, new float[] {0}, unit, 0.0)
                .build();
        ConversionException poolError = assertThrows(ConversionException.class,
                () -> BatchNormFolding.fold(afterPool));
        assertTrue(poolError.getMessage().contains("'bn2'"), poolError.getMessage());
        assertTrue(poolError.getMessage().contains("avg_pool2d"), poolError.getMessage());
    }

    @Test
    void foldRejectsSharedProducer() {
        float[] unit = {1};
        Model model = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", unit, 1, 1, null)
                .batchNorm("bn", unit, new float[] {0}, new float[] {0}, unit, 0.0)
                .reading("fc")
                .linear("other", unit, 1, 1, null)
                .build();
        ConversionException error = assertThrows(ConversionException.class, () -> BatchNormFolding.fold(model));
        assertTrue(error.getMessage().contains("other nodes"), error.getMessage());
    }
}
