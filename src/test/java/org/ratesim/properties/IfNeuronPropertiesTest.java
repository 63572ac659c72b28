package org.ratesim.properties;

import org.junit.jupiter.api.Test;
import org.ratesim.sim.ResetMode;
import org.ratesim.testing.Gen;
import org.ratesim.testing.Property;
import org.ratesim.testing.SnnGen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closed forms of integrate-and-fire and ASG neurons, checked against {@link ReferenceIfNeuron}, a test oracle.
 *
 * <p>Everything is in exact integer units. A layer with weights a/D, bias β/D, L = lp/lq quantization levels per
 * unit of activation and a window of T steps uses m = T/L. Measured in units of 1/(lp·D), the SNN weight m·a/D is
 * T·lq·a, the unscaled bias is β·lp, and the threshold m is T·lq·D. The quantized ANN's output count
 * clamp(floor(L·y), 0, T) is then clamp(floor(X / (lq·D)), 0, T) with X = lq·Σ a·n + β·lp, where n are the input
 * spike counts. These tests pin the math the engine will be checked against; they do not run the engine.
 */
class IfNeuronPropertiesTest {

    record ConstantCase(long current, int steps, long threshold) {
    }

    record CurrentsCase(long[] currents, long threshold) {
    }

    /**
     * One layer neuron with exact rational parameters. placements[i] is input i's spike train with counts[i]
     * spikes, and otherPlacements has the same counts at other steps.
     */
    record LayerCase(int steps, int levelsNumerator, int levelsDenominator, int denominator, int[] weights,
                     int bias, int[] counts, List<boolean[]> placements, List<boolean[]> otherPlacements) {

        /** Returns X = lq·Σ a·n + β·lp, so that L·y = X / (lq·D). */
        long scaledPreActivation() {
            long sum = 0;
            for (int i = 0; i < weights.length; i++) {
                sum += (long) weights[i] * counts[i];
            }
            return levelsDenominator * sum + (long) bias * levelsNumerator;
        }

        /** Returns the quantized ANN's output as a spike count: clamp(floor(L·y), 0, T). */
        long annCount() {
            return clamp(Math.floorDiv(scaledPreActivation(), (long) levelsDenominator * denominator), steps);
        }

        /** Returns the threshold m = T/L in units of 1/(lp·D). */
        long threshold() {
            return (long) steps * levelsDenominator * denominator;
        }

        /** Returns the SNN current of every step, W'·s_t + b in units of 1/(lp·D), for the given placement. */
        long[] currents(List<boolean[]> trains) {
            long[] currents = new long[steps];
            for (int step = 0; step < steps; step++) {
                long current = (long) bias * levelsNumerator;
                for (int i = 0; i < weights.length; i++) {
                    if (trains.get(i)[step]) {
                        current += (long) steps * levelsDenominator * weights[i];
                    }
                }
                currents[step] = current;
            }
            return currents;
        }
    }

    record EpsilonCase(LayerCase layer, long epsilon) {
    }

    record EncodingCase(int steps, int count, int levelsDenominator, int scale, long epsilon) {
    }

    record PoolCase(int kernel, int steps, int[] counts, List<boolean[]> placements) {
    }

    private static long clamp(long value, int steps) {
        return Math.max(0, Math.min(steps, value));
    }

    private static long sum(long[] values) {
        return Arrays.stream(values).sum();
    }

    /**
     * Returns currents that are uniform in [−3θ, 3θ] or sit next to a level boundary floor(k·θ/T) + {−1, 0, 1},
     * where the closed form is easiest to get wrong.
     */
    private static Gen<ConstantCase> constantCases(long minCurrentInThresholds) {
        Gen<long[]> thresholdAndSteps = Gen.zip(Gen.longs(1, 1_000_000), Gen.longs(1, 64),
                (threshold, steps) -> new long[] {threshold, steps});
        return thresholdAndSteps.flatMap(pair -> {
            long threshold = pair[0];
            int steps = (int) pair[1];
            Gen<Long> uniform = Gen.longs(minCurrentInThresholds * threshold, 3 * threshold);
            Gen<Long> boundary = Gen.zip(Gen.longs(minCurrentInThresholds * steps, 3L * steps), Gen.longs(-1, 1),
                    (level, offset) -> Math.floorDiv(level * threshold, steps) + offset);
            return Gen.oneOf(uniform, boundary).map(current -> new ConstantCase(current, steps, threshold));
        });
    }

