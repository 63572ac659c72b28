package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Checks which kernel set {@link Kernels} selects. Surefire runs this class twice: without the Vector API module and
 * {@code -Dratesim.expectKernels=scalar}, and with it and {@code -Dratesim.expectKernels=simd}, so every build proves
 * that each run used the kernels it claims.
 */
@Tag("kernels")
class KernelSelectionTest {

    private static final String EXPECTED = System.getProperty("ratesim.expectKernels");

    @Test
    void activeKernelsMatchExpectation() {
        Assumptions.assumeTrue(EXPECTED != null, "-Dratesim.expectKernels is not set (the Maven build sets it)");
        String active = Kernels.get().name();
        switch (EXPECTED) {
            case "scalar":
                assertEquals("scalar", active);
                break;
            case "simd":
                assertEquals(Kernels.PANAMA_CLASS, Kernels.get().getClass().getName(), "active kernels " + active);
                assertTrue(active.startsWith("panama-"), "SIMD kernel name " + active + " should be panama-<bits>");
                break;
            default:
                throw new AssertionError("invalid -Dratesim.expectKernels=" + EXPECTED + ": expected scalar or simd");
        }
    }

    @Test
    void moduleMatchesExpectation() {
        Assumptions.assumeTrue(EXPECTED != null, "-Dratesim.expectKernels is not set (the Maven build sets it)");
        assertEquals(EXPECTED.equals("simd"), Kernels.vectorModulePresent(), "jdk.incubator.vector in the boot layer");
    }

    @Test
    void offSelectsScalar() {
        assertSame(Kernels.scalar(), Kernels.select("off"));
        assertSame(Kernels.scalar(), Kernels.select("OFF"));
    }

    @Test
    void invalidModeIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Kernels.select("fast"));
        assertTrue(error.getMessage().contains("-Dratesim.simd=fast"), error.getMessage());
        assertTrue(error.getMessage().contains("auto, off or on"), error.getMessage());
    }

    @Test
    void onWithoutModuleFails() {
        Assumptions.assumeFalse(Kernels.vectorModulePresent(), "module jdk.incubator.vector is loaded in this run");
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Kernels.select("on"));
        assertTrue(error.getMessage().contains("-Dratesim.simd=on"), error.getMessage());
        assertTrue(error.getMessage().contains("not loaded"), error.getMessage());
        assertTrue(error.getMessage().contains("--add-modules jdk.incubator.vector"), error.getMessage());
    }

    @Test
    void autoWithoutModuleFallsBackToScalar() {
        Assumptions.assumeFalse(Kernels.vectorModulePresent(), "module jdk.incubator.vector is loaded in this run");
        assertSame(Kernels.scalar(), Kernels.select("auto"));
        assertEquals(null, Kernels.simdOrNull());
    }

    @Test
    void onWithModuleSelectsSimd() {
        Assumptions.assumeTrue(Kernels.vectorModulePresent(), "module jdk.incubator.vector is not loaded in this run");
        SpikeKernels on = Kernels.select("on");
        assertEquals(Kernels.PANAMA_CLASS, on.getClass().getName());
        assertEquals(Kernels.PANAMA_CLASS, Kernels.select("auto").getClass().getName());
        assertNotNull(Kernels.simdOrNull());
    }

    @Test
    void simdNameGivesVectorWidth() {
        SpikeKernels simd = Kernels.simdOrNull();
        Assumptions.assumeTrue(simd != null, "SIMD kernels unavailable in this run");
        int lanes = ((PanamaSpikeKernels) simd).intLanes();
        assertEquals("panama-" + (lanes * Integer.SIZE), simd.name());
    }

    @Test
    void simdWidthMatchesExpectation() {
        String expectedBits = System.getProperty("ratesim.expectVectorBits");
        Assumptions.assumeTrue(expectedBits != null, "-Dratesim.expectVectorBits is not set in this run");
        SpikeKernels simd = Kernels.simdOrNull();
        assertNotNull(simd, "-Dratesim.expectVectorBits=" + expectedBits + " but the SIMD kernels did not load");
        assertEquals("panama-" + expectedBits, simd.name());
    }
}
