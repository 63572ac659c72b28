package org.ratesim.testing;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A generated value together with its shrink candidates: simpler values of the same kind, most aggressive first.
 *
 * <p>Candidates are computed lazily, so they are only built for a value that fails. A value derived with
 * {@link #map} is recomputed on every {@link #value()} call, so a predicate that modifies a generated array cannot
 * change the value that a failure report shows or that shrinking starts from. Values built by {@link #unfold} are
 * stored once, so their generator must hand out immutable values or wrap them with {@code map(array ->
 * array.clone())}.
 *
 * @param <T> type of the value
 */
public final class Shrinkable<T> {

    private final Supplier<T> value;
    private final Supplier<Stream<Shrinkable<T>>> shrinks;

    private Shrinkable(Supplier<T> value, Supplier<Stream<Shrinkable<T>>> shrinks) {
        this.value = value;
        this.shrinks = shrinks;
    }

    /** Creates a value without shrink candidates. */
    public static <T> Shrinkable<T> of(T value) {
        return new Shrinkable<>(() -> value, Stream::empty);
    }

    /**
     * Creates a value whose candidates come from {@code shrinker}, applied again to every candidate. The shrinker
     * must only return values that are simpler by some measure, so that shrinking ends.
     */
    public static <T> Shrinkable<T> unfold(T value, Function<? super T, ? extends Stream<? extends T>> shrinker) {
        Objects.requireNonNull(shrinker, "shrinker");
        return new Shrinkable<>(() -> value,
                () -> shrinker.apply(value).map(candidate -> Shrinkable.<T>unfold(candidate, shrinker)));
    }

    /** Creates a value with the given candidates; generators use it to combine the candidates of their parts. */
    public static <T> Shrinkable<T> of(Supplier<T> value, Supplier<Stream<Shrinkable<T>>> shrinks) {
        return new Shrinkable<>(Objects.requireNonNull(value, "value"), Objects.requireNonNull(shrinks, "shrinks"));
    }

    /** Returns the value; a value derived with {@link #map} is computed anew on each call. */
    public T value() {
        return value.get();
    }

    /** Returns the shrink candidates, most aggressive first. */
    public Stream<Shrinkable<T>> shrinks() {
        return shrinks.get();
    }

    /** Applies {@code mapper} to this value and to every candidate, keeping the shrink order. */
    public <R> Shrinkable<R> map(Function<? super T, ? extends R> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return new Shrinkable<>(() -> mapper.apply(value()), () -> shrinks().map(candidate -> candidate.map(mapper)));
    }

    /** Drops every candidate, at any depth, that does not satisfy {@code predicate}. */
    public Shrinkable<T> filter(Predicate<? super T> predicate) {
        Objects.requireNonNull(predicate, "predicate");
        return new Shrinkable<>(value, () -> shrinks()
                .filter(candidate -> predicate.test(candidate.value()))
                .map(candidate -> candidate.filter(predicate)));
    }
}
