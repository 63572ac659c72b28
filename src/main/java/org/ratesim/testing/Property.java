package org.ratesim.testing;

import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Runs a property: for all generated X, predicate(X).
 *
 * <p>Each try draws a value from its own seed, derived from the base seed and the try index, and tests it. The
 * first value for which the predicate returns false or throws is shrunk greedily: the first candidate that still
 * fails replaces it, until no candidate fails or the shrink limit is reached. The failure report names the
 * property, the base seed, the try, the try's seed, the original and the shrunk value, and the command that reruns
 * the failing try alone. The harness has no JUnit dependency, so properties can run in any test framework.
 *
 * <pre>{@code
 * // For all generated int arrays a, reversing a twice gives a.
 * Property.forAll("reversing twice is the identity",
 *         Gen.intArrays(Gen.integers(-1000, 1000), 0, 50),
 *         a -> Arrays.equals(reverse(reverse(a)), a));
 * }</pre>
 *
 * <p>The default configuration reads {@code -Dratesim.seed} (default {@value #DEFAULT_SEED}) and
 * {@code -Dratesim.tries} (default {@value #DEFAULT_TRIES}).
 */
public final class Property {

    /** Base seed when {@code -Dratesim.seed} is not set; the Maven build passes the same value. */
    public static final long DEFAULT_SEED = 20261204L;
    /** Number of tries when {@code -Dratesim.tries} is not set. */
    public static final int DEFAULT_TRIES = 1000;
    /** Number of predicate calls that shrinking may spend on one failure. */
    public static final int DEFAULT_SHRINK_LIMIT = 10_000;

    /** Name of the system property that sets the base seed. */
    public static final String SEED_PROPERTY = "ratesim.seed";
    /** Name of the system property that sets the number of tries. */
    public static final String TRIES_PROPERTY = "ratesim.tries";

    private Property() {
    }

    /**
     * Settings of one property run.
     *
     * @param seed        base seed; try 1 uses it as its own seed, later tries derive theirs from it
     * @param tries       number of values to test, at least 1
     * @param shrinkLimit maximum number of predicate calls while shrinking one failure, at least 0
     */
    public record Config(long seed, int tries, int shrinkLimit) {

        public Config {
            if (tries < 1) {
                throw new IllegalArgumentException("invalid tries " + tries + ": a property needs at least 1 try");
            }
            if (shrinkLimit < 0) {
                throw new IllegalArgumentException("invalid shrink limit " + shrinkLimit + ": must be at least 0");
            }
        }

        /** Returns the configuration from {@code -Dratesim.seed} and {@code -Dratesim.tries}, or the defaults. */
        public static Config fromSystemProperties() {
            return parse(System.getProperty(SEED_PROPERTY), System.getProperty(TRIES_PROPERTY));
        }

        /** Parses seed and tries texts as the system properties hold them; null or blank means the default. */
        static Config parse(String seedText, String triesText) {
            long seed = DEFAULT_SEED;
            if (seedText != null && !seedText.isBlank()) {
                try {
                    seed = Long.parseLong(seedText.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid -D" + SEED_PROPERTY + "=" + seedText
                            + ": expected a decimal long such as " + DEFAULT_SEED, e);
                }
            }
            int tries = DEFAULT_TRIES;
            if (triesText != null && !triesText.isBlank()) {
                try {
                    tries = Integer.parseInt(triesText.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid -D" + TRIES_PROPERTY + "=" + triesText
                            + ": expected a positive decimal int such as " + DEFAULT_TRIES, e);
                }
                if (tries < 1) {
                    throw new IllegalArgumentException("invalid -D" + TRIES_PROPERTY + "=" + triesText
                            + ": a property needs at least 1 try");
                }
            }
            return new Config(seed, tries, DEFAULT_SHRINK_LIMIT);
        }

        public Config withSeed(long newSeed) {
            return new Config(newSeed, tries, shrinkLimit);
        }

        public Config withTries(int newTries) {
            return new Config(seed, newTries, shrinkLimit);
        }

        public Config withShrinkLimit(int newShrinkLimit) {
            return new Config(seed, tries, newShrinkLimit);
        }
    }

    /**
     * Checks that {@code property} holds for all values of {@code gen} under the system-property configuration.
     *
     * @throws AssertionError with the failure report, and the predicate's exception as cause, when a value fails
     */
    public static <T> void forAll(String name, Gen<T> gen, Predicate<? super T> property) {
        check(name, gen, property, Config.fromSystemProperties(), RerunHint.ofCaller()).assertPassed();
    }

    /**
     * Checks the property under {@code config}; see {@link #forAll(String, Gen, Predicate)}. The rerun commands in
     * the report set {@code -Dratesim.seed} and {@code -Dratesim.tries}, which only reach a property whose config
     * comes from {@link Config#fromSystemProperties()}.
     */
    public static <T> void forAll(String name, Gen<T> gen, Predicate<? super T> property, Config config) {
        check(name, gen, property, config, RerunHint.ofCaller()).assertPassed();
    }

    /** Runs the property under the system-property configuration and returns the result without throwing. */
    public static <T> PropertyResult<T> check(String name, Gen<T> gen, Predicate<? super T> property) {
        return check(name, gen, property, Config.fromSystemProperties(), RerunHint.ofCaller());
    }

    /** Runs the property under {@code config} and returns the result without throwing. */
    public static <T> PropertyResult<T> check(String name, Gen<T> gen, Predicate<? super T> property,
                                              Config config) {
        return check(name, gen, property, config, RerunHint.ofCaller());
    }

    /**
     * Returns the seed of try {@code tryIndex} (0-based) of a run with base seed {@code seed}. Try 0 uses the base
     * seed itself, so a run with the try's seed as base seed and one try repeats that try exactly. Later tries mix
     * the index into the seed with the SplitMix64 finalizer, so neighbouring tries get unrelated seeds.
     */
    public static long trySeed(long seed, int tryIndex) {
        if (tryIndex == 0) {
            return seed;
        }
        long z = seed + tryIndex * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static <T> PropertyResult<T> check(String name, Gen<T> gen, Predicate<? super T> property, Config config,
                                               RerunHint rerunHint) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(gen, "gen");
        Objects.requireNonNull(property, "property");
        Objects.requireNonNull(config, "config");
        for (int tryIndex = 0; tryIndex < config.tries(); tryIndex++) {
            long trySeed = trySeed(config.seed(), tryIndex);
            Shrinkable<T> sample = draw(name, gen, config, tryIndex, trySeed);
            Optional<Throwable> failure = evaluate(property, sample.value());
            if (failure.isPresent()) {
                PropertyResult.Failure<T> details = shrink(property, sample, failure.get(), tryIndex + 1, trySeed,
                        config.shrinkLimit(), rerunHint.command(trySeed, 1));
                return new PropertyResult<>(name, config, tryIndex + 1, details, rerunHint);
            }
        }
        return new PropertyResult<>(name, config, config.tries(), null, rerunHint);
    }

    private static <T> Shrinkable<T> draw(String name, Gen<T> gen, Config config, int tryIndex, long trySeed) {
        try {
            return gen.generate(new SplittableRandom(trySeed));
        } catch (RuntimeException e) {
            throw new IllegalStateException("generator of property \"" + name + "\" failed at try " + (tryIndex + 1)
                    + " (base seed " + config.seed() + ", try seed " + trySeed + "): " + e, e);
        }
    }

    /**
     * Returns empty when {@code value} satisfies the property, otherwise the reason: the exception the predicate
     * threw, or a {@link PredicateFalse} marker when it returned false. Virtual-machine errors other than stack
     * overflow are not failures of the property and propagate.
     */
    private static <T> Optional<Throwable> evaluate(Predicate<? super T> property, T value) {
        try {
            return property.test(value) ? Optional.empty() : Optional.of(PredicateFalse.INSTANCE);
        } catch (VirtualMachineError e) {
            if (e instanceof StackOverflowError) {
                return Optional.of(e);
            }
            throw e;
        } catch (RuntimeException | Error e) {
            return Optional.of(e);
        }
    }

    private static <T> PropertyResult.Failure<T> shrink(Predicate<? super T> property, Shrinkable<T> original,
                                                        Throwable originalFailure, int tryNumber, long trySeed,
                                                        int shrinkLimit, String rerunCommand) {
        Shrinkable<T> current = original;
        Throwable currentFailure = originalFailure;
        int steps = 0;
        int calls = 0;
        boolean limitReached = false;
        boolean improved = true;
        while (improved && !limitReached) {
            improved = false;
            Iterator<Shrinkable<T>> candidates = current.shrinks().iterator();
            while (candidates.hasNext()) {
                if (calls >= shrinkLimit) {
                    limitReached = true;
                    break;
                }
                Shrinkable<T> candidate = candidates.next();
                calls++;
                Optional<Throwable> failure = evaluate(property, candidate.value());
                if (failure.isPresent()) {
                    current = candidate;
                    currentFailure = failure.get();
                    steps++;
                    improved = true;
                    break;
                }
            }
        }
        return new PropertyResult.Failure<>(tryNumber, trySeed, original.value(), causeOf(originalFailure),
                current.value(), causeOf(currentFailure), steps, calls, limitReached, rerunCommand);
    }

    private static Throwable causeOf(Throwable failure) {
        return failure == PredicateFalse.INSTANCE ? null : failure;
    }

    /** Marker for a predicate that returned false; the harness stores it as a failure reason but does not throw it. */
    private static final class PredicateFalse extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final PredicateFalse INSTANCE = new PredicateFalse();

        private PredicateFalse() {
            super("predicate returned false", null, false, false);
        }
    }
}
