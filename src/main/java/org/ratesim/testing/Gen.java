package org.ratesim.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A seeded generator of values with shrink candidates.
 *
 * <p>A generator draws everything from the {@link SplittableRandom} it is given, so the same seed always gives the
 * same value. Integers and doubles are biased towards edge values such as 0, ±1 and the range limits. They shrink
 * towards zero, or towards the range limit nearest to zero when zero is outside the range.
 * Lists and arrays shrink by removing elements and then by shrinking single elements.
 *
 * <pre>{@code
 * Gen<int[]> arrays = Gen.intArrays(Gen.integers(-100, 100), 0, 20);
 * Gen<Integer> evens = Gen.integers(0, 1000).map(n -> 2 * n);
 * Gen<int[]> nonEmpty = arrays.filter(array -> array.length > 0);
 * }</pre>
 *
 * @param <T> type of the generated values
 */
@FunctionalInterface
public interface Gen<T> {

    /** Draws one value and its shrink candidates from {@code random}. */
    Shrinkable<T> generate(SplittableRandom random);

    /** Draws one value from {@code random}, without its shrink candidates. */
    default T sample(SplittableRandom random) {
        return generate(random).value();
    }

    /** Returns a generator of {@code mapper(value)}; candidates are the mapped candidates of the value. */
    default <R> Gen<R> map(Function<? super T, ? extends R> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return random -> generate(random).map(mapper);
    }

    /**
     * Returns a generator that draws a value, then draws from the generator that {@code binder} makes of it. This
     * value shrinks first, with the dependent value drawn again from the same seed, and then the dependent value
     * shrinks on its own.
     */
    default <R> Gen<R> flatMap(Function<? super T, ? extends Gen<R>> binder) {
        Objects.requireNonNull(binder, "binder");
        return random -> {
            Shrinkable<T> outer = generate(random);
            long innerSeed = random.nextLong();
            return GenSupport.bind(outer, binder, innerSeed);
        };
    }

    /**
     * Returns a generator of the values that satisfy {@code predicate}, drawing again on rejection. Candidates that
     * do not satisfy it are skipped. The generator throws {@link IllegalStateException} after 1000 rejections in a
     * row, because such a filter should be replaced by a generator of valid values.
     */
    default Gen<T> filter(Predicate<? super T> predicate) {
        Objects.requireNonNull(predicate, "predicate");
        return random -> {
            for (int attempt = 0; attempt < GenSupport.MAX_FILTER_ATTEMPTS; attempt++) {
                Shrinkable<T> candidate = generate(random);
                if (predicate.test(candidate.value())) {
                    return candidate.filter(predicate);
                }
            }
            throw new IllegalStateException("filter rejected " + GenSupport.MAX_FILTER_ATTEMPTS
                    + " generated values in a row; generate valid values directly instead of filtering");
        };
    }

    /** Returns a generator with the same values whose candidates come from {@code shrinker} instead. */
    default Gen<T> withShrinker(Function<? super T, ? extends Stream<? extends T>> shrinker) {
        Objects.requireNonNull(shrinker, "shrinker");
        return random -> Shrinkable.unfold(generate(random).value(), shrinker);
    }

    /** Returns a generator that calls {@code generator} and never shrinks. */
    static <T> Gen<T> of(Function<SplittableRandom, ? extends T> generator) {
        Objects.requireNonNull(generator, "generator");
        return random -> Shrinkable.of(generator.apply(random));
    }

    /** Returns a generator that calls {@code generator} and shrinks with {@code shrinker}. */
    static <T> Gen<T> of(Function<SplittableRandom, ? extends T> generator,
                         Function<? super T, ? extends Stream<? extends T>> shrinker) {
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(shrinker, "shrinker");
        return random -> Shrinkable.unfold(generator.apply(random), shrinker);
    }

    /** Returns a generator that always gives {@code value}. */
    static <T> Gen<T> constant(T value) {
        return random -> Shrinkable.of(value);
    }

    /** Returns a generator of ints in [min, max], biased towards edges, shrinking towards zero. */
    static Gen<Integer> integers(int min, int max) {
        return longs(min, max).map(Long::intValue);
    }

    /** Returns a generator of longs in [min, max], biased towards edges, shrinking towards zero. */
    static Gen<Long> longs(long min, long max) {
        GenSupport.checkRange(min, max);
        long[] edges = GenSupport.edges(min, max);
        long target = Shrinks.target(min, max);
        return random -> {
            long value = random.nextDouble() < GenSupport.EDGE_PROBABILITY
                    ? edges[random.nextInt(edges.length)]
                    : GenSupport.uniform(random, min, max);
            return Shrinkable.unfold(value, current -> Shrinks.towards(current, target).boxed());
        };
    }

    /** Returns a generator of shorts in [min, max], biased towards edges, shrinking towards zero. */
    static Gen<Short> shorts(int min, int max) {
        if (min < Short.MIN_VALUE || max > Short.MAX_VALUE) {
            throw new IllegalArgumentException("invalid short range [" + min + ", " + max + "]: bounds must lie in ["
                    + Short.MIN_VALUE + ", " + Short.MAX_VALUE + "]");
        }
        return longs(min, max).map(Long::shortValue);
    }

