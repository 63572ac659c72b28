package org.ratesim.testing;

import org.junit.jupiter.api.Test;
import org.ratesim.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the generators themselves: generated values and their shrink candidates satisfy the generator's
 * contract, so shrinking does not hand a property an input it was not written for. Each try checks the value, all
 * its candidates, and the candidates of the first candidate, several levels deep.
 */
class ShrinkInvariantsTest {

    /** Number of levels of first candidates followed below the generated value. */
    private static final int DEPTH = 6;

    private static final Gen<Long> SEEDS = Gen.longs(Long.MIN_VALUE, Long.MAX_VALUE);

    /**
     * Checks that the value drawn from {@code seed}, all its candidates, and the candidates along the path of first
     * candidates down to {@link #DEPTH} levels satisfy {@code contract}. Throws an AssertionError naming the first
     * value that does not, and returns true otherwise so it can serve as a property's predicate.
     */
    private static <T> boolean checkTree(Gen<T> gen, long seed, Predicate<T> contract) {
        Shrinkable<T> current = gen.generate(new SplittableRandom(seed));
        assertContract(contract, current.value(), "generated value");
        for (int depth = 1; depth <= DEPTH; depth++) {
            List<Shrinkable<T>> candidates = current.shrinks().collect(Collectors.toList());
            for (Shrinkable<T> candidate : candidates) {
                assertContract(contract, candidate.value(), "candidate at depth " + depth);
            }
            if (candidates.isEmpty()) {
                break;
            }
            current = candidates.get(0);
        }
        return true;
    }

    private static <T> void assertContract(Predicate<T> contract, T value, String what) {
        assertTrue(contract.test(value), () -> what + " breaks the contract: " + ValueFormat.describe(value));
    }

    @Test
    void integerCandidatesStayInRange() {
        Property.forAll("integer candidates stay in [-70, 1000]", SEEDS,
                seed -> checkTree(Gen.integers(-70, 1000), seed, x -> x >= -70 && x <= 1000));
        Property.forAll("integer candidates stay in [5, 9]", SEEDS,
                seed -> checkTree(Gen.integers(5, 9), seed, x -> x >= 5 && x <= 9));
    }

    @Test
    void doubleCandidatesStayInRange() {
        Property.forAll("double candidates stay in [0.25, 3.5]", SEEDS,
                seed -> checkTree(Gen.doubles(0.25, 3.5), seed, x -> x >= 0.25 && x <= 3.5));
    }

    @Test
    void arrayCandidatesKeepLengthBounds() {
        Property.forAll("int array candidates keep 3 to 12 elements in [-4, 4]", SEEDS,
                seed -> checkTree(Gen.intArrays(Gen.integers(-4, 4), 3, 12), seed,
                        array -> array.length >= 3 && array.length <= 12
                                && Arrays.stream(array).allMatch(x -> x >= -4 && x <= 4)));
    }

    private record Train(int window, int count, int[] steps) {
    }

    @Test
    void spikeTrainCandidatesKeepCount() {
        Gen<Train> trains = Gen.integers(1, 20).flatMap(window -> Gen.integers(0, window)
                .flatMap(count -> SnnGen.spikeSteps(window, count).map(steps -> new Train(window, count, steps))));
        Property.forAll("spike step candidates keep count, order and window", SEEDS,
                seed -> checkTree(trains, seed, train -> {
                    int[] steps = train.steps();
                    boolean increasing = true;
                    for (int i = 1; i < steps.length; i++) {
                        increasing &= steps[i - 1] < steps[i];
                    }
                    boolean inWindow = Arrays.stream(steps).allMatch(step -> step >= 0 && step < train.window());
                    return steps.length == train.count() && increasing && inWindow;
                }));
    }

    @Test
    void tensorCandidatesMatchShape() {
        Gen<Tensor> tensors = SnnGen.intTensors(SnnGen.shapes(3, 4, 5), Gen.integers(-9, 9));
        Property.forAll("tensor candidates have as many elements as their shape", SEEDS,
                seed -> checkTree(tensors, seed, tensor -> tensor.ints().length == Tensor.size(tensor.shape())));
    }

    @Test
    void filterCandidatesSatisfyFilter() {
        Gen<Integer> multiplesOfThree = Gen.integers(-500, 500).filter(x -> x % 3 == 0);
        Property.forAll("filtered candidates are multiples of 3", SEEDS,
                seed -> checkTree(multiplesOfThree, seed, x -> x % 3 == 0));
    }
}
