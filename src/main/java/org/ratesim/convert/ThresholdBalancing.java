package org.ratesim.convert;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ratesim.model.Dataset;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.NeuronRule;
import org.ratesim.tensor.Tensor;

/**
 * Standard conversion of a float ReLU network by data-based threshold balancing (Diehl et al. 2015, "max"; Rueckauer
 * et al. 2017, "p99.9"): the baseline that the quantized conversion is compared with.
 *
 * <p>The float ANN runs on calibration images. For each relu node l, λ_l is a percentile of that node's
 * <b>positive</b> activations over all calibration images and neurons: zeros are not counted, as SNN Toolbox does
 * ({@code activations[np.nonzero(activations)]} in its {@code normalize_parameters}). The percentile is the
 * nearest rank: with the n positive values sorted ascending, the p-th percentile is the value at rank ⌈p·n/100⌉
 * (1-based), so "max" is rank n. SNN Toolbox interpolates linearly instead; nearest rank always returns an observed
 * activation. A relu with no positive activation on the calibration set gets λ = 1.
 *
 * <p>The converted network has analog input: the first layer receives I = (W·x + b)/λ_1 at every step as a constant
 * current, computed exactly from the raw bytes (the input scale is folded into the weights before rounding). The
 * input scale λ_0 cancels for analog input. Hidden layers get W·λ_{l−1}/λ_l, bias b/λ_l and threshold 1, so a
 * neuron's rate n/T approximates a_l/λ_l, clipped to [0, 1]. Average and max pools keep the scale of their input.
 * The readout gets W·λ_last with an unscaled bias, so readout/T approximates the ANN logits.
 *
 * <p>T is a free parameter here: ReLU networks have no quantizer that fixes it.
 */
public final class ThresholdBalancing {

    /** Statistic of a layer's positive activations that becomes its scale λ. */
    public enum Method {
        /** The largest positive activation (Diehl et al. 2015). */
        MAX("max", new BigDecimal(100)),
        /** The 99.9th percentile of the positive activations (Rueckauer et al. 2017). */
        P99_9("p99.9", new BigDecimal("99.9"));

        private final String id;
        private final BigDecimal percentile;

        Method(String id, BigDecimal percentile) {
            this.id = id;
            this.percentile = percentile;
        }

        /** Returns the command-line name: {@code max} or {@code p99.9}. */
        public String id() {
            return id;
        }

        /** Returns the percentile p in (0, 100]. */
        public double percentile() {
            return percentile.doubleValue();
        }

        /** Returns the 1-based nearest rank ⌈p·n/100⌉ (at least 1) of the percentile among n sorted values. */
        public long rank(long n) {
            if (n < 1) {
                throw new IllegalArgumentException("invalid count " + n + ": a percentile needs at least one value");
            }
            BigDecimal exact = percentile.multiply(BigDecimal.valueOf(n)).divide(BigDecimal.valueOf(100), 0,
                    RoundingMode.CEILING);
            return Math.max(1, exact.longValueExact());
        }

        /** Parses {@code max} or {@code p99.9}. */
        public static Method parse(String text) {
            for (Method method : values()) {
                if (method.id.equals(text)) {
                    return method;
                }
            }
            throw new IllegalArgumentException("invalid method '" + text + "': expected max or p99.9");
        }
    }

    private ThresholdBalancing() {
    }

    /**
     * Converts the float ReLU network {@code model} with scales from {@code calibration}.
     *
     * @param calibration images to compute λ from; use training images, because scales taken from the test set
     *                    make the reported accuracy optimistic
     * @param timesteps   the window T, at least 1
     * @param options     neuron rule (IF is the standard conversion; ASG is allowed) and reset; epsilon must be 0
     * @throws ConversionException when the graph is not a supported ReLU chain or a layer could overflow int32
     */
    public static Conversion convert(Model model, Dataset calibration, Method method, int timesteps,
                                     ConversionOptions options) {
        if (timesteps < 1) {
            throw new IllegalArgumentException("invalid timesteps " + timesteps + ": expected at least 1");
        }
        if (options.epsilon() != 0.0) {
            throw new IllegalArgumentException("invalid epsilon " + options.epsilon() + " for a ReLU network: "
                    + "thresholds are 1 after balancing, so use epsilon 0");
        }
        return Converter.convertRelu(model, scales(model, calibration, method), timesteps, options);
    }