    /**
     * Returns a generator of doubles in [min, max], biased towards edges, shrinking towards zero and towards
     * integers. Both bounds must be finite.
     */
    static Gen<Double> doubles(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || min > max) {
            throw new IllegalArgumentException("invalid double range [" + min + ", " + max
                    + "]: bounds must be finite and min must not exceed max");
        }
        double[] edges = GenSupport.edges(min, max);
        double target = Shrinks.target(min, max);
        return random -> {
            double value;
            if (random.nextDouble() < GenSupport.EDGE_PROBABILITY) {
                value = edges[random.nextInt(edges.length)];
            } else {
                // Interpolating between the bounds cannot overflow, unlike min + (max - min) * u.
                double u = random.nextDouble();
                value = Math.min(max, Math.max(min, min * (1 - u) + max * u));
            }
            return Shrinkable.unfold(value, current -> Shrinks.towards(current, target, min, max));
        };
    }

    /** Returns a generator of booleans that shrinks true to false. */
    static Gen<Boolean> booleans() {
        return random -> Shrinkable.unfold(random.nextBoolean(),
                current -> current ? Stream.of(false) : Stream.empty());
    }

    /** Returns a generator of one of {@code values}, shrinking towards the first. */
    @SafeVarargs
    static <T> Gen<T> elementOf(T... values) {
        return elementOf(Arrays.asList(values));
    }

    /** Returns a generator of one element of {@code values}, shrinking towards the first. */
    static <T> Gen<T> elementOf(List<? extends T> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("elementOf needs at least one value, got an empty list");
        }
        List<T> copy = List.copyOf(values);
        return integers(0, copy.size() - 1).map(copy::get);
    }

    /** Returns a generator that draws from one of {@code generators}, shrinking towards the first generator. */
    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... generators) {
        List<Gen<? extends T>> copy = List.of(generators);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("oneOf needs at least one generator, got none");
        }
        return integers(0, copy.size() - 1).flatMap(index -> copy.get(index).map(value -> (T) value));
    }

    /**
     * Returns a generator of lists with one value from each of {@code generators}, in order. The list length is
     * fixed, so lists shrink only by shrinking single elements.
     */
    static <T> Gen<List<T>> sequence(List<? extends Gen<? extends T>> generators) {
        List<Gen<? extends T>> copy = List.copyOf(generators);
        return random -> {
            List<Shrinkable<T>> drawn = new ArrayList<>(copy.size());
            for (Gen<? extends T> generator : copy) {
                drawn.add(generator.generate(random).map(value -> (T) value));
            }
            return GenSupport.list(drawn, drawn.size());
        };
    }

    /** Returns a generator of pairs combined by {@code combiner}; the first value shrinks before the second. */
    static <A, B, R> Gen<R> zip(Gen<A> first, Gen<B> second, BiFunction<? super A, ? super B, ? extends R> combiner) {
        Objects.requireNonNull(combiner, "combiner");
        return random -> {
            Shrinkable<A> a = first.generate(random);
            Shrinkable<B> b = second.generate(random);
            return GenSupport.zip(a, b).map(pair -> combiner.apply(pair.first(), pair.second()));
        };
    }

    /** Function of three values that {@link #zip(Gen, Gen, Gen, Combiner3)} uses to build one value. */
    @FunctionalInterface
    interface Combiner3<A, B, C, R> {
        R apply(A first, B second, C third);
    }

    /** Returns a generator of triples combined by {@code combiner}; values shrink in argument order. */
    static <A, B, C, R> Gen<R> zip(Gen<A> first, Gen<B> second, Gen<C> third,
                                   Combiner3<? super A, ? super B, ? super C, ? extends R> combiner) {
        Objects.requireNonNull(combiner, "combiner");
        return zip(zip(first, second, GenSupport.Pair::new), third,
                (pair, c) -> combiner.apply(pair.first(), pair.second(), c));
    }

    /**
     * Returns a generator of lists of {@code minSize} to {@code maxSize} elements, each drawn from
     * {@code elements}. Lists shrink by removing elements, never below {@code minSize}, then by shrinking single
     * elements. Every {@link Shrinkable#value()} call builds a new mutable list.
     */
    static <T> Gen<List<T>> listOf(Gen<T> elements, int minSize, int maxSize) {
        GenSupport.checkSizes(minSize, maxSize);
        return random -> {
            int size = (int) GenSupport.uniform(random, minSize, maxSize);
            List<Shrinkable<T>> drawn = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                drawn.add(elements.generate(random));
            }
            return GenSupport.list(drawn, minSize);
        };
    }

    /** Returns a generator of int arrays of {@code minLength} to {@code maxLength} elements; see {@link #listOf}. */
    static Gen<int[]> intArrays(Gen<Integer> elements, int minLength, int maxLength) {
        return listOf(elements, minLength, maxLength)
                .map(list -> list.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Returns a generator of short arrays of {@code minLength} to {@code maxLength} elements; see {@link #listOf}. */
    static Gen<short[]> shortArrays(Gen<Short> elements, int minLength, int maxLength) {
        return listOf(elements, minLength, maxLength).map(list -> {
            short[] array = new short[list.size()];
            for (int i = 0; i < array.length; i++) {
                array[i] = list.get(i);
            }
            return array;
        });
    }

    /** Returns a generator of double arrays of {@code minLength} to {@code maxLength} elements; see {@link #listOf}. */
    static Gen<double[]> doubleArrays(Gen<Double> elements, int minLength, int maxLength) {
        return listOf(elements, minLength, maxLength)
                .map(list -> list.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
