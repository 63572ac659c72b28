package org.ratesim.model;

/**
 * The graph input: one image of shape {@code [C, H, W]} whose raw bytes b map to x = (b × scale − mean[c]) / std[c].
 *
 * @param name    name that nodes use to read the input
 * @param shape   {@code [C, H, W]}
 * @param scale   byte scale, 1/255 by default
 * @param mean    per-channel mean subtracted after scaling (zeros by default)
 * @param std     per-channel divisor (ones by default)
 * @param classes number of output classes
 */
public record InputSpec(String name, int[] shape, double scale, double[] mean, double[] std, int classes) {

    /** The default byte scale, 1/255: a byte b becomes p = b / 255 in [0, 1]. */
    public static final double DEFAULT_SCALE = 1.0 / 255.0;

    public InputSpec {
        shape = shape.clone();
        mean = mean.clone();
        std = std.clone();
    }

    /** Creates the input of a model that maps bytes to b / 255 with no normalization. */
    public static InputSpec ofBytes(String name, int[] shape, int classes) {
        double[] zeros = new double[shape[0]];
        double[] ones = new double[shape[0]];
        java.util.Arrays.fill(ones, 1.0);
        return new InputSpec(name, shape, DEFAULT_SCALE, zeros, ones, classes);
    }

    public int channels() {
        return shape[0];
    }

    public int height() {
        return shape[1];
    }

    public int width() {
        return shape[2];
    }

    /** Returns whether x = b / 255 exactly, which the VR and ICE encoders require. */
    public boolean isPlainBytes() {
        if (scale != DEFAULT_SCALE) {
            return false;
        }
        for (int c = 0; c < mean.length; c++) {
            if (mean[c] != 0.0 || std[c] != 1.0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }
}
