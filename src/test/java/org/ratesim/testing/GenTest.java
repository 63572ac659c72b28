package org.ratesim.testing;

import org.junit.jupiter.api.Test;
import org.ratesim.tensor.Tensor;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenTest {

    private static final int DRAWS = 2000;

    private static <T> List<T> draw(Gen<T> gen, int count) {
        SplittableRandom random = new SplittableRandom(99);
        return IntStream.range(0, count).mapToObj(i -> gen.sample(random)).collect(Collectors.toList());
    }

    private static <T> List<T> candidates(Gen<T> gen, T value) {
        SplittableRandom random = new SplittableRandom(5);
        for (int attempt = 0; attempt < 100_000; attempt++) {
            Shrinkable<T> sample = gen.generate(random);
            if (sample.value().equals(value)) {
                return sample.shrinks().map(Shrinkable::value).collect(Collectors.toList());
            }
        }
        throw new AssertionError("the generator never produced " + value);
    }

    @Test
    void integersStayInRangeAndHitEdges() {
        List<Integer> values = draw(Gen.integers(-5, 1000), DRAWS);

        assertTrue(values.stream().allMatch(v -> v >= -5), values.toString());
        assertTrue(values.stream().allMatch(v -> v <= 1000), values.toString());
        Set<Integer> seen = new HashSet<>(values);
        for (int edge : new int[] {-5, -4, -1, 0, 1, 999, 1000}) {
            assertTrue(seen.contains(edge), "edge " + edge + " never drawn");
        }
    }

    @Test
    void fullIntRangeHitsLimits() {
        Set<Integer> seen = new HashSet<>(draw(Gen.integers(Integer.MIN_VALUE, Integer.MAX_VALUE), DRAWS));

        assertTrue(seen.contains(Integer.MIN_VALUE));
        assertTrue(seen.contains(Integer.MAX_VALUE));
        assertTrue(seen.size() > DRAWS / 2, "too few distinct values: " + seen.size());
    }

    @Test
    void longsCoverFullRange() {
        List<Long> values = draw(Gen.longs(Long.MIN_VALUE, Long.MAX_VALUE), DRAWS);

        assertTrue(values.contains(Long.MIN_VALUE));
        assertTrue(values.contains(Long.MAX_VALUE));
        assertTrue(values.stream().anyMatch(v -> v < -(1L << 60)));
        assertTrue(values.stream().anyMatch(v -> v > (1L << 60)));
    }

    @Test
    void singleValueRangeGivesThatValue() {
        assertEquals(Set.of(42), new HashSet<>(draw(Gen.integers(42, 42), 100)));
    }

    @Test
    void invalidRangeIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Gen.integers(3, 2));

        assertEquals("invalid range [3, 2]: min must not exceed max", error.getMessage());
    }

    @Test
    void integerShrinksTowardsZero() {
        List<Integer> shrinks = candidates(Gen.integers(-100, 100), 40);

        assertEquals(List.of(0, 20, 30, 35, 38, 39), shrinks);
    }

    @Test
    void integerShrinksTowardsLowBound() {
        assertEquals(List.of(10, 15, 18), candidates(Gen.integers(10, 30), 20).subList(0, 3));
        assertEquals(List.of(-10), candidates(Gen.integers(-30, -10), -11));
    }

    @Test
    void minimalIntegerHasNoShrinks() {
        assertEquals(List.of(), candidates(Gen.integers(-100, 100), 0));
        assertEquals(List.of(), candidates(Gen.integers(10, 30), 10));
    }

    @Test
    void shortsStayInRange() {
        List<Short> values = draw(Gen.shorts(Short.MIN_VALUE, Short.MAX_VALUE), DRAWS);

        assertTrue(values.contains(Short.MIN_VALUE));
        assertTrue(values.contains(Short.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> Gen.shorts(0, 40_000));
    }

    @Test
    void doublesStayInRangeAndShrinkTowardsZero() {
        List<Double> values = draw(Gen.doubles(-2.5, 7.25), DRAWS);

        assertTrue(values.stream().allMatch(v -> v >= -2.5));
        assertTrue(values.stream().allMatch(v -> v <= 7.25));
        assertTrue(values.containsAll(List.of(-2.5, 7.25, 0.0, 1.0, -1.0)));
        List<Double> shrinks = candidates(Gen.doubles(-2.5, 7.25), 7.25);
        assertEquals(0.0, shrinks.get(0));
        assertEquals(7.0, shrinks.get(1));
        assertEquals(3.625, shrinks.get(2));
    }

    @Test
    void doublesAcceptHugeRange() {
        List<Double> values = draw(Gen.doubles(-Double.MAX_VALUE, Double.MAX_VALUE), DRAWS);

        assertTrue(values.stream().allMatch(Double::isFinite));
        assertThrows(IllegalArgumentException.class, () -> Gen.doubles(0, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Gen.doubles(Double.NaN, 1));
    }

    @Test
    void booleansShrinkToFalse() {
        assertEquals(Set.of(true, false), new HashSet<>(draw(Gen.booleans(), 100)));
        assertEquals(List.of(false), candidates(Gen.booleans(), true));
        assertEquals(List.of(), candidates(Gen.booleans(), false));
    }

    @Test
    void elementOfShrinksTowardsFirst() {
        Gen<String> gen = Gen.elementOf("a", "b", "c", "d");

        assertEquals(Set.of("a", "b", "c", "d"), new HashSet<>(draw(gen, 200)));
        assertEquals(List.of("a", "c"), candidates(gen, "d"));
        assertThrows(IllegalArgumentException.class, () -> Gen.elementOf(List.of()));
    }

    @Test
    void listSizesStayInRange() {
        List<List<Integer>> lists = draw(Gen.listOf(Gen.integers(0, 9), 2, 6), DRAWS);

        Set<Integer> sizes = lists.stream().map(List::size).collect(Collectors.toSet());

        assertEquals(Set.of(2, 3, 4, 5, 6), sizes);
    }

    @Test
    void listShrinksRemoveThenShrinkElements() {
        Gen<List<Integer>> gen = Gen.listOf(Gen.integers(0, 9), 1, 3);

        List<List<Integer>> shrinks = candidates(gen, List.of(5, 6, 7));

        assertEquals(List.of(7), shrinks.get(0));
        assertEquals(List.of(6, 7), shrinks.get(1));
        assertEquals(List.of(5, 7), shrinks.get(2));
        assertEquals(List.of(5, 6), shrinks.get(3));
        assertTrue(shrinks.contains(List.of(0, 6, 7)));
        assertTrue(shrinks.stream().allMatch(list -> !list.isEmpty()), "a shrink went below the minimum size");
    }

    @Test
    void primitiveArraysMatchLengths() {
        assertTrue(draw(Gen.intArrays(Gen.integers(0, 1), 4, 4), 100).stream().allMatch(a -> a.length == 4));
        assertTrue(draw(Gen.shortArrays(Gen.shorts(-3, 3), 0, 2), 100).stream().allMatch(a -> a.length <= 2));
        assertTrue(draw(Gen.doubleArrays(Gen.doubles(0, 1), 1, 3), 100).stream()
                .allMatch(a -> a.length >= 1 && a.length <= 3));
    }

    @Test
    void mapKeepsShrinking() {
        Gen<Integer> doubled = Gen.integers(0, 100).map(x -> 2 * x);

        assertEquals(List.of(0, 40, 60, 70, 76, 78), candidates(doubled, 80));
    }

    @Test
    void filterDropsRejectedValuesAndCandidates() {
        Gen<Integer> odd = Gen.integers(0, 100).filter(x -> x % 2 == 1);

        assertTrue(draw(odd, DRAWS).stream().allMatch(x -> x % 2 == 1));
        assertTrue(candidates(odd, 41).stream().allMatch(x -> x % 2 == 1));
    }

    @Test
    void impossibleFilterFailsClearly() {
        Gen<Integer> none = Gen.integers(0, 10).filter(x -> x > 10);

        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> none.sample(new SplittableRandom(1)));
        assertTrue(error.getMessage().startsWith("filter rejected 1000 generated values in a row"), error.getMessage());
    }

    @Test
    void flatMapShrinksOuterThenInner() {
        Gen<int[]> gen = Gen.integers(1, 5).flatMap(length -> Gen.intArrays(Gen.integers(0, 9), length, length));

        SplittableRandom random = new SplittableRandom(3);
        Shrinkable<int[]> sample = gen.generate(random);
        while (sample.value().length < 3) {
            sample = gen.generate(random);
        }
        int length = sample.value().length;
        List<int[]> shrinks = sample.shrinks().map(Shrinkable::value).collect(Collectors.toList());

        assertEquals(1, shrinks.get(0).length, "the first candidate shrinks the length to its minimum");
        assertTrue(shrinks.stream().anyMatch(a -> a.length == length), "no candidate shrinks the elements alone");
    }

    @Test
    void oneOfDrawsFromEveryGenerator() {
        Gen<Integer> gen = Gen.oneOf(Gen.integers(0, 9), Gen.integers(100, 109));

        List<Integer> values = draw(gen, DRAWS);

        assertTrue(values.stream().anyMatch(v -> v < 10));
        assertTrue(values.stream().anyMatch(v -> v >= 100));
        assertTrue(values.stream().allMatch(v -> v < 10 || v >= 100), values.toString());
        assertTrue(candidates(gen, 105).get(0) < 10, "the first candidate switches to the first generator");
    }

    @Test
    void sequenceKeepsOrderAndLength() {
        Gen<List<Integer>> gen = Gen.sequence(List.of(Gen.integers(0, 9), Gen.integers(100, 109)));

        List<List<Integer>> lists = draw(gen, DRAWS);
        List<List<Integer>> shrinks = candidates(gen, List.of(5, 104));

        assertTrue(lists.stream().allMatch(list -> list.size() == 2));
        assertTrue(lists.stream().allMatch(list -> list.get(0) < 10), lists.toString());
        assertTrue(lists.stream().allMatch(list -> list.get(1) >= 100), lists.toString());
        assertEquals(List.of(List.of(0, 104), List.of(3, 104), List.of(4, 104), List.of(5, 100), List.of(5, 102),
                List.of(5, 103)), shrinks);
    }

    @Test
    void zipShrinksFirstThenSecond() {
        Gen<List<Integer>> gen = Gen.zip(Gen.integers(0, 10), Gen.integers(0, 10), List::of);

        List<List<Integer>> shrinks = candidates(gen, List.of(2, 3));

        assertEquals(List.of(List.of(0, 3), List.of(1, 3), List.of(2, 0), List.of(2, 2)), shrinks);
    }

    @Test
    void zipOfThreeCombinesInOrder() {
        Gen<List<Integer>> gen = Gen.zip(Gen.constant(1), Gen.constant(2), Gen.constant(3), List::of);

        assertEquals(List.of(1, 2, 3), gen.sample(new SplittableRandom(0)));
    }

    @Test
    void withShrinkerReplacesCandidates() {
        Gen<Integer> gen = Gen.integers(0, 100).withShrinker(x -> x > 50 ? Stream.of(50)
                : Stream.empty());

        assertEquals(List.of(50), candidates(gen, 80));
        assertEquals(List.of(), candidates(gen, 30));
    }

    @Test
    void shapesAreSmallAndPositive() {
        List<int[]> shapes = draw(SnnGen.shapes(3, 5, 7), DRAWS);

        Set<Integer> channels = shapes.stream().map(s -> s[0]).collect(Collectors.toSet());
        Set<Integer> heights = shapes.stream().map(s -> s[1]).collect(Collectors.toSet());
        Set<Integer> widths = shapes.stream().map(s -> s[2]).collect(Collectors.toSet());

        assertTrue(shapes.stream().allMatch(s -> s.length == 3));
        assertEquals(Set.of(1, 2, 3), channels);
        assertEquals(Set.of(1, 2, 3, 4, 5), heights);
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7), widths);
        assertThrows(IllegalArgumentException.class, () -> SnnGen.shapes(0, 1, 1));
    }

    @Test
    void intTensorsMatchTheirShape() {
        List<Tensor> tensors = draw(SnnGen.intTensors(SnnGen.shapes(3, 4, 4), Gen.integers(-2, 2)), DRAWS);

        for (Tensor tensor : tensors) {
            assertEquals(Tensor.DType.I32, tensor.dtype());
            assertEquals(Tensor.size(tensor.shape()), tensor.ints().length);
            assertTrue(Arrays.stream(tensor.ints()).allMatch(v -> v >= -2), Arrays.toString(tensor.ints()));
            assertTrue(Arrays.stream(tensor.ints()).allMatch(v -> v <= 2), Arrays.toString(tensor.ints()));
        }
    }

    @Test
    void spikeTrainsHaveExactCount() {
        for (int count = 0; count <= 6; count++) {
            int expected = count;
            List<boolean[]> trains = draw(SnnGen.spikeTrains(6, count), 200);
            List<int[]> intTrains = draw(SnnGen.spikeTrainsAsInts(6, count), 200);

            for (boolean[] train : trains) {
                int spikes = 0;
                for (boolean spike : train) {
                    spikes += spike ? 1 : 0;
                }
                assertEquals(6, train.length);
                assertEquals(expected, spikes);
            }
            for (int[] train : intTrains) {
                assertEquals(6, train.length);
                assertEquals(expected, Arrays.stream(train).filter(v -> v == 1).count());
                assertEquals(6 - expected, Arrays.stream(train).filter(v -> v == 0).count());
            }
        }
    }

    @Test
    void spikeStepsCoverEveryPlacement() {
        Set<String> placements = draw(SnnGen.spikeSteps(5, 2), DRAWS).stream().map(Arrays::toString)
                .collect(Collectors.toSet());

        assertEquals(10, placements.size(), "2 of 5 steps can be chosen in 10 ways: " + placements);
    }

    @Test
    void spikeStepsShrinkTowardsStart() {
        List<int[]> shrinks = SnnGen.spikeSteps(10, 2).generate(new SplittableRandom(1)).shrinks()
                .map(Shrinkable::value).collect(Collectors.toList());
        Shrinkable<int[]> packed = Shrinkable.unfold(new int[] {0, 1}, Shrinks::spikeSteps);

        assertTrue(shrinks.stream().allMatch(s -> s.length == 2));
        assertTrue(shrinks.stream().allMatch(s -> s[0] < s[1]));
        assertEquals(0, packed.shrinks().count());
        assertArrayEquals(new int[] {0, 4}, Shrinks.spikeSteps(new int[] {3, 4}).findFirst().orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> SnnGen.spikeSteps(3, 4));
    }
}
