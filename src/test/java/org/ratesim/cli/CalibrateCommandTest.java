package org.ratesim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ratesim.RatesimException;
import org.ratesim.io.IdxReader;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Model;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testmodels.ModelBuilder;

/** Runs {@code calibrate} and then {@code run --neuron if-ctt} on a small model and random images. */
class CalibrateCommandTest {

    private static final int SIZE = 6;
    private static final int IMAGES = 24;
    private static final int CLASSES = 3;

    @TempDir
    Path directory;

    @Test
    void calibrateThenRunIfCtt() throws IOException {
        Inputs paths = writeInputs();
        Path output = directory.resolve("calibrated.safetensors");

        Outcome calibrate = main("calibrate", paths.model.toString(), "--images", paths.images.toString(),
                "--labels", paths.labels.toString(), "--batch", "6", "--passes", "2", "--learning-rate", "0.5",
                "--threads", "2", "-o", output.toString());

        assertEquals(0, calibrate.code, calibrate.err);
        assertTrue(calibrate.out.contains("conv1"), calibrate.out);
        assertTrue(calibrate.out.contains("gap before"), calibrate.out);
        ModelFile written = ModelReader.read(output);
        assertNotNull(written.snn(), "calibrate must store the spiking network");
        for (SpikingLayer layer : written.snn().layers()) {
            assertEquals(NeuronRule.IF_CTT, layer.neuron(), "layer " + layer.name());
        }

        Outcome run = main("run", output.toString(), "--neuron", "if-ctt", "--images", paths.images.toString(),
                "--labels", paths.labels.toString(), "--json", "--no-check", "--threads", "1");

        assertEquals(0, run.code, run.err);
        assertTrue(run.out.contains("if_ctt"), run.out);
    }

    @Test
    void calibrateWithoutImagesFails() throws IOException {
        Inputs paths = writeInputs();

        Outcome outcome = main("calibrate", paths.model.toString(), "-o",
                directory.resolve("out.safetensors").toString());

        assertEquals(RatesimException.EXIT_USAGE, outcome.code);
        assertTrue(outcome.err.contains("--images"), outcome.err);
        assertFalse(Files.exists(directory.resolve("out.safetensors")));
    }

    @Test
    void calibrateRejectsZeroPasses() throws IOException {
        Inputs paths = writeInputs();

        Outcome outcome = main("calibrate", paths.model.toString(), "--images", paths.images.toString(),
                "--labels", paths.labels.toString(), "--passes", "0", "-o",
                directory.resolve("out.safetensors").toString());

        assertEquals(RatesimException.EXIT_USAGE, outcome.code);
        assertTrue(outcome.err.contains("--passes"), outcome.err);
    }

    @Test
    void runIfCttWithoutCalibrationFails() throws IOException {
        Inputs paths = writeInputs();

        Outcome outcome = main("run", paths.model.toString(), "--neuron", "if-ctt", "--images",
                paths.images.toString(), "--labels", paths.labels.toString());

        assertEquals(RatesimException.EXIT_USAGE, outcome.code);
        assertTrue(outcome.err.contains("calibrate"), outcome.err);
    }

    private record Inputs(Path model, Path images, Path labels) {
    }

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Writes a T = 4, L = 4 VR model (conv 3×3 → avg pool 2×2 → linear) and random IDX images and labels. */
    private Inputs writeInputs() throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        int channels = 4;
        Model model = new ModelBuilder(1, SIZE, SIZE, CLASSES)
                .clampFloor("encode", 4, 4)
                .conv("conv1", floats(random, channels * 9, 0.6), new int[] {channels, 1, 3, 3},
                        floats(random, channels, 0.2))
                .clampFloor("q1", 4, 4)
                .avgPool("pool1", new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0, 0, 0})
                .clampFloor("q2", 4, 4)
                .flatten("flat", "chw")
                .linear("fc", floats(random, CLASSES * channels * 4, 0.5), CLASSES, channels * 4,
                        floats(random, CLASSES, 0.1))
                .build();
        Path modelPath = directory.resolve("model.safetensors");
        ModelWriter.write(ModelFile.of(model), modelPath);

        byte[] pixels = new byte[IMAGES * SIZE * SIZE];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) random.nextInt(256);
        }
        byte[] labels = new byte[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            labels[i] = (byte) random.nextInt(CLASSES);
        }
        Path imagesPath = directory.resolve("images.idx");
        Path labelsPath = directory.resolve("labels.idx");
        Files.write(imagesPath, idx(IdxReader.IMAGES_MAGIC, new int[] {IMAGES, SIZE, SIZE}, pixels));
        Files.write(labelsPath, idx(IdxReader.LABELS_MAGIC, new int[] {IMAGES}, labels));
        return new Inputs(modelPath, imagesPath, labelsPath);
    }

    /** Returns an uncompressed IDX file: big-endian magic, one 32-bit size per dimension, then the bytes. */
    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        buffer.put(data);
        return buffer.array();
    }

    private static float[] floats(SplittableRandom random, int count, double scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return values;
    }
}
