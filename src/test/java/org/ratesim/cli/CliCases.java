package org.ratesim.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ratesim.RatesimException;
import org.ratesim.io.Json;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Dataset;
import org.ratesim.model.Model;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testmodels.ModelBuilder;

/**
 * Command lines that must fail with a documented exit code and a one-line message, and the broken files they use.
 *
 * <p>The valid base is the bundled Fashion-MNIST model and the t10k IDX files under {@code testdata/}. Each broken
 * variant is written to a temporary directory. {@link CliErrorPathsTest} runs the cases in-process and
 * {@code CliErrorPathsIT} runs them through the packaged jar.
 */
final class CliCases {

    static final Path MODEL = Path.of("testdata/fashion_t1_l4.safetensors").toAbsolutePath();
    static final Path IMAGES = Path.of("testdata/t10k-images-idx3-ubyte.gz").toAbsolutePath();
    static final Path LABELS = Path.of("testdata/t10k-labels-idx1-ubyte.gz").toAbsolutePath();

    /**
     * One command line and what it must produce.
     *
     * @param name     short description shown as the test name
     * @param args     the arguments after {@code java -jar sim.jar}
     * @param exitCode the expected exit code
     * @param messageParts substrings the single stderr error line must contain
     */
    record Case(String name, List<String> args, int exitCode, List<String> messageParts) {

        @Override
        public String toString() {
            return name;
        }
    }

    private CliCases() {
    }

    private static Case usage(String name, List<String> args, String... parts) {
        return new Case(name, args, RatesimException.EXIT_USAGE, List.of(parts));
    }

    private static List<String> run(Object... args) {
        List<String> list = new ArrayList<>();
        list.add("run");
        for (Object arg : args) {
            list.add(arg.toString());
        }
        return list;
    }

