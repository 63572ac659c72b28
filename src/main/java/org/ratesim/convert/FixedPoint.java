package org.ratesim.convert;

/**
 * Fixed-point representation of one layer: int16 weights, int32 bias and threshold, all in units of 2^−shift.
 *
 * <p>The shift is the largest one (at most {@value #MAX_SHIFT}) that keeps every weight within int16. The layer is
 * then checked against its window bound T·(max over output channels of Σ|w| + |b|) + θ, which bounds the membrane
 * potential of ASG accumulation, of IF neurons with either reset, and of the readout. When the bound exceeds
 * 2^31 − 1 the shift is lowered until it fits, unless the largest weight would keep fewer than 8 bits.
 */
final class FixedPoint {

    /** Largest shift; 2^30 keeps a real threshold of 1 representable in int32 with room for the bias. */
    static final int MAX_SHIFT = 30;
    /** Smallest acceptable largest weight after lowering the shift for the bound: 8 bits of precision. */
    static final int MIN_MAX_WEIGHT = 256;

    private FixedPoint() {
    }

    /**
     * One layer in integer units.
     *
     * @param shift        units are 2^−shift
     * @param weights      rounded weights, in the layout they were given
     * @param bias         rounded bias per output channel
     * @param threshold    rounded threshold per output channel, or null for the readout
     * @param maxAbsWeight largest |weight|
     * @param bound        the window bound of the layer
     */
    record Layer(int shift, short[] weights, int[] bias, int[] threshold, int maxAbsWeight, long bound) {
    }

    /** Rounds to the nearest integer, ties away from zero; values beyond the long range saturate. */
    static long roundHalfAway(double value) {
        double rounded = Math.floor(Math.abs(value) + 0.5);
        long magnitude = (long) rounded;
        return value < 0 ? -magnitude : magnitude;
    }

    /**
     * Returns T·(maxFanInPlusBias) + threshold, the largest |membrane potential| in one window, saturating at
     * {@link Long#MAX_VALUE}.
     */
    static long windowBound(int timesteps, long maxFanInPlusBias, long threshold) {
        try {
            return Math.addExact(Math.multiplyExact((long) timesteps, maxFanInPlusBias), threshold);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Quantizes one synaptic layer.
     *
     * @param name          layer name for error messages
     * @param weights       real weights (already scaled by T/L_in)
     * @param weightChannel output channel that each weight feeds
     * @param bias          real bias per output channel (unscaled)
     * @param threshold     real threshold, or NaN for the readout
     * @param timesteps     the window T
     * @throws ConversionException when the layer cannot be represented
     */
    static Layer quantize(String name, double[] weights, int[] weightChannel, double[] bias, double threshold,
                          int timesteps) {
        return quantize(name, weights, weightChannel, bias, threshold, timesteps, 1);
    }

    /**
     * Quantizes one synaptic layer whose inputs are integers up to {@code maxInput} per step: 1 for spikes, 255
     * for raw pixel bytes fed as analog current. The window bound becomes T·(maxInput·Σ|w| + |b|) + θ.
     */
    static Layer quantize(String name, double[] weights, int[] weightChannel, double[] bias, double threshold,
                          int timesteps, int maxInput) {
        double maxWeight = 0.0;
        for (double w : weights) {
            maxWeight = Math.max(maxWeight, Math.abs(w));
        }
        checkFinite(name, "weight", maxWeight);
        for (double b : bias) {
            checkFinite(name, "bias", b);
        }
        int shift = MAX_SHIFT;
        while (shift > 0 && maxWeight * Math.scalb(1.0, shift) > Short.MAX_VALUE) {
            shift--;
        }
        if (maxWeight * Math.scalb(1.0, shift) > Short.MAX_VALUE) {
            throw new ConversionException("layer '" + name + "' has a scaled weight of " + maxWeight
                    + ", above the int16 limit 32767 even at shift 0: use smaller weights or a smaller T/L");
        }

        Layer previous = null;
        while (true) {
            Layer layer = quantizeAt(name, shift, weights, weightChannel, bias, threshold, timesteps, maxInput);
            if (previous != null && maxWeight > 0.0 && layer.maxAbsWeight() < MIN_MAX_WEIGHT) {
                throw new ConversionException("layer '" + name + "' may overflow int32: its window bound "
                        + "T·(Σ|w| + |b|) + θ is " + previous.bound() + " > " + Integer.MAX_VALUE + " at shift "
                        + previous.shift() + ", and a lower shift leaves the largest weight fewer than 8 bits; "
                        + "use a smaller T or smaller weights");
            }
            if (layer.bound() <= Integer.MAX_VALUE) {
                return layer;
            }
            if (shift == 0) {
                throw new ConversionException("layer '" + name + "' may overflow int32: its window bound "
                        + "T·(Σ|w| + |b|) + θ is " + layer.bound() + " > " + Integer.MAX_VALUE
                        + " even at shift 0; use a smaller T or smaller weights and biases");
            }
            previous = layer;
            shift--;
        }
    }

    private static void checkFinite(String name, String role, double value) {
        if (!Double.isFinite(value)) {
            throw new ConversionException("layer '" + name + "' has a " + role + " of " + value
                    + " after batch-norm folding and scaling: every weight and bias must be finite");
        }
    }

    private static Layer quantizeAt(String name, int shift, double[] weights, int[] weightChannel, double[] bias,
                                    double threshold, int timesteps, int maxInput) {
        int channels = bias.length;
        double scale = Math.scalb(1.0, shift);
        short[] intWeights = new short[weights.length];
        long[] fanIn = new long[channels];
        int maxAbs = 0;
        for (int i = 0; i < weights.length; i++) {
            // |weights[i]|·2^shift <= 32767 by the choice of shift, so the rounded value fits int16.
            int value = (int) roundHalfAway(weights[i] * scale);
            intWeights[i] = (short) value;
            maxAbs = Math.max(maxAbs, Math.abs(value));
            // At most 2^15 · 255 per weight, so a long sum cannot overflow for any array length.
            fanIn[weightChannel[i]] += (long) Math.abs(value) * maxInput;
        }

        long[] roundedBias = new long[channels];
        long maxFanInPlusBias = 0;
        for (int c = 0; c < channels; c++) {
            roundedBias[c] = roundHalfAway(bias[c] * scale);
            long sum = fanIn[c] + Math.abs(roundedBias[c]);
            if (sum < 0) {
                sum = Long.MAX_VALUE;
            }
            maxFanInPlusBias = Math.max(maxFanInPlusBias, sum);
        }

        int[] intThreshold = null;
        long thresholdValue = 0;
        if (!Double.isNaN(threshold)) {
            thresholdValue = roundHalfAway(threshold * scale);
            if (thresholdValue < 1) {
                throw new ConversionException("layer '" + name + "' has threshold " + threshold
                        + ", which rounds to " + thresholdValue + " at shift " + shift
                        + ": the threshold T/L − epsilon must be at least 2^−" + (shift + 1)
                        + "; use a smaller epsilon or smaller weights");
            }
        }

        long bound = windowBound(timesteps, maxFanInPlusBias, thresholdValue);
        int[] intBias = new int[channels];
        if (bound <= Integer.MAX_VALUE) {
            // The bound covers T·|b| + θ, so both fit int32 here.
            for (int c = 0; c < channels; c++) {
                intBias[c] = (int) roundedBias[c];
            }
            if (!Double.isNaN(threshold)) {
                intThreshold = new int[channels];
                java.util.Arrays.fill(intThreshold, (int) thresholdValue);
            }
        }
        return new Layer(shift, intWeights, intBias, intThreshold, maxAbs, bound);
    }
}
