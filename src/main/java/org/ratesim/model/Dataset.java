package org.ratesim.model;

/**
 * Labelled images as raw bytes, each of shape {@code [C, H, W]} in channels-first order.
 *
 * @param images  N × C × H × W bytes, image i starting at i × C × H × W
 * @param labels  N class indices
 * @param shape   {@code [C, H, W]} of one image
 */
public record Dataset(byte[] images, int[] labels, int[] shape) {

    public Dataset {
        int pixels = shape[0] * shape[1] * shape[2];
        if ((long) labels.length * pixels != images.length) {
            throw new IllegalArgumentException(labels.length + " labels do not match " + images.length
                    + " image bytes of " + pixels + " bytes each");
        }
    }

    public int size() {
        return labels.length;
    }

    public int pixelsPerImage() {
        return shape[0] * shape[1] * shape[2];
    }

    /** Returns the first {@code count} images (all when count is larger than the dataset). */
    public Dataset limit(int count) {
        if (count >= size()) {
            return this;
        }
        int pixels = pixelsPerImage();
        return new Dataset(java.util.Arrays.copyOf(images, count * pixels), java.util.Arrays.copyOf(labels, count),
                shape);
    }
}