    /** Writes the broken files into {@code dir} and returns every case. */
    static List<Case> build(Path dir) throws IOException {
        Files.createDirectories(dir);
        String model = MODEL.toString();
        String images = IMAGES.toString();
        String labels = LABELS.toString();
        List<Case> cases = new ArrayList<>();

        cases.add(usage("no arguments", List.of(), "missing command or model file"));
        cases.add(usage("unknown command", List.of("frobnicate"), "unknown command or missing file 'frobnicate'"));
        cases.add(usage("unknown flag", run(model, "--bogus"), "unknown option '--bogus' for command 'run'"));
        cases.add(usage("switch with a value", run(model, "--json=yes"), "option --json takes no value"));
        cases.add(usage("flag given twice", run(model, "--limit", "1", "--limit", "2"), "--limit is given twice"));
        cases.add(usage("missing value", run(model, "--limit"), "option --limit needs a value"));
        cases.add(usage("malformed threads", run(model, "--threads", "four"), "invalid --threads 'four'",
                "1 to 1024"));
        cases.add(usage("malformed limit", run(model, "--limit", "1.5"), "invalid --limit '1.5'"));
        cases.add(usage("malformed epsilon", run(model, "--epsilon", "small"), "invalid --epsilon 'small'"));
        cases.add(usage("threads zero", run(model, "--threads", "0"), "invalid --threads 0", "1 to 1024"));
        cases.add(usage("threads above 1024", run(model, "--threads", "1025"), "invalid --threads 1025"));
        cases.add(usage("limit zero", run(model, "--limit", "0"), "invalid --limit 0"));
        cases.add(usage("limit negative", run(model, "--limit", "-5"), "invalid --limit -5"));
        cases.add(usage("limit beyond int", run(model, "--limit", "99999999999"), "invalid --limit 99999999999"));
        cases.add(usage("epsilon NaN", run(model, "--epsilon", "NaN"), "invalid --epsilon NaN"));
        cases.add(usage("unknown neuron rule", run(model, "--neuron", "lif"), "invalid --neuron 'lif'"));
        cases.add(usage("images without labels", run(model, "--images", images),
                "--images and --labels must be given together"));
        cases.add(usage("labels without images", run(model, "--labels", labels),
                "--images and --labels must be given together"));
        cases.add(usage("missing model", run(dir.resolve("absent.safetensors")), "model: file not found",
                "absent.safetensors"));
        cases.add(usage("missing model without run", List.of(dir.resolve("absent.safetensors").toString()),
                "unknown command or missing file", "absent.safetensors"));
        cases.add(usage("model is a directory", run(dir), "model: " + dir + " is a directory"));
        cases.add(usage("missing images file", run(model, "--images", dir.resolve("absent-images.gz"), "--labels",
                labels), "--images: file not found", "absent-images.gz"));
        cases.add(usage("images is a directory", run(model, "--images", dir, "--labels", labels),
                "--images: " + dir + " is a directory"));
        cases.add(usage("empty images path", run(model, "--images=", "--labels", labels),
                "--images: the path is empty"));
        if (Files.exists(Path.of("/dev/null"))) {
            cases.add(usage("images is a device", run(model, "--images", "/dev/null", "--labels", labels),
                    "--images: /dev/null is not a regular file"));
        }
        cases.add(usage("output directory missing", List.of("convert", model, "-o",
                dir.resolve("absent-dir").resolve("out.safetensors").toString()), "I/O error",
                "out.safetensors: no such file or directory"));
        cases.add(usage("info without model", List.of("info"), "info needs exactly one MODEL file, got 0"));
        cases.add(usage("convert without output", List.of("convert", model), "convert needs -o OUT"));

        cases.add(invalidModel("truncated model", write(dir, "truncated.safetensors",
                Arrays.copyOf(Files.readAllBytes(MODEL), (int) Files.size(MODEL) / 2)), "truncated.safetensors"));
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        cases.add(invalidModel("garbage model", write(dir, "garbage.safetensors", garbage), "garbage.safetensors"));
        cases.add(invalidModel("NaN weight", write(dir, "nan-weight.safetensors", withNanWeight("conv1.weight", 5)),
                "nan-weight.safetensors", "conv1.weight"));
        cases.add(invalidModel("empty model", write(dir, "empty.safetensors", new byte[0]), "empty.safetensors"));

        int[] smallLabels = {0, 1, 2, 3};
        Path goodLabels = write(dir, "four-labels.idx", idxLabels(smallLabels));
        Path badMagic = write(dir, "bad-magic-images.idx", idxImages(0x00000804, 4, 28, 28));
        cases.add(invalidData("bad magic", run(model, "--images", badMagic, "--labels", goodLabels),
                "bad-magic-images.idx", "IDX magic 0x00000804"));
        cases.add(invalidData("labels file as images", run(model, "--images", labels, "--labels", labels),
                "t10k-labels-idx1-ubyte.gz", "IDX magic 0x00000801"));
        Path truncatedGzip = write(dir, "truncated-images.gz",
                Arrays.copyOf(Files.readAllBytes(IMAGES), 100_000));
        cases.add(invalidData("truncated gzip", run(model, "--images", truncatedGzip, "--labels", labels),
                "truncated-images.gz"));
        Path smallImages = write(dir, "small-images.idx", idxImages(0x00000803, 4, 27, 27));
        cases.add(invalidData("image size differs from model", run(model, "--images", smallImages, "--labels",
                goodLabels), "small-images.idx", "[1, 27, 27]", "[1, 28, 28]"));
        Path images4 = write(dir, "four-images.idx", idxImages(0x00000803, 4, 28, 28));
        Path wideLabels = write(dir, "wide-labels.idx", idxLabels(new int[] {0, 1, 10, 2}));
        cases.add(invalidData("label beyond classes", run(model, "--images", images4, "--labels", wideLabels),
                "wide-labels.idx", "label 10 of image 2", "0..9"));
        Path threeLabels = write(dir, "three-labels.idx", idxLabels(new int[] {0, 1, 2}));
        cases.add(invalidData("label count differs", run(model, "--images", images4, "--labels", threeLabels),
                "three-labels.idx", "3 labels", "4 images"));

        Path unconvertible = dir.resolve("bn-after-relu.safetensors");
        ModelWriter.write(ModelFile.of(batchNormAfterRelu()), unconvertible);
        cases.add(new Case("batch norm after relu", run(unconvertible), RatesimException.EXIT_CONVERSION,
                List.of("bn-after-relu.safetensors", "batch_norm node 'bn'")));
        cases.add(new Case("convert batch norm after relu",
                List.of("convert", unconvertible.toString(), "-o", dir.resolve("out.safetensors").toString()),
                RatesimException.EXIT_CONVERSION, List.of("bn-after-relu.safetensors", "batch_norm node 'bn'")));

        Path overflowing = dir.resolve("overflow.safetensors");
        ModelWriter.write(withOverflowingSnn(ModelReader.read(MODEL).ann()), overflowing);
        cases.add(new Case("overflow found at run time", run(overflowing, "--check-overflow", "--limit", "2"),
                RatesimException.EXIT_OVERFLOW, List.of("overflow.safetensors", "integer overflow in layer 'readout'",
                "at image 0", "accumulate on neuron 0", "2147483646 + charge 32767 = 2147516413")));
        return cases;
    }

