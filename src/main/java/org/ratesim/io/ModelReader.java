package org.ratesim.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.ratesim.model.Dataset;
import org.ratesim.model.Graph;
import org.ratesim.model.GraphValidator;
import org.ratesim.model.Model;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.tensor.Tensor;

/**
 * Reads and validates ratesim model files (src/docs/format.md).
 *
 * <p>A file either loads completely or fails with an {@link InvalidModelException} whose one-line message starts
 * with the file name and names the field (tensor name, node name or JSON path) and the violated constraint. The
 * reader checks the container, the graph, the parameters, the samples and the spiking network. Every tensor in the
 * file must be used by one of them.
 */
public final class ModelReader {

    /** The required value of the {@code format} metadata key. */
    public static final String FORMAT = "ratesim";
    /** The format version this reader accepts. */
    public static final String FORMAT_VERSION = "1";

    static final String IMAGES_TENSOR = "samples.images";
    static final String LABELS_TENSOR = "samples.labels";

    private ModelReader() {
    }

    /**
     * Reads a model file with the default limits.
     *
     * @throws IOException           when the file cannot be opened or read
     * @throws InvalidModelException when the file is not a valid model
     */
    public static ModelFile read(Path file) throws IOException {
        return read(file, ReaderLimits.DEFAULTS);
    }

    /** Reads a model file under {@code limits}. */
    public static ModelFile read(Path file, ReaderLimits limits) throws IOException {
        String name = String.valueOf(file.getFileName());
        return decode(Safetensors.read(file, limits), name, limits);
    }

    /** Reads a model from bytes with the default limits. */
    public static ModelFile read(byte[] bytes) {
        return read(bytes, "<bytes>", ReaderLimits.DEFAULTS);
    }

    /** Reads a model from bytes; {@code name} labels error messages. */
    public static ModelFile read(byte[] bytes, String name, ReaderLimits limits) {
        return decode(Safetensors.read(bytes, name, limits), name, limits);
    }

    private static ModelFile decode(Safetensors.Container container, String file, ReaderLimits limits) {
        Map<String, String> metadata = container.metadata();
        String format = metadata.get("format");
        if (!FORMAT.equals(format)) {
            throw new InvalidModelException(file + ": __metadata__.format is " + quote(format) + ", expected \""
                    + FORMAT + "\"; this is not a ratesim model file");
        }
        String version = metadata.get("format_version");
        if (!FORMAT_VERSION.equals(version)) {
            throw new InvalidModelException(file + ": __metadata__.format_version is " + quote(version)
                    + ", expected \"" + FORMAT_VERSION + "\"; the file was written for another ratesim version");
        }
        String graphText = metadata.get("graph");
        if (graphText == null) {
            throw new InvalidModelException(file + ": __metadata__.graph is missing");
        }
        Graph graph = GraphJson.read(parseDocument(graphText, "graph", file, limits), file, limits);

        Set<String> used = new HashSet<>();
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (var node : graph.nodes()) {
            for (var param : node.params().entrySet()) {
                Safetensors.Entry entry = container.tensors().get(param.getValue());
                if (entry == null) {
                    throw new InvalidModelException(file + ": node \"" + Json.abbreviate(node.name()) + "\" parameter "
                            + Json.abbreviate(param.getKey())
                            + " names tensor \"" + Json.abbreviate(param.getValue())
                            + "\", which the file does not contain");
                }
                if (entry.dtype() != Safetensors.DType.F32) {
                    throw new InvalidModelException(file + ": tensor \"" + Json.abbreviate(param.getValue()) + "\" ("
                            + Json.abbreviate(param.getKey()) + " of node \"" + Json.abbreviate(node.name())
                            + "\") must be F32, got " + entry.dtype());
                }
                // A tensor shared by many nodes is decoded once, so sharing cannot multiply the work.
                if (used.add(param.getValue())) {
                    params.put(param.getValue(), Tensor.of(entry.floats(), entry.shape()));
                }
            }
        }
        Dataset samples = readSamples(container.tensors(), graph, file, used);
        Model model = new Model(graph, params, samples);
        try {
            GraphValidator.validate(model, limits);
        } catch (InvalidModelException e) {
            throw new InvalidModelException(file + ": " + e.getMessage(), e);
        }

        SnnNetwork snn = null;
        String snnText = metadata.get("snn");
        if (snnText != null) {
            snn = SnnJson.read(parseDocument(snnText, "snn", file, limits), file, container.tensors(), used,
                    graph.input().shape(), graph.input().classes(), limits);
        }
        for (String tensor : container.tensors().keySet()) {
            if (!used.contains(tensor)) {
                throw new InvalidModelException(file + ": tensor \"" + Json.abbreviate(tensor) + "\" is not used by "
                        + "the graph, the snn section or the samples; remove it");
            }
        }

        Map<String, String> extra = new LinkedHashMap<>(metadata);
        for (String key : new String[] {"format", "format_version", "graph", "snn"}) {
            extra.remove(key);
        }
        return new ModelFile(model, snn, extra);
    }

