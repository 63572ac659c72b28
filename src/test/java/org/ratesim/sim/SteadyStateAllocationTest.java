package org.ratesim.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.model.Dataset;

/**
 * Checks that the engine allocates nothing per image or per step once warm, on the bundled model and with the
 * kernels this JVM selects. It is tagged "kernels", so it runs with the scalar kernels and again with the SIMD ones,
 * whose vectors must be scalar-replaced by the JIT.
 */
@Tag("kernels")
class SteadyStateAllocationTest {

    private static final Path MODEL = Path.of("testdata", "fashion_t1_l4.safetensors");
    /** Runs before measuring; enough for C2 to compile the hot loops of every layer. */
    private static final int WARMUP_RUNS = 1000;
    private static final int MEASURED_RUNS = 200;

    @Test
    void bundledModelRunsWithoutAllocation() throws IOException {
        java.lang.management.ThreadMXBean management = ManagementFactory.getThreadMXBean();
        assumeTrue(management instanceof com.sun.management.ThreadMXBean,
                "this JVM cannot report per-thread allocation");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) management;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation accounting is off");

        ModelFile model = ModelReader.read(MODEL);
        SnnNetwork network = Converter.convert(model.ann(), ConversionOptions.defaults()).network();
        Dataset samples = model.ann().samples();
        Simulator simulator = new Simulator(network, Kernels.get());
        Simulator.Workspace workspace = simulator.newWorkspace();
        ImageResult result = simulator.newResult();
        int pixels = samples.pixelsPerImage();
        for (int run = 0; run < WARMUP_RUNS; run++) {
            simulator.run(samples.images(), (run % samples.size()) * pixels, workspace, result);
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int run = 0; run < MEASURED_RUNS; run++) {
            simulator.run(samples.images(), (run % samples.size()) * pixels, workspace, result);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // The smallest Java array or vector box takes 16 bytes, so under 16 bytes per run means none per run.
        assertTrue(allocated < 16L * MEASURED_RUNS, Kernels.get().name() + ": " + allocated + " bytes in "
                + MEASURED_RUNS + " runs");
    }
}