    private static Gen<CurrentsCase> currentsCases(long maxThreshold) {
        return Gen.longs(1, maxThreshold).flatMap(threshold -> Gen.listOf(
                        Gen.longs(-2 * threshold, 2 * threshold), 1, 64)
                .map(list -> new CurrentsCase(list.stream().mapToLong(Long::longValue).toArray(), threshold)));
    }

    private static Gen<List<boolean[]>> placements(int steps, int[] counts) {
        List<Gen<boolean[]>> trains = new ArrayList<>();
        for (int count : counts) {
            trains.add(SnnGen.spikeTrains(steps, count));
        }
        return Gen.sequence(trains);
    }

    private static Gen<LayerCase> layerCases(int minSteps, int maxSteps) {
        Gen<int[]> shape = Gen.zip(Gen.integers(minSteps, maxSteps), Gen.integers(1, 12), Gen.integers(1, 4),
                (steps, levelsNumerator, levelsDenominator) -> new int[] {steps, levelsNumerator, levelsDenominator});
        return shape.flatMap(dims -> {
            int steps = dims[0];
            Gen<int[]> counts = Gen.intArrays(Gen.integers(0, steps), 1, 12);
            return counts.flatMap(inputCounts -> Gen.zip(
                    Gen.zip(Gen.integers(1, 32), Gen.intArrays(Gen.integers(-8, 8), inputCounts.length,
                            inputCounts.length), Gen.integers(-64, 64), List::of),
                    placements(steps, inputCounts),
                    placements(steps, inputCounts),
                    (parameters, placement, otherPlacement) -> new LayerCase(steps, dims[1], dims[2],
                            (Integer) parameters.get(0), (int[]) parameters.get(1), (Integer) parameters.get(2),
                            inputCounts, placement, otherPlacement)));
        });
    }

    @Test
    void constantCurrentCountIsClampedFloor() {
        Property.forAll("constant current c fires clamp(floor(T c / theta), 0, T) times", constantCases(-3), c -> {
            ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant(c.current(), c.steps(), c.threshold(),
                    ResetMode.SUBTRACT);

            long expected = clamp(Math.floorDiv(c.steps() * c.current(), c.threshold()), c.steps());
            assertEquals(expected, trace.count());
            return true;
        });
    }

    @Test
    void constantCurrentSpikesWhereFloorIncreases() {
        Gen<ConstantCase> belowThreshold = constantCases(0).filter(c -> c.current() < c.threshold());
        Property.forAll("for 0 <= c < theta, step t fires iff floor(t c / theta) increases at t", belowThreshold,
                c -> {
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant(c.current(), c.steps(),
                            c.threshold(), ResetMode.SUBTRACT);

                    for (int step = 1; step <= c.steps(); step++) {
                        boolean increases = Math.floorDiv(step * c.current(), c.threshold())
                                > Math.floorDiv((step - 1) * c.current(), c.threshold());
                        assertEquals(increases, trace.spikes()[step - 1], "step " + step);
                    }
                    return true;
                });
    }

    @Test
    void chargeIsConserved() {
        Property.forAll("total charge = theta x spikes + final potential", currentsCases(1_000_000), c -> {
            ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.run(c.currents(), c.threshold(), ResetMode.SUBTRACT);

            assertEquals(sum(c.currents()), c.threshold() * trace.count() + trace.finalPotential());
            return true;
        });
    }

