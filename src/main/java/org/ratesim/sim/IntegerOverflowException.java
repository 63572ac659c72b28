package org.ratesim.sim;

import org.ratesim.RatesimException;

/**
 * The first int32 overflow that {@link CheckedSpikeKernels} found: a charge (multiplier × weight) or a membrane
 * potential plus a charge that leaves the int32 range.
 *
 * <p>The kernels know the operation, the neuron and the values. {@link Simulator#run} adds the layer name and
 * {@link Evaluator} the image index, each by making a copy, so the final message names them all.
 */
public final class IntegerOverflowException extends RatesimException {

    private final String operation;
    private final int neuron;
    private final int potential;
    private final int multiplier;
    private final long weight;
    private final String layer;
    private final int image;

    /**
     * Creates the exception of one violation.
     *
     * @param operation  the kernel operation: accumulate, accumulateScaled, addBias or avgPool
     * @param neuron     index of the neuron in the layer's channel-last membrane array
     * @param potential  the membrane potential before the operation
     * @param multiplier the spike count or step count the weight is multiplied by (1 for a single spike)
     * @param weight     the weight, bias or pool weight that was added
     */
    public IntegerOverflowException(String operation, int neuron, int potential, int multiplier, long weight) {
        this(operation, neuron, potential, multiplier, weight, null, -1);
    }

    private IntegerOverflowException(String operation, int neuron, int potential, int multiplier, long weight,
                                     String layer, int image) {
        super(EXIT_OVERFLOW, message(operation, neuron, potential, multiplier, weight, layer, image));
        this.operation = operation;
        this.neuron = neuron;
        this.potential = potential;
        this.multiplier = multiplier;
        this.weight = weight;
        this.layer = layer;
        this.image = image;
    }

    private static String message(String operation, int neuron, int potential, int multiplier, long weight,
                                  String layer, int image) {
        StringBuilder text = new StringBuilder("integer overflow");
        if (layer != null) {
            text.append(" in layer '").append(layer).append('\'');
        }
        if (image >= 0) {
            text.append(" at image ").append(image);
        }
        text.append(": ").append(operation).append(" on neuron ").append(neuron).append(": ");
        String charge = multiplier == 1 ? String.valueOf(weight) : multiplier + " × " + weight;
        long exactCharge = multiplier * weight;
        if (exactCharge != (int) exactCharge) {
            text.append("charge ").append(charge).append(" = ").append(exactCharge);
        } else {
            text.append("potential ").append(potential).append(" + charge ").append(charge).append(" = ")
                    .append(potential + exactCharge);
        }
        text.append(" is outside the int32 range; the network's weights, biases or T are too large for int32"
                + " membranes, so convert the ANN again with 'sim.jar convert', which bounds them");
        return text.toString();
    }

    /** Returns a copy that names the layer in which the overflow happened. */
    public IntegerOverflowException inLayer(String layerName) {
        IntegerOverflowException copy = new IntegerOverflowException(operation, neuron, potential, multiplier, weight,
                layerName, image);
        copy.setStackTrace(getStackTrace());
        return copy;
    }

    /** Returns a copy that names the 0-based index of the image whose simulation overflowed. */
    public IntegerOverflowException atImage(int imageIndex) {
        IntegerOverflowException copy = new IntegerOverflowException(operation, neuron, potential, multiplier, weight,
                layer, imageIndex);
        copy.setStackTrace(getStackTrace());
        return copy;
    }

    /** Returns the kernel operation: accumulate, accumulateScaled, addBias or avgPool. */
    public String operation() {
        return operation;
    }

    /** Returns the neuron's index in the layer's channel-last membrane array. */
    public int neuron() {
        return neuron;
    }

    /** Returns the membrane potential before the operation. */
    public int potential() {
        return potential;
    }

    /** Returns the spike or step count that multiplied the weight (1 for a single spike). */
    public int multiplier() {
        return multiplier;
    }

    /** Returns the weight, bias or pool weight that was added. */
    public long weight() {
        return weight;
    }

    /** Returns the exact charge, multiplier × weight. */
    public long charge() {
        return multiplier * weight;
    }

    /** Returns the layer name, or null when the exception has not passed through {@link Simulator#run}. */
    public String layer() {
        return layer;
    }

    /** Returns the image index, or −1 when the exception has not passed through {@link Evaluator}. */
    public int image() {
        return image;
    }
}
