package org.ratesim.tensor;

import java.util.Arrays;

/**
 * Dense row-major tensor with float32 or int32 storage.
 *
 * <p>Shapes are small ({@code [C, H, W]} of one image, or a weight's {@code [Cout, Cin, KH, KW]}), so the element
 * count is checked to fit an {@code int} when the tensor is created.
 */
public final class Tensor {

    /** Element type of the storage. */
    public enum DType { F32, I32 }

    private final int[] shape;
    private final float[] floats;
    private final int[] ints;

    private Tensor(int[] shape, float[] floats, int[] ints) {
        this.shape = shape.clone();
        this.floats = floats;
        this.ints = ints;
    }

    /** Creates a float32 tensor of zeros. */
    public static Tensor zeros(int... shape) {
        return new Tensor(shape, new float[size(shape)], null);
    }

    /** Creates an int32 tensor of zeros. */
    public static Tensor intZeros(int... shape) {
        return new Tensor(shape, null, new int[size(shape)]);
    }

    /** Wraps a float array without copying; its length must equal the product of the shape. */
    public static Tensor of(float[] data, int... shape) {
        checkLength(data.length, shape);
        return new Tensor(shape, data, null);
    }

    /** Wraps an int array without copying; its length must equal the product of the shape. */
    public static Tensor ofInts(int[] data, int... shape) {
        checkLength(data.length, shape);
        return new Tensor(shape, null, data);
    }

    /** Returns the number of elements of a shape, rejecting negative sizes and counts above 2^31 − 1. */
    public static int size(int... shape) {
        long count = 1;
        for (int dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("invalid shape " + Arrays.toString(shape) + ": negative size " + dim);
            }
            count *= dim;
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("invalid shape " + Arrays.toString(shape)
                        + ": more than " + Integer.MAX_VALUE + " elements");
            }
        }
        return (int) count;
    }

    private static void checkLength(int length, int[] shape) {
        int expected = size(shape);
        if (length != expected) {
            throw new IllegalArgumentException("data length " + length + " does not match shape "
                    + Arrays.toString(shape) + " (" + expected + " elements)");
        }
    }

    public DType dtype() {
        return floats != null ? DType.F32 : DType.I32;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int size() {
        return floats != null ? floats.length : ints.length;
    }

    /** Returns the float32 storage itself (not a copy); throws if the tensor is int32. */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("tensor is I32, not F32");
        }
        return floats;
    }

    /** Returns the int32 storage itself (not a copy); throws if the tensor is float32. */
    public int[] ints() {
        if (ints == null) {
            throw new IllegalStateException("tensor is F32, not I32");
        }
        return ints;
    }

    /** Returns a tensor with the same storage and a new shape of the same element count. */
    public Tensor reshape(int... newShape) {
        checkLength(size(), newShape);
        return new Tensor(newShape, floats, ints);
    }

    public Tensor copy() {
        return new Tensor(shape, floats != null ? floats.clone() : null, ints != null ? ints.clone() : null);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Tensor)) {
            return false;
        }
        Tensor that = (Tensor) other;
        return Arrays.equals(shape, that.shape) && Arrays.equals(floats, that.floats) && Arrays.equals(ints, that.ints);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + (floats != null ? Arrays.hashCode(floats) : Arrays.hashCode(ints));
    }

    @Override
    public String toString() {
        return "Tensor" + dtype() + Arrays.toString(shape);
    }
}