    @Test
    void countIsIdealIffResidualInRange() {
        Property.forAll("IF count equals clamp(floor(S / theta), 0, T) iff 0 <= u_T < theta or saturated",
                currentsCases(100), c -> {
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.run(c.currents(), c.threshold(),
                            ResetMode.SUBTRACT);
                    int steps = c.currents().length;
                    long charge = sum(c.currents());
                    long ideal = clamp(Math.floorDiv(charge, c.threshold()), steps);

                    boolean residualInRange = trace.finalPotential() >= 0 && trace.finalPotential() < c.threshold();
                    boolean saturatedHigh = charge >= steps * c.threshold() && trace.count() == steps;
                    boolean saturatedLow = charge < 0 && trace.count() == 0;
                    assertEquals(residualInRange || saturatedHigh || saturatedLow, trace.count() == ideal,
                            "count " + trace.count() + ", ideal " + ideal + ", residual " + trace.finalPotential());
                    return true;
                });
    }

    @Test
    void countBoundedByMaxPrefixCharge() {
        Property.forAll("IF count <= max(0, max over t of floor(S_t / theta))", currentsCases(100), c -> {
            ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.run(c.currents(), c.threshold(), ResetMode.SUBTRACT);

            long prefix = 0;
            long bound = 0;
            for (long current : c.currents()) {
                prefix += current;
                bound = Math.max(bound, Math.floorDiv(prefix, c.threshold()));
            }
            assertTrue(trace.count() <= bound, "count " + trace.count() + " exceeds bound " + bound);
            return true;
        });
    }

    @Test
    void zeroResetFiresEveryCeilSteps() {
        Property.forAll("reset to zero fires floor(T / ceil(theta / c)) times for 0 < c < theta",
                constantCases(-3), c -> {
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant(c.current(), c.steps(),
                            c.threshold(), ResetMode.ZERO);

                    long expected;
                    if (c.current() >= c.threshold()) {
                        expected = c.steps();
                    } else if (c.current() <= 0) {
                        expected = 0;
                    } else {
                        long period = Math.floorDiv(c.threshold() + c.current() - 1, c.current());
                        expected = c.steps() / period;
                    }
                    assertEquals(expected, trace.count());
                    return true;
                });
    }

    @Test
    void asgLayerEqualsQuantizedAnn() {
        Property.forAll("ASG count = clamp(floor(L y), 0, T) for any spike placement and rational L",
                layerCases(1, 32), c -> {
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runAsg(c.currents(c.placements()),
                            c.threshold());
                    ReferenceIfNeuron.Trace other = ReferenceIfNeuron.runAsg(c.currents(c.otherPlacements()),
                            c.threshold());

                    assertEquals(c.annCount(), trace.count(), "ASG count");
                    assertArrayEquals(trace.spikes(), other.spikes(), "ASG output after moving input spikes");
                    return true;
                });
    }

    @Test
    void singleStepIfEqualsAsgAndAnn() {
        Property.forAll("with T = 1, IF count = ASG count = clamp(floor(L y), 0, 1)", layerCases(1, 1), c -> {
            long[] currents = c.currents(c.placements());
            ReferenceIfNeuron.Trace plainIf = ReferenceIfNeuron.run(currents, c.threshold(), ResetMode.SUBTRACT);
            ReferenceIfNeuron.Trace asg = ReferenceIfNeuron.runAsg(currents, c.threshold());

            assertEquals(c.annCount(), plainIf.count(), "IF count");
            assertEquals(c.annCount(), asg.count(), "ASG count");
            return true;
        });
    }

    @Test
    void epsilonThresholdAddsSpikeOnlyInBand() {
        // epsilon·L/T < 1/(T + 1) in units of 1/(lp·D) reads e·(T + 1) < T·lq·D, so e <= (T·lq·D − 1) / (T + 1).
        Gen<EpsilonCase> cases = layerCases(1, 32).flatMap(layer -> Gen.longs(0,
                        (layer.threshold() - 1) / (layer.steps() + 1))
                .map(epsilon -> new EpsilonCase(layer, epsilon)));
        Property.forAll("threshold T/L - epsilon adds one spike iff L y lies in [k (1 - epsilon L / T), k)", cases,
                c -> {
                    LayerCase layer = c.layer();
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runAsg(layer.currents(layer.placements()),
                            layer.threshold() - c.epsilon());
                    long extra = trace.count() - layer.annCount();

                    // L·y = X/(lq·D) lies in [k·(1 − e/(T·lq·D)), k) iff X·T >= k·(T·lq·D − e) and X < k·lq·D.
                    long x = layer.scaledPreActivation();
                    long levelUnit = (long) layer.levelsDenominator() * layer.denominator();
                    boolean inBand = false;
                    for (long k = 1; k <= layer.steps(); k++) {
                        inBand |= x * layer.steps() >= k * (layer.threshold() - c.epsilon()) && x < k * levelUnit;
                    }
                    assertTrue(extra == 0 || extra == 1, "extra spikes " + extra);
                    assertEquals(inBand, extra == 1, "in band " + inBand + ", extra spikes " + extra);
                    return true;
                });
    }