    private static Case invalidModel(String name, Path file, String... parts) {
        return new Case(name, run(file), RatesimException.EXIT_INVALID_MODEL, List.of(parts));
    }

    private static Case invalidData(String name, List<String> args, String... parts) {
        return new Case(name, args, RatesimException.EXIT_INVALID_DATA, List.of(parts));
    }

    private static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** Returns the bundled model's bytes with element {@code index} of tensor {@code tensor} set to NaN. */
    static byte[] withNanWeight(String tensor, int index) throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buffer.getLong(0);
        String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
        Map<?, ?> entries = (Map<?, ?>) Json.parse(header, new Json.Limits(headerLength, 64, headerLength, 1_000_000));
        Map<?, ?> entry = (Map<?, ?>) entries.get(tensor);
        long begin = ((Number) ((List<?>) entry.get("data_offsets")).get(0)).longValue();
        buffer.putFloat((int) (8 + headerLength + begin + 4L * index), Float.NaN);
        return bytes;
    }

    /** Returns a plain IDX image file of {@code count} mid-gray images with the given magic number. */
    static byte[] idxImages(int magic, int count, int height, int width) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + count * height * width);
        buffer.putInt(magic).putInt(count).putInt(height).putInt(width);
        while (buffer.hasRemaining()) {
            buffer.put((byte) 128);
        }
        return buffer.array();
    }

    /** Returns a plain IDX label file. */
    static byte[] idxLabels(int[] labels) {
        ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
        buffer.putInt(0x00000801).putInt(labels.length);
        for (int label : labels) {
            buffer.put((byte) label);
        }
        return buffer.array();
    }

    /**
     * Returns a small model with two embedded samples whose batch norm follows a ReLU, which cannot be folded into a
     * convolution.
     */
    static Model batchNormAfterRelu() {
        float[] weight = new float[2 * 1 * 3 * 3];
        Arrays.fill(weight, 0.1f);
        float[] ones = {1f, 1f};
        float[] zeros = {0f, 0f};
        Model model = new ModelBuilder(1, 4, 4, 2)
                .clampFloor("encode", 4, 4)
                .conv("conv", weight, new int[] {2, 1, 3, 3}, zeros)
                .relu("relu")
                .batchNorm("bn", ones, zeros, zeros, ones, 1e-5)
                .clampFloor("act", 4, 4)
                .flatten("flatten", "chw")
                .linear("fc", new float[2 * 8], 2, 8, zeros)
                .build();
        Dataset samples = new Dataset(new byte[2 * 16], new int[] {0, 1}, new int[] {1, 4, 4});
        return new Model(model.graph(), model.params(), samples);
    }

    /**
     * Returns {@code ann} with a hand-built spiking network that overflows the readout for every image: 257 hidden
     * neurons fire from their bias alone at each of T = 256 steps, and the readout adds 32,767 per spike, so after
     * 65,538 spikes it is at 2,147,483,646 and the next spike overflows.
     */
    static ModelFile withOverflowingSnn(Model ann) {
        int[] imageShape = ann.graph().input().shape();
        int pixels = imageShape[0] * imageShape[1] * imageShape[2];
        int hidden = 257;
        int classes = ann.graph().input().classes();
        int[] ones = new int[hidden];
        Arrays.fill(ones, 1);
        SpikingLayer alwaysOn = new SpikingLayer("always-on", LayerType.LINEAR, imageShape,
                new int[] {hidden, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                new int[] {1, 1}, 1, NeuronRule.IF, ResetMode.SUBTRACT, 0, new short[pixels * hidden], 0, ones,
                ones.clone());
        short[] readoutWeights = new short[hidden * classes];
        Arrays.fill(readoutWeights, Short.MAX_VALUE);
        SpikingLayer readout = new SpikingLayer("readout", LayerType.LINEAR, new int[] {hidden, 1, 1},
                new int[] {classes, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                new int[] {1, 1}, 1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 0, readoutWeights, 0,
                new int[classes], null);
        Encoder encoder = new Encoder(Encoder.Type.VR, 1, new int[] {0}, imageShape);
        // The declared bound is false on purpose because a hostile file can state any bound from max |bias| to 2^31 - 1.
        SnnNetwork network = new SnnNetwork(256, encoder, List.of(alwaysOn), readout, 1);
        return new ModelFile(ann, network, Map.of());
    }
}
