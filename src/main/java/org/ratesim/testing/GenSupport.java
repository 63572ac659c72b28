package org.ratesim.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;

/** Constants and shrink-tree plumbing behind {@link Gen}, kept out of the public interface. */
final class GenSupport {

    /** Share of integers and doubles drawn from the edge values instead of uniformly. */
    static final double EDGE_PROBABILITY = 0.2;

    /** Rejections in a row after which {@link Gen#filter} gives up. */
    static final int MAX_FILTER_ATTEMPTS = 1000;

    private GenSupport() {
    }

    record Pair<A, B>(A first, B second) {
    }

    static void checkRange(long min, long max) {
        if (min > max) {
            throw new IllegalArgumentException("invalid range [" + min + ", " + max + "]: min must not exceed max");
        }
    }

    static void checkSizes(int minSize, int maxSize) {
        if (minSize < 0 || minSize > maxSize) {
            throw new IllegalArgumentException("invalid size range [" + minSize + ", " + maxSize
                    + "]: sizes must be non-negative and min must not exceed max");
        }
    }

    /** Draws a long uniformly from [min, max], including ranges that span all longs. */
    static long uniform(SplittableRandom random, long min, long max) {
        if (max < Long.MAX_VALUE) {
            return random.nextLong(min, max + 1);
        }
        if (min > Long.MIN_VALUE) {
            return random.nextLong(min - 1, max) + 1;
        }
        return random.nextLong();
    }

    /** Returns the distinct values among 0, ±1, min, min + 1, max − 1 and max that lie in [min, max]. */
    static long[] edges(long min, long max) {
        long[] candidates = {0, 1, -1, min, max, min == Long.MAX_VALUE ? min : min + 1,
                max == Long.MIN_VALUE ? max : max - 1};
        return Arrays.stream(candidates).filter(value -> value >= min && value <= max).distinct().toArray();
    }

    /** Returns the distinct values among 0, ±1, ±0.5, min and max that lie in [min, max]. */
    static double[] edges(double min, double max) {
        double[] candidates = {0.0, 1.0, -1.0, 0.5, -0.5, min, max};
        return Arrays.stream(candidates).filter(value -> value >= min && value <= max).distinct().toArray();
    }

    /** Builds the shrink tree of a flatMap: the outer value shrinks first, redrawing the inner one from its seed. */
    static <T, R> Shrinkable<R> bind(Shrinkable<T> outer, Function<? super T, ? extends Gen<R>> binder,
                                     long innerSeed) {
        Shrinkable<R> inner = binder.apply(outer.value()).generate(new SplittableRandom(innerSeed));
        return bound(outer, inner, binder, innerSeed);
    }

    private static <T, R> Shrinkable<R> bound(Shrinkable<T> outer, Shrinkable<R> inner,
                                              Function<? super T, ? extends Gen<R>> binder, long innerSeed) {
        return Shrinkable.of(inner::value, () -> Stream.concat(
                outer.shrinks().map(smaller -> bind(smaller, binder, innerSeed)),
                inner.shrinks().map(smaller -> bound(outer, smaller, binder, innerSeed))));
    }

    /** Builds the shrink tree of a pair: the first value shrinks, then the second. */
    static <A, B> Shrinkable<Pair<A, B>> zip(Shrinkable<A> first, Shrinkable<B> second) {
        return Shrinkable.of(() -> new Pair<>(first.value(), second.value()), () -> Stream.concat(
                first.shrinks().map(smaller -> zip(smaller, second)),
                second.shrinks().map(smaller -> zip(first, smaller))));
    }

    /** Builds the shrink tree of a list; see {@link Shrinks#list}. */
    static <T> Shrinkable<List<T>> list(List<Shrinkable<T>> elements, int minSize) {
        return Shrinkable.of(() -> {
            List<T> values = new ArrayList<>(elements.size());
            for (Shrinkable<T> element : elements) {
                values.add(element.value());
            }
            return values;
        }, () -> Shrinks.list(elements, minSize).map(smaller -> list(smaller, minSize)));
    }
}