    /** Returns encoding cases with epsilon below 1/L, or with epsilon from 1/L up to the threshold and T >= 2. */
    private static Gen<EncodingCase> encodingCases(boolean belowOneOverL) {
        Gen<int[]> sizes = Gen.zip(Gen.integers(belowOneOverL ? 1 : 2, 64), Gen.integers(1, 8), Gen.integers(1, 1000),
                (steps, levelsDenominator, scale) -> new int[] {steps, levelsDenominator, scale});
        return sizes.flatMap(size -> {
            // In units of 1/(lp·E), 1/L is lq·E and the threshold m = T/L is T·lq·E.
            long oneOverL = (long) size[1] * size[2];
            long threshold = size[0] * oneOverL;
            Gen<Long> epsilons = belowOneOverL ? Gen.longs(0, oneOverL - 1) : Gen.longs(oneOverL, threshold - 1);
            return Gen.zip(Gen.integers(0, size[0]), epsilons,
                    (count, epsilon) -> new EncodingCase(size[0], count, size[1], size[2], epsilon));
        });
    }

    @Test
    void vrEncodingExactBelowOneOverL() {
        // In units of 1/(lp·E): the input value k/L is k·lq·E, the threshold m − epsilon is T·lq·E − e, and
        // epsilon < 1/L reads e < lq·E. This covers the sufficient bound epsilon < T/(L·(T + 1)) as well.
        Property.forAll("constant input k/L with threshold T/L - epsilon, epsilon < 1/L, fires exactly k times",
                encodingCases(true), c -> {
                    long unit = (long) c.levelsDenominator() * c.scale();
                    ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant(c.count() * unit, c.steps(),
                            c.steps() * unit - c.epsilon(), ResetMode.SUBTRACT);

                    assertEquals(c.count(), trace.count());
                    return true;
                });
    }

    @Test
    void vrEncodingOverfiresFromOneOverL() {
        Property.forAll("with epsilon >= 1/L and T >= 2, input (T - 1)/L fires T times", encodingCases(false), c -> {
            long unit = (long) c.levelsDenominator() * c.scale();
            ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runConstant((c.steps() - 1) * unit, c.steps(),
                    c.steps() * unit - c.epsilon(), ResetMode.SUBTRACT);

            assertEquals(c.steps(), trace.count());
            return true;
        });
    }

    @Test
    void asgAveragePoolIsFloorOfMean() {
        Gen<PoolCase> cases = Gen.zip(Gen.integers(1, 4), Gen.integers(1, 32), (kernel, steps) -> new int[] {kernel,
                steps}).flatMap(dims -> Gen.intArrays(Gen.integers(0, dims[1]), dims[0] * dims[0],
                        dims[0] * dims[0])
                .flatMap(counts -> placements(dims[1], counts)
                        .map(trains -> new PoolCase(dims[0], dims[1], counts, trains))));
        // Every pool weight is m/k², so in units of m/k² an input spike adds 1 and the threshold m is k².
        Property.forAll("ASG average pool fires floor(sum of input counts / k^2) times", cases, c -> {
            long[] currents = new long[c.steps()];
            for (boolean[] train : c.placements()) {
                for (int step = 0; step < c.steps(); step++) {
                    currents[step] += train[step] ? 1 : 0;
                }
            }
            ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.runAsg(currents, (long) c.kernel() * c.kernel());

            long expected = Arrays.stream(c.counts()).sum() / (c.kernel() * c.kernel());
            assertEquals(expected, trace.count());
            return true;
        });
    }
}
