package org.ratesim.sim;

/**
 * The input encoder of a spiking network.
 *
 * @param type    VR (one count per pixel), ICE (one count per pixel and resolution offset) or analog
 * @param levels  resolution L; a pixel byte b gives min(floor((L + offset) · b / 255), T) spikes
 * @param offsets ICE resolution offsets in channel-group order; {@code [0]} for VR
 * @param shape   {@code [C, H, W]} of the raw image
 */
public record Encoder(Type type, double levels, int[] offsets, int[] shape) {

    /** Kind of input encoding. */
    public enum Type { VR, ICE, ANALOG }

    public Encoder {
        offsets = offsets.clone();
        shape = shape.clone();
    }

    @Override
    public int[] offsets() {
        return offsets.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Returns the number of encoded channels: image channels × offsets. */
    public int encodedChannels() {
        return shape[0] * offsets.length;
    }
}