    /** Returns the IF neuron, reset by subtraction and epsilon 0: the standard conversion's options. */
    public static ConversionOptions standardOptions() {
        return ConversionOptions.defaults().withNeuron(NeuronRule.IF);
    }

    /**
     * Returns λ of every relu node of {@code model}, keyed by node name in graph order, from the float ANN's
     * activations on {@code calibration}.
     *
     * @throws ConversionException when the graph has no relu node or the calibration set is empty
     */
    public static Map<String, Double> scales(Model model, Dataset calibration, Method method) {
        List<Node> relus = model.graph().nodes().stream().filter(node -> node.op() == Op.RELU).toList();
        if (relus.isEmpty()) {
            throw new ConversionException("the graph has no relu node: threshold balancing converts float ReLU "
                    + "networks; convert quantized models without a method");
        }
        if (calibration.size() == 0) {
            throw new ConversionException("the calibration set is empty: give at least one image");
        }
        FloatExecutor executor = new FloatExecutor(model);
        byte[] images = calibration.images();
        int pixels = calibration.pixelsPerImage();
        Map<String, TopValues> tops = new LinkedHashMap<>();
        for (int image = 0; image < calibration.size(); image++) {
            Map<String, Tensor> activations = executor.activations(images, image * pixels);
            for (Node relu : relus) {
                float[] values = activations.get(relu.name()).floats();
                TopValues top = tops.get(relu.name());
                if (top == null) {
                    top = new TopValues(capacity(method, (long) values.length * calibration.size()));
                    tops.put(relu.name(), top);
                }
                for (float value : values) {
                    if (value > 0.0f) {
                        top.add(value);
                    }
                }
            }
        }
        Map<String, Double> result = new LinkedHashMap<>();
        for (Map.Entry<String, TopValues> entry : tops.entrySet()) {
            result.put(entry.getKey(), entry.getValue().percentile(method));
        }
        return result;
    }

    /**
     * Returns how many of the largest values the percentile can need among at most {@code maxCount} values:
     * n − ⌈p·n/100⌉ + 1 ≤ ⌊(1 − p/100)·maxCount⌋ + 1, plus one for rounding in the double product.
     */
    static int capacity(Method method, long maxCount) {
        double share = (100.0 - method.percentile()) / 100.0;
        long needed = (long) Math.floor(share * maxCount) + 2;
        if (needed > Integer.MAX_VALUE - 8) {
            throw new ConversionException(String.format(Locale.ROOT, "the calibration set has %d activations per "
                    + "layer, too many to keep the top %.1f%%: use fewer calibration images", maxCount,
                    100.0 - method.percentile()));
        }
        return (int) needed;
    }

    /** The largest values seen so far, in a min-heap of fixed capacity, and the count of all values seen. */
    static final class TopValues {
        private final double[] heap;
        private int size;
        private long count;

        TopValues(int capacity) {
            heap = new double[capacity];
        }

        void add(double value) {
            count++;
            if (size < heap.length) {
                int i = size++;
                heap[i] = value;
                while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
                    swap(i, (i - 1) / 2);
                    i = (i - 1) / 2;
                }
            } else if (value > heap[0]) {
                heap[0] = value;
                int i = 0;
                while (true) {
                    int smallest = i;
                    int left = 2 * i + 1;
                    int right = left + 1;
                    if (left < size && heap[left] < heap[smallest]) {
                        smallest = left;
                    }
                    if (right < size && heap[right] < heap[smallest]) {
                        smallest = right;
                    }
                    if (smallest == i) {
                        break;
                    }
                    swap(i, smallest);
                    i = smallest;
                }
            }
        }

        private void swap(int a, int b) {
            double value = heap[a];
            heap[a] = heap[b];
            heap[b] = value;
        }

        /** Returns the nearest-rank percentile of every value added, or 1 when none was added. */
        double percentile(Method method) {
            if (count == 0) {
                return 1.0;
            }
            long fromTop = count - method.rank(count);
            if (fromTop >= size) {
                throw new IllegalStateException("percentile rank " + method.rank(count) + " of " + count
                        + " values needs " + (fromTop + 1) + " kept values but only " + size + " were kept");
            }
            double[] sorted = Arrays.copyOf(heap, size);
            Arrays.sort(sorted);
            return sorted[size - 1 - (int) fromTop];
        }
    }
}
