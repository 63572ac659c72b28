package org.ratesim.io;

/**
 * Size limits that stop a hostile model or dataset file before it allocates memory or burns CPU time.
 *
 * <p>Every reader checks a declared size against these limits before allocating for it. The defaults
 * ({@link #DEFAULTS}) admit real models and datasets (a 1 GiB tensor, 4 GiB of tensor data, a 64 MiB header) and
 * reject files that declare more. A caller that needs other bounds derives them with the {@code with...} methods:
 * {@code ReaderLimits.DEFAULTS.withMaxTensorBytes(16L << 20)}.
 *
 * @param maxHeaderBytes  maximum safetensors header length N, in bytes (default 64 MiB; the safetensors reference
 *                        reader allows 100,000,000)
 * @param maxTensorBytes  maximum size of one tensor, in bytes (default 1 GiB; at most 2^31 − 9 because a tensor is
 *                        read into one Java array)
 * @param maxTotalBytes   maximum size of the whole tensor data buffer, in bytes (default 4 GiB)
 * @param maxTensors      maximum number of tensors in one file (default 100,000)
 * @param maxJsonDepth    maximum nesting of arrays and objects in a JSON document (default 64, at least 5)
 * @param maxJsonValues   maximum number of values in one JSON document (default 1,000,000)
 * @param maxNodes        maximum number of graph nodes or spiking layers (default 10,000)
 * @param maxNeurons      maximum number of values in one layer's output, C × H × W (default 2^26)
 * @param maxTotalNeurons maximum sum of the output sizes of all graph nodes, and of all spiking layers (default
 *                        2^28), which bounds the state a simulator allocates for a model
 * @param maxTimesteps    maximum time window T (default 65,536)
 * @param maxDatasetBytes maximum size of a decoded IDX file's data, in bytes (default 1 GiB)
 */
public record ReaderLimits(long maxHeaderBytes, long maxTensorBytes, long maxTotalBytes, int maxTensors,
                           int maxJsonDepth, int maxJsonValues, int maxNodes, long maxNeurons, long maxTotalNeurons,
                           int maxTimesteps, long maxDatasetBytes) {

    /** Largest byte array the readers allocate, 2^31 − 9: the JDK 17 soft maximum array length (ArraysSupport). */
    public static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    /** The default limits. */
    public static final ReaderLimits DEFAULTS = new ReaderLimits(64L << 20, 1L << 30, 4L << 30, 100_000, 64,
            1_000_000, 10_000, 1L << 26, 1L << 28, 65_536, 1L << 30);

    public ReaderLimits {
        requireRange("maxHeaderBytes", maxHeaderBytes, 2, MAX_ARRAY_BYTES);
        requireRange("maxTensorBytes", maxTensorBytes, 0, MAX_ARRAY_BYTES);
        requireRange("maxTotalBytes", maxTotalBytes, 0, Long.MAX_VALUE);
        requireRange("maxTensors", maxTensors, 0, Integer.MAX_VALUE);
        // The graph document nests 5 deep (graph, nodes, node, attrs, stride), so a smaller limit rejects every model.
        requireRange("maxJsonDepth", maxJsonDepth, 5, 10_000);
        requireRange("maxJsonValues", maxJsonValues, 1, Integer.MAX_VALUE);
        requireRange("maxNodes", maxNodes, 1, Integer.MAX_VALUE);
        requireRange("maxNeurons", maxNeurons, 1, Integer.MAX_VALUE);
        requireRange("maxTotalNeurons", maxTotalNeurons, 1, Long.MAX_VALUE);
        requireRange("maxTimesteps", maxTimesteps, 1, Integer.MAX_VALUE);
        requireRange("maxDatasetBytes", maxDatasetBytes, 1, MAX_ARRAY_BYTES);
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("invalid reader limit " + name + " = " + value + ": expected "
                    + min + " to " + max);
        }
    }

    /** Returns the JSON limits for documents of at most {@code maxChars}; strings may fill the whole document. */
    Json.Limits jsonLimits(long maxChars) {
        int chars = (int) Math.min(maxChars, MAX_ARRAY_BYTES);
        return new Json.Limits(chars, maxJsonDepth, chars, maxJsonValues);
    }

    public ReaderLimits withMaxHeaderBytes(long value) {
        return new ReaderLimits(value, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues, maxNodes,
                maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxTensorBytes(long value) {
        return new ReaderLimits(maxHeaderBytes, value, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues, maxNodes,
                maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxTotalBytes(long value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, value, maxTensors, maxJsonDepth, maxJsonValues,
                maxNodes, maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxTensors(int value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, value, maxJsonDepth, maxJsonValues,
                maxNodes, maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxJsonDepth(int value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, value, maxJsonValues,
                maxNodes, maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxJsonValues(int value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, value,
                maxNodes, maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxNodes(int value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues,
                value, maxNeurons, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxNeurons(long value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues,
                maxNodes, value, maxTotalNeurons, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxTotalNeurons(long value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues,
                maxNodes, maxNeurons, value, maxTimesteps, maxDatasetBytes);
    }

    public ReaderLimits withMaxTimesteps(int value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues,
                maxNodes, maxNeurons, maxTotalNeurons, value, maxDatasetBytes);
    }

    public ReaderLimits withMaxDatasetBytes(long value) {
        return new ReaderLimits(maxHeaderBytes, maxTensorBytes, maxTotalBytes, maxTensors, maxJsonDepth, maxJsonValues,
                maxNodes, maxNeurons, maxTotalNeurons, maxTimesteps, value);
    }
}