    private static Object parseDocument(String text, String key, String file, ReaderLimits limits) {
        try {
            return Json.parse(text, limits.jsonLimits(text.length()));
        } catch (Json.JsonException e) {
            throw new InvalidModelException(file + ": __metadata__." + key + " is not valid JSON: " + e.getMessage(),
                    e);
        }
    }

    private static Dataset readSamples(Map<String, Safetensors.Entry> tensors, Graph graph, String file,
                                       Set<String> used) {
        Safetensors.Entry images = tensors.get(IMAGES_TENSOR);
        Safetensors.Entry labels = tensors.get(LABELS_TENSOR);
        if (images == null && labels == null) {
            return null;
        }
        if (images == null || labels == null) {
            throw new InvalidModelException(file + ": tensors " + IMAGES_TENSOR + " and " + LABELS_TENSOR
                    + " must be both present or both absent");
        }
        int[] shape = graph.input().shape();
        int[] imageShape = images.shape();
        if (images.dtype() != Safetensors.DType.U8 || imageShape.length != 4
                || !Arrays.equals(Arrays.copyOfRange(imageShape, 1, 4), shape)) {
            throw new InvalidModelException(file + ": tensor " + IMAGES_TENSOR + " is " + images.dtype()
                    + Arrays.toString(imageShape) + ", expected U8[N, " + shape[0] + ", " + shape[1] + ", "
                    + shape[2] + "] to match input.shape");
        }
        int count = imageShape[0];
        int[] labelShape = labels.shape();
        if (labelShape.length != 1 || labelShape[0] != count) {
            throw new InvalidModelException(file + ": tensor " + LABELS_TENSOR + " has shape "
                    + Arrays.toString(labelShape) + ", expected [" + count + "] (one label per image)");
        }
        int[] labelValues;
        if (labels.dtype() == Safetensors.DType.U8) {
            byte[] raw = labels.bytes();
            labelValues = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                labelValues[i] = raw[i] & 0xFF;
            }
        } else if (labels.dtype() == Safetensors.DType.I32) {
            labelValues = labels.ints();
        } else {
            throw new InvalidModelException(file + ": tensor " + LABELS_TENSOR + " must be U8 or I32, got "
                    + labels.dtype());
        }
        for (int i = 0; i < labelValues.length; i++) {
            if (labelValues[i] < 0 || labelValues[i] >= graph.input().classes()) {
                throw new InvalidModelException(file + ": tensor " + LABELS_TENSOR + "[" + i + "] = "
                        + labelValues[i] + " is outside 0.." + (graph.input().classes() - 1));
            }
        }
        used.add(IMAGES_TENSOR);
        used.add(LABELS_TENSOR);
        return new Dataset(images.bytes(), labelValues, shape);
    }

    private static String quote(String value) {
        return value == null ? "missing" : "\"" + Json.abbreviate(value) + "\"";
    }
}
