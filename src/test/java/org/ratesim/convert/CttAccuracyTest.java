package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.ratesim.io.IdxReader;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ReaderLimits;
import org.ratesim.model.Dataset;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;

/**
 * Checks on the bundled T = 4, L = 8 Fashion-MNIST model that CTT does what it is for: plain IF neurons with
 * calibrated thresholds classify at least as well as plain IF neurons with the converted thresholds, at the same T.
 *
 * <p>Split of the t10k images in testdata: calibration on images 5000 .. 5000 + {@value #CALIBRATION_IMAGES} − 1,
 * evaluation on images 0 .. {@value #EVALUATION_IMAGES} − 1, so no evaluated image is seen during calibration.
 */
class CttAccuracyTest {

    private static final Path MODEL = Path.of("testdata/fashion_t4_l8.safetensors");
    private static final Path IMAGES = Path.of("testdata/t10k-images-idx3-ubyte.gz");
    private static final Path LABELS = Path.of("testdata/t10k-labels-idx1-ubyte.gz");
    private static final int CALIBRATION_START = 5000;
    private static final int CALIBRATION_IMAGES = 500;
    private static final int EVALUATION_IMAGES = 500;

    @Test
    void calibratedIfBeatsPlainIf() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(MODEL), MODEL + " is missing: the bundled model is not in "
                + "this checkout");
        ModelFile model = ModelReader.read(MODEL);
        Dataset all = IdxReader.readDataset(IMAGES, LABELS, ReaderLimits.DEFAULTS);
        Dataset calibration = slice(all, CALIBRATION_START, CALIBRATION_IMAGES);
        Dataset evaluation = slice(all, 0, EVALUATION_IMAGES);
        int threads = Runtime.getRuntime().availableProcessors();

        SnnNetwork plain = Converter.convert(model.ann(),
                ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
        CttCalibration.Result calibrated = CttCalibration.calibrate(plain, calibration, Kernels.get(),
                CttCalibration.Options.defaults().withSummaryImages(CALIBRATION_IMAGES).withThreads(threads));

        Evaluator.Options options = new Evaluator.Options(threads, false, null);
        double plainAccuracy = Evaluator.evaluate(null, plain, evaluation, Kernels.get(), options).snnAccuracy();
        double cttAccuracy = Evaluator.evaluate(null, calibrated.network(), evaluation, Kernels.get(), options)
                .snnAccuracy();

        assertTrue(cttAccuracy >= plainAccuracy, "IF+CTT accuracy " + cttAccuracy + " < plain IF accuracy "
                + plainAccuracy + " on " + EVALUATION_IMAGES + " held-out images");
        // Summed over layers, not per layer: conv1 starts with a small gap, which the noise of the last batches
        // can leave larger on a calibration set of only 500 images.
        double gapBefore = 0;
        double gapAfter = 0;
        for (CttCalibration.LayerSummary layer : calibrated.layers()) {
            gapBefore += layer.rateGapBefore();
            gapAfter += layer.rateGapAfter();
        }
        assertTrue(gapAfter < gapBefore, "summed firing-rate gap grew from " + gapBefore + " to " + gapAfter);
    }

    /** Returns images [first, first + count) of {@code data}. */
    private static Dataset slice(Dataset data, int first, int count) {
        int pixels = data.pixelsPerImage();
        byte[] images = Arrays.copyOfRange(data.images(), first * pixels, (first + count) * pixels);
        int[] labels = Arrays.copyOfRange(data.labels(), first, first + count);
        return new Dataset(images, labels, data.shape());
    }
}
