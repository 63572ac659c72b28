package org.ratesim.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/** Shrink candidates of the built-in generators. */
final class Shrinks {

    /** Number of halving steps a double takes towards its target; more steps only refine a boundary further. */
    private static final int DOUBLE_HALVINGS = 12;

    private Shrinks() {
    }

    /**
     * Returns the value nearest to zero in [min, max]: zero itself, or the bound of the side that excludes it.
     * Integers and doubles shrink towards it.
     */
    static long target(long min, long max) {
        if (min > 0) {
            return min;
        }
        return Math.min(max, 0);
    }

    static double target(double min, double max) {
        if (min > 0) {
            return min;
        }
        return Math.min(max, 0.0);
    }

    /**
     * Returns candidates between {@code target} and {@code value}: the target first, then the value moved by half the
     * distance, a quarter, and so on down to one. {@code value - target} cannot overflow because the target is zero
     * or lies on the same side of zero as the value.
     */
    static LongStream towards(long value, long target) {
        if (value == target) {
            return LongStream.empty();
        }
        long distance = value - target;
        LongStream.Builder candidates = LongStream.builder();
        candidates.add(target);
        for (long step = distance / 2; step != 0; step /= 2) {
            candidates.add(value - step);
        }
        return candidates.build();
    }

    /**
     * Returns candidates for a double: the target, the value truncated towards the target when that is a different
     * integer, then the value moved by half the distance, a quarter, and so on for a fixed number of halvings.
     */
    static Stream<Double> towards(double value, double target, double min, double max) {
        if (value == target || Double.isNaN(value)) {
            return Stream.empty();
        }
        List<Double> candidates = new ArrayList<>();
        candidates.add(target);
        double truncated = target + (double) (long) (value - target);
        if (truncated != value && truncated >= min && truncated <= max && truncated != target) {
            candidates.add(truncated);
        }
        double distance = value - target;
        for (int halving = 1; halving <= DOUBLE_HALVINGS; halving++) {
            double candidate = value - distance / (1L << halving);
            if (candidate == value) {
                break;
            }
            if (!candidates.contains(candidate)) {
                candidates.add(candidate);
            }
        }
        return candidates.stream();
    }

    /**
     * Returns candidates of a list of shrinkable elements: first shorter lists, removing chunks of halving size
     * while keeping at least {@code minSize} elements, then lists with one element replaced by one of its
     * candidates.
     */
    static <T> Stream<List<Shrinkable<T>>> list(List<Shrinkable<T>> elements, int minSize) {
        int size = elements.size();
        Stream<List<Shrinkable<T>>> removals = Stream.iterate(size - minSize, chunk -> chunk > 0, chunk -> chunk / 2)
                .flatMap(chunk -> IntStream.iterate(0, start -> start + chunk <= size, start -> start + chunk)
                        .mapToObj(start -> without(elements, start, chunk)));
        Stream<List<Shrinkable<T>>> elementShrinks = IntStream.range(0, size).boxed()
                .flatMap(index -> elements.get(index).shrinks()
                        .map(candidate -> replaced(elements, index, candidate)));
        return Stream.concat(removals, elementShrinks);
    }

    private static <T> List<Shrinkable<T>> without(List<Shrinkable<T>> elements, int start, int count) {
        List<Shrinkable<T>> shorter = new ArrayList<>(elements.size() - count);
        shorter.addAll(elements.subList(0, start));
        shorter.addAll(elements.subList(start + count, elements.size()));
        return shorter;
    }

    private static <T> List<Shrinkable<T>> replaced(List<Shrinkable<T>> elements, int index, Shrinkable<T> element) {
        List<Shrinkable<T>> copy = new ArrayList<>(elements);
        copy.set(index, element);
        return copy;
    }

    /**
     * Returns candidates of sorted, distinct spike steps in [0, steps): each spike moved as early as the previous
     * spike allows, or one step earlier, so shrinking packs the train towards the start of the window.
     */
    static Stream<int[]> spikeSteps(int[] sortedSteps) {
        List<int[]> candidates = new ArrayList<>();
        for (int i = 0; i < sortedSteps.length; i++) {
            int earliest = i == 0 ? 0 : sortedSteps[i - 1] + 1;
            if (sortedSteps[i] > earliest) {
                int[] packed = sortedSteps.clone();
                packed[i] = earliest;
                candidates.add(packed);
                if (sortedSteps[i] - 1 > earliest) {
                    int[] earlier = sortedSteps.clone();
                    earlier[i] = sortedSteps[i] - 1;
                    candidates.add(earlier);
                }
            }
        }
        return candidates.stream();
    }
}
