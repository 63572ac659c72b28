package org.ratesim.testing;

import org.ratesim.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Generators of the values that spiking-network properties need: map shapes, int tensors and spike trains. */
public final class SnnGen {

    private SnnGen() {
    }

    /**
     * Returns a generator of {@code [C, H, W]} shapes with every size at least 1 and at most the given maximum;
     * sizes shrink towards 1.
     */
    public static Gen<int[]> shapes(int maxChannels, int maxHeight, int maxWidth) {
        if (maxChannels < 1 || maxHeight < 1 || maxWidth < 1) {
            throw new IllegalArgumentException("invalid maximum shape [" + maxChannels + ", " + maxHeight + ", "
                    + maxWidth + "]: every size must be at least 1");
        }
        return Gen.zip(Gen.integers(1, maxChannels), Gen.integers(1, maxHeight), Gen.integers(1, maxWidth),
                (channels, height, width) -> new int[] {channels, height, width});
    }

    /**
     * Returns a generator of int32 tensors whose shape comes from {@code shapes} and whose elements come from
     * {@code elements}. The shape shrinks first, then single elements.
     */
    public static Gen<Tensor> intTensors(Gen<int[]> shapes, Gen<Integer> elements) {
        return shapes.flatMap(shape -> {
            int size = Tensor.size(shape);
            int[] fixedShape = shape.clone();
            return Gen.intArrays(elements, size, size).map(data -> Tensor.ofInts(data, fixedShape));
        });
    }

    /**
     * Returns a generator of the steps at which {@code count} spikes occur in a window of {@code steps} time
     * steps: distinct, increasing, 0-based step indices placed uniformly at random. Shrinking moves spikes
     * towards the start of the window.
     */
    public static Gen<int[]> spikeSteps(int steps, int count) {
        if (steps < 0 || count < 0 || count > steps) {
            throw new IllegalArgumentException("invalid spike train of " + count + " spikes in " + steps
                    + " steps: the count must lie in [0, steps]");
        }
        Gen<int[]> stored = Gen.of(random -> drawSteps(random, steps, count), Shrinks::spikeSteps);
        return random -> stored.generate(random).map(int[]::clone);
    }

    /** Returns a generator of spike trains of {@code steps} booleans with exactly {@code count} of them true. */
    public static Gen<boolean[]> spikeTrains(int steps, int count) {
        return spikeSteps(steps, count).map(spikeSteps -> {
            boolean[] train = new boolean[steps];
            for (int step : spikeSteps) {
                train[step] = true;
            }
            return train;
        });
    }

    /** Returns a generator of spike trains of {@code steps} ints, exactly {@code count} of them 1 and the rest 0. */
    public static Gen<int[]> spikeTrainsAsInts(int steps, int count) {
        return spikeSteps(steps, count).map(spikeSteps -> {
            int[] train = new int[steps];
            for (int step : spikeSteps) {
                train[step] = 1;
            }
            return train;
        });
    }

    /** Draws {@code count} distinct steps in [0, steps) with a partial Fisher-Yates shuffle and sorts them. */
    private static int[] drawSteps(SplittableRandom random, int steps, int count) {
        int[] all = new int[steps];
        for (int i = 0; i < steps; i++) {
            all[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = random.nextInt(i, steps);
            int swap = all[i];
            all[i] = all[j];
            all[j] = swap;
        }
        int[] chosen = Arrays.copyOf(all, count);
        Arrays.sort(chosen);
        return chosen;
    }
}
