package org.ratesim.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ratesim.model.Dataset;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;

/** Writes the spiking network's predicted class of every image, one decimal number per line in image order. */
final class PredictionsFile {

    private PredictionsFile() {
    }

    /** Simulates every image of {@code data} on one thread and writes the predictions to {@code path}. */
    static void write(Path path, SnnNetwork network, Dataset data) throws IOException {
        Simulator simulator = new Simulator(network, Kernels.get());
        Simulator.Workspace workspace = simulator.newWorkspace();
        ImageResult result = simulator.newResult();
        int pixels = data.pixelsPerImage();
        try (BufferedWriter writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            for (int image = 0; image < data.size(); image++) {
                simulator.run(data.images(), image * pixels, workspace, result);
                writer.write(Integer.toString(result.prediction()));
                writer.write('\n');
            }
        }
    }
}
