package org.ratesim.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.ratesim.model.Dataset;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.tensor.Tensor;

/**
 * Writes ratesim model files (src/docs/format.md) that {@link ModelReader} and Python's safetensors can read.
 *
 * <p>ANN parameters keep their names and are written as F32. Spiking-layer tensors are named
 * {@code snn.<layer>.weight}, {@code .bias} and {@code .threshold}. Samples go to {@code samples.images} (U8) and
 * {@code samples.labels} (U8 when every label is below 256, I32 otherwise).
 */
public final class ModelWriter {

    /** The {@code producer} written when the extra metadata names none. */
    public static final String PRODUCER = "ratesim";

    /** Limits of the read-back check: the largest that Java arrays and the format allow. */
    private static final ReaderLimits WRITE_CHECK_LIMITS = new ReaderLimits(ReaderLimits.MAX_ARRAY_BYTES,
            ReaderLimits.MAX_ARRAY_BYTES, Long.MAX_VALUE, Integer.MAX_VALUE, 10_000, Integer.MAX_VALUE,
            Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE, ReaderLimits.MAX_ARRAY_BYTES);

    private ModelWriter() {
    }

    /** Writes a model file, replacing {@code file}. */
    public static void write(ModelFile model, Path file) throws IOException {
        Files.write(file, toBytes(model));
    }

    /**
     * Encodes a model file and reads the result back, so it returns only files that {@link ModelReader} accepts.
     * The check uses limits as large as Java arrays allow, so a model above the reader's default limits is still
     * written, and reading it back needs larger {@link ReaderLimits}.
     *
     * @throws IllegalArgumentException when a parameter is missing, not F32 or unused, two tensors share a name, or
     *                                  the model breaks a rule of the format (the message names it)
     */
    public static byte[] toBytes(ModelFile file) {
        Model ann = file.ann();
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        Set<String> referenced = new HashSet<>();
        for (Node node : ann.graph().nodes()) {
            referenced.addAll(node.params().values());
        }
        for (String name : referenced) {
            Tensor tensor = ann.params().get(name);
            if (tensor == null || tensor.dtype() != Tensor.DType.F32) {
                throw new IllegalArgumentException("parameter tensor \"" + name + "\" is "
                        + (tensor == null ? "missing" : tensor.dtype())
                        + "; every graph parameter must be an F32 tensor");
            }
            tensors.put(name, Safetensors.Entry.ofFloats(tensor.floats(), tensor.shape()));
        }
        for (String name : ann.params().keySet()) {
            if (!referenced.contains(name)) {
                throw new IllegalArgumentException("parameter tensor \"" + name + "\" is not used by any node;"
                        + " readers reject unused tensors, so remove it");
            }
        }
        if (ann.samples() != null) {
            putSamples(ann.samples(), tensors);
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", ModelReader.FORMAT);
        metadata.put("format_version", ModelReader.FORMAT_VERSION);
        metadata.put("producer", PRODUCER);
        metadata.putAll(file.extraMetadata());
        // The reserved keys are written last, so extra metadata can never replace them.
        metadata.put("format", ModelReader.FORMAT);
        metadata.put("format_version", ModelReader.FORMAT_VERSION);
        metadata.remove("snn");
        metadata.put("graph", Json.write(GraphJson.write(ann.graph())));
        if (file.snn() != null) {
            Map<String, Safetensors.Entry> snnTensors = new LinkedHashMap<>();
            metadata.put("snn", Json.write(SnnJson.write(file.snn(), snnTensors)));
            for (Map.Entry<String, Safetensors.Entry> entry : snnTensors.entrySet()) {
                if (tensors.putIfAbsent(entry.getKey(), entry.getValue()) != null) {
                    throw new IllegalArgumentException("tensor name \"" + entry.getKey() + "\" is used by both the"
                            + " ANN and the spiking network; rename the ANN parameter");
                }
            }
        }
        byte[] bytes = Safetensors.write(tensors, metadata);
        try {
            ModelReader.read(bytes, "model", WRITE_CHECK_LIMITS);
        } catch (InvalidModelException e) {
            throw new IllegalArgumentException("cannot write an invalid model: " + e.getMessage(), e);
        }
        return bytes;
    }

    private static void putSamples(Dataset samples, Map<String, Safetensors.Entry> tensors) {
        int[] shape = samples.shape();
        int count = samples.size();
        putNew(tensors, ModelReader.IMAGES_TENSOR,
                Safetensors.Entry.ofBytes(samples.images(), count, shape[0], shape[1], shape[2]));
        int[] labels = samples.labels();
        boolean fitsByte = true;
        for (int label : labels) {
            fitsByte &= label >= 0 && label < 256;
        }
        if (fitsByte) {
            byte[] bytes = new byte[count];
            for (int i = 0; i < count; i++) {
                bytes[i] = (byte) labels[i];
            }
            putNew(tensors, ModelReader.LABELS_TENSOR, Safetensors.Entry.ofBytes(bytes, count));
        } else {
            putNew(tensors, ModelReader.LABELS_TENSOR, Safetensors.Entry.ofInts(labels, count));
        }
    }

    private static void putNew(Map<String, Safetensors.Entry> tensors, String name, Safetensors.Entry entry) {
        if (tensors.putIfAbsent(name, entry) != null) {
            throw new IllegalArgumentException("tensor name \"" + name + "\" is reserved for samples; rename the"
                    + " parameter");
        }
    }
}
