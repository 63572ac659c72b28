package org.ratesim.testing;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PropertyTest {

    private static final Property.Config CONFIG = new Property.Config(12345L, 1000, Property.DEFAULT_SHRINK_LIMIT);

    @Test
    void falsePropertyShrinksToBoundary() {
        PropertyResult<Integer> result = Property.check("x < 100", Gen.integers(0, 1_000_000), x -> x < 100, CONFIG);

        assertFalse(result.passed());
        PropertyResult.Failure<Integer> failure = result.failure().orElseThrow();
        assertTrue(failure.original() >= 100, "original " + failure.original());
        assertEquals(100, failure.shrunk());
        assertNull(failure.cause());
        assertFalse(failure.shrinkLimitReached());
    }

    @Test
    void arrayPropertyShrinksToSingleElement() {
        Gen<int[]> arrays = Gen.intArrays(Gen.integers(-1000, 1000), 0, 30);

        PropertyResult<int[]> result = Property.check("array has no element >= 7", arrays,
                array -> Arrays.stream(array).allMatch(element -> element < 7), CONFIG);

        assertArrayEquals(new int[] {7}, result.failure().orElseThrow().shrunk());
    }

    @Test
    void negativeRangeShrinksTowardsZero() {
        PropertyResult<Integer> result = Property.check("x > -50", Gen.integers(-1000, 1000), x -> x > -50, CONFIG);

        assertEquals(-50, result.failure().orElseThrow().shrunk());
    }

    @Test
    void reportNamesSeedTryAndValues() {
        PropertyResult<Integer> result = Property.check("x < 100", Gen.integers(0, 1_000_000), x -> x < 100, CONFIG);
        PropertyResult.Failure<Integer> failure = result.failure().orElseThrow();

        String report = result.report();

        assertTrue(report.startsWith("property \"x < 100\" failed at try " + failure.tryNumber() + " of 1000"), report);
        assertTrue(report.contains("base seed:      12345"), report);
        assertTrue(report.contains("try seed:       " + failure.trySeed()), report);
        assertTrue(report.contains("original value: " + failure.original()), report);
        assertTrue(report.contains("shrunk value:   100 ("), report);
        assertTrue(report.contains("-Dtest=PropertyTest#reportNamesSeedTryAndValues"), report);
        assertTrue(report.contains("-Dratesim.seed=" + failure.trySeed() + " -Dratesim.tries=1"), report);
        assertTrue(report.contains("-Dratesim.seed=12345 -Dratesim.tries=1000"), report);
    }

    @Test
    void forAllThrowsAssertionWithReport() {
        AssertionError error = assertThrows(AssertionError.class,
                () -> Property.forAll("x < 100", Gen.integers(0, 1_000_000), x -> x < 100, CONFIG));

        assertTrue(error.getMessage().startsWith("property \"x < 100\" failed at try "), error.getMessage());
        assertTrue(error.getMessage().contains("shrunk value:   100"), error.getMessage());
        assertTrue(error.getMessage().contains("-Dtest=PropertyTest#forAllThrowsAssertionWithReport "),
                error.getMessage());
    }

    @Test
    void failingTryRerunsAloneFromItsSeed() {
        Gen<int[]> arrays = Gen.intArrays(Gen.integers(-1000, 1000), 0, 30);
        PropertyResult.Failure<int[]> failure = Property.check("shorter than 29", arrays,
                array -> array.length < 29, CONFIG).failure().orElseThrow();
        assertTrue(failure.tryNumber() > 1, "the first try already failed, so this test checks nothing");

        PropertyResult.Failure<int[]> rerun = Property.check("shorter than 29", arrays,
                array -> array.length < 29, CONFIG.withSeed(failure.trySeed()).withTries(1)).failure().orElseThrow();

        assertEquals(1, rerun.tryNumber());
        assertEquals(failure.trySeed(), rerun.trySeed());
        assertArrayEquals(failure.original(), rerun.original());
        assertArrayEquals(failure.shrunk(), rerun.shrunk());
    }

    @Test
    void truePropertyRunsEveryTry() {
        AtomicInteger calls = new AtomicInteger();

        PropertyResult<Integer> result = Property.check("x >= 0", Gen.integers(0, 10),
                x -> calls.incrementAndGet() > 0 && x >= 0, CONFIG.withTries(357));

        assertTrue(result.passed(), result.report());
        assertEquals(357, result.triesRun());
        assertEquals(357, calls.get());
        assertTrue(result.failure().isEmpty());
    }

    @Test
    void failureStopsTriesAtFailingTry() {
        AtomicInteger calls = new AtomicInteger();

        PropertyResult<Integer> result = Property.check("fails on the fifth call", Gen.integers(0, 10),
                x -> calls.incrementAndGet() != 5, CONFIG.withShrinkLimit(0));

        assertEquals(5, result.triesRun());
        assertEquals(5, result.failure().orElseThrow().tryNumber());
        assertEquals(5, calls.get());
    }

    @Test
    void sameSeedGivesSameValues() {
        List<int[]> first = new ArrayList<>();
        List<int[]> second = new ArrayList<>();
        Gen<int[]> arrays = Gen.intArrays(Gen.integers(Integer.MIN_VALUE, Integer.MAX_VALUE), 0, 20);

        Property.check("record first", arrays, first::add, CONFIG.withTries(50));
        Property.check("record second", arrays, second::add, CONFIG.withTries(50));

        assertEquals(50, first.size());
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i), second.get(i), "try " + (i + 1));
        }
    }

    @Test
    void otherSeedGivesOtherValues() {
        List<Long> first = new ArrayList<>();
        List<Long> second = new ArrayList<>();

        Property.check("record first", Gen.longs(Long.MIN_VALUE, Long.MAX_VALUE), first::add, CONFIG.withTries(50));
        Property.check("record second", Gen.longs(Long.MIN_VALUE, Long.MAX_VALUE), second::add,
                CONFIG.withSeed(CONFIG.seed() + 1).withTries(50));

        assertFalse(first.equals(second));
    }

    @Test
    void exceptionCountsAsFailure() {
        PropertyResult<Integer> result = Property.check("100 / (x - 37) does not throw", Gen.integers(0, 1000),
                x -> 100 / (x - 37) > Integer.MIN_VALUE, CONFIG.withTries(100_000));

        PropertyResult.Failure<Integer> failure = result.failure().orElseThrow();
        assertEquals(37, failure.shrunk());
        assertTrue(failure.cause() instanceof ArithmeticException, String.valueOf(failure.cause()));
        assertTrue(result.report().contains("predicate threw java.lang.ArithmeticException: / by zero"),
                result.report());
        AssertionError error = assertThrows(AssertionError.class, result::assertPassed);
        assertSame(failure.cause(), error.getCause());
    }

    @Test
    void assertionInPredicateIsReported() {
        PropertyResult<Integer> result = Property.check("asserting x < 10", Gen.integers(0, 100), x -> {
            assertTrue(x < 10, "x is " + x);
            return true;
        }, CONFIG);

        assertEquals(10, result.failure().orElseThrow().shrunk());
        assertTrue(result.report().contains("x is 10"), result.report());
    }

    @Test
    void shrinkLimitStopsShrinking() {
        PropertyResult<Integer> result = Property.check("x < 100", Gen.integers(0, 1_000_000), x -> x < 100,
                CONFIG.withShrinkLimit(3));

        PropertyResult.Failure<Integer> failure = result.failure().orElseThrow();
        assertTrue(failure.shrinkLimitReached());
        assertEquals(3, failure.shrinkCalls());
        assertTrue(result.report().contains("stopped at the shrink limit"), result.report());
    }

    @Test
    void predicateMutationDoesNotChangeReport() {
        PropertyResult<int[]> result = Property.check("mutating predicate", Gen.intArrays(Gen.integers(1, 5), 3, 3),
                array -> {
                    Arrays.fill(array, -99);
                    return false;
                }, CONFIG.withShrinkLimit(0));

        int[] original = result.failure().orElseThrow().original();
        assertTrue(Arrays.stream(original).noneMatch(element -> element == -99), Arrays.toString(original));
    }

    @Test
    void recordsAreReportedWithArrayContents() {
        record Case(int[] values, String label) {
        }

        PropertyResult<Case> result = Property.check("never", Gen.constant(new Case(new int[] {1, 2}, "a")),
                value -> false, CONFIG);

        assertTrue(result.report().contains("original value: Case[values=[1, 2], label=a]"), result.report());
    }

    @Test
    void triesAndSeedParseFromProperties() {
        Property.Config config = Property.Config.parse("-42", "17");

        assertEquals(-42L, config.seed());
        assertEquals(17, config.tries());
        assertEquals(Property.DEFAULT_SEED, Property.Config.parse(null, null).seed());
        assertEquals(Property.DEFAULT_TRIES, Property.Config.parse(" ", "").tries());
    }

    @Test
    void invalidPropertiesAreRejected() {
        IllegalArgumentException seed = assertThrows(IllegalArgumentException.class,
                () -> Property.Config.parse("abc", null));
        IllegalArgumentException tries = assertThrows(IllegalArgumentException.class,
                () -> Property.Config.parse(null, "0"));

        assertEquals("invalid -Dratesim.seed=abc: expected a decimal long such as 20261204", seed.getMessage());
        assertEquals("invalid -Dratesim.tries=0: a property needs at least 1 try", tries.getMessage());
    }

    @Test
    void trySeedOfFirstTryIsBaseSeed() {
        assertEquals(77L, Property.trySeed(77L, 0));
        assertTrue(Property.trySeed(77L, 1) != Property.trySeed(77L, 2));
        assertTrue(Property.trySeed(77L, 1) != 77L);
    }

    @Test
    void lambdaNameMapsToEnclosingMethod() {
        assertEquals("someTest", RerunHint.enclosingMethod("lambda$someTest$3"));
        assertEquals("someTest", RerunHint.enclosingMethod("someTest"));
        assertEquals("lambda$", RerunHint.enclosingMethod("lambda$"));
    }

    @Test
    void generatorErrorNamesPropertyAndSeed() {
        Gen<Integer> broken = random -> {
            throw new IllegalStateException("broken generator");
        };

        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> Property.check("uses a broken generator", broken, x -> true, CONFIG));

        assertTrue(error.getMessage().startsWith("generator of property \"uses a broken generator\" failed at try 1"
                + " (base seed 12345, try seed 12345)"), error.getMessage());
    }
}
