package org.ratesim.properties;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.SpikeKernels;
import org.ratesim.testing.Gen;
import org.ratesim.testing.Property;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Properties of the spike kernels against straightforward models written here. The models compute in long and wrap
 * to int by the modular definition, independently of Java's int overflow, because the kernel contract is that every
 * sum wraps like Java int. The scalar kernels are always checked, and the SIMD kernels too when the JVM can load
 * them.
 */
@Tag("kernels")
class SpikeKernelPropertiesTest {

    private static final Gen<Integer> ANY_INT = Gen.integers(Integer.MIN_VALUE, Integer.MAX_VALUE);
    private static final Gen<Short> ANY_SHORT = Gen.shorts(Short.MIN_VALUE, Short.MAX_VALUE);

    /** Maximum run length of a case; it exceeds several SIMD widths, so vector loops and scalar tails both run. */
    private static final int MAX_LENGTH = 70;
    private static final int MAX_OFFSET = 9;
    /** Extra entries after the touched region, which every kernel must leave unchanged. */
    private static final int MAX_TAIL = 5;
    /** Value of the event entries that fire must not write. */
    private static final int UNWRITTEN_EVENT = -1;

    record AccumulateCase(int[] membrane, int membraneOffset, short[] weights, int weightOffset, int length,
                          int multiplier) {
    }

    record BiasCase(int[] membrane, int[] bias, int multiplier, int positions, int channels) {
    }

    record FireCase(int[] membrane, int[] threshold, int positions, int channels, boolean resetToZero,
                    int eventOffset, int eventTail) {
    }

    record NeuronCase(int positions, int channels, List<short[]> currents, int[] bias, int[] threshold,
                      boolean resetToZero) {
    }

    private record Window(int length, int membraneOffset, int weightOffset) {
    }

    private record Layout(int positions, int channels) {
        int neurons() {
            return positions * channels;
        }
    }

    private static List<SpikeKernels> kernelsUnderTest() {
        List<SpikeKernels> kernels = new ArrayList<>();
        kernels.add(Kernels.scalar());
        SpikeKernels simd = Kernels.simdOrNull();
        if (simd != null) {
            kernels.add(simd);
        }
        return kernels;
    }

    /** Reduces an exact value modulo 2^32 into [−2^31, 2^31), which is what int arithmetic must give. */
    private static int wrap(long exact) {
        return (int) (Math.floorMod(exact - Integer.MIN_VALUE, 1L << 32) + Integer.MIN_VALUE);
    }

    private static Gen<AccumulateCase> accumulateCases() {
        Gen<Window> windows = Gen.zip(Gen.integers(0, MAX_LENGTH), Gen.integers(0, MAX_OFFSET),
                Gen.integers(0, MAX_OFFSET), Window::new);
        return windows.flatMap(window -> {
            int membraneLength = window.membraneOffset() + window.length();
            int weightLength = window.weightOffset() + window.length();
            return Gen.zip(Gen.intArrays(ANY_INT, membraneLength, membraneLength + MAX_TAIL),
                    Gen.shortArrays(ANY_SHORT, weightLength, weightLength + MAX_TAIL), ANY_INT,
                    (membrane, weights, multiplier) -> new AccumulateCase(membrane, window.membraneOffset(),
                            weights, window.weightOffset(), window.length(), multiplier));
        });
    }

    private static Gen<Layout> layouts(int maxPositions, int maxChannels) {
        return Gen.zip(Gen.integers(0, maxPositions), Gen.integers(1, maxChannels), Layout::new);
    }

    private static int[] expectedAccumulate(AccumulateCase c, long multiplier) {
        int[] expected = c.membrane().clone();
        for (int i = 0; i < c.length(); i++) {
            long exact = (long) c.membrane()[c.membraneOffset() + i] + multiplier * c.weights()[c.weightOffset() + i];
            expected[c.membraneOffset() + i] = wrap(exact);
        }
        return expected;
    }

    @Test
    void accumulateAddsWeightsWithWrapAround() {
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("accumulate adds weights with int wrap-around [" + kernels.name() + "]",
                    accumulateCases(), c -> {
                        int[] membrane = c.membrane().clone();

                        kernels.accumulate(membrane, c.membraneOffset(), c.weights(), c.weightOffset(), c.length());

                        assertArrayEquals(expectedAccumulate(c, 1), membrane);
                        return true;
                    });
        }
    }

    @Test
    void accumulateScaledAddsMultipliedWeights() {
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("accumulateScaled adds multiplier x weights with wrap-around [" + kernels.name() + "]",
                    accumulateCases(), c -> {
                        int[] membrane = c.membrane().clone();

                        kernels.accumulateScaled(membrane, c.membraneOffset(), c.weights(), c.weightOffset(),
                                c.length(), c.multiplier());

                        assertArrayEquals(expectedAccumulate(c, c.multiplier()), membrane);
                        return true;
                    });
        }
    }

    @Test
    void addBiasAddsScaledChannelBias() {
        Gen<BiasCase> cases = layouts(8, 20).flatMap(layout -> Gen.zip(
                Gen.intArrays(ANY_INT, layout.neurons(), layout.neurons() + MAX_TAIL),
                Gen.intArrays(ANY_INT, layout.channels(), layout.channels() + MAX_TAIL), ANY_INT,
                (membrane, bias, multiplier) -> new BiasCase(membrane, bias, multiplier, layout.positions(),
                        layout.channels())));
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("addBias adds multiplier x bias[c] with wrap-around [" + kernels.name() + "]", cases,
                    c -> {
                        int[] expected = c.membrane().clone();
                        for (int neuron = 0; neuron < c.positions() * c.channels(); neuron++) {
                            long bias = c.bias()[neuron % c.channels()];
                            expected[neuron] = wrap(c.membrane()[neuron] + (long) c.multiplier() * bias);
                        }
                        int[] membrane = c.membrane().clone();

                        kernels.addBias(membrane, c.bias(), c.multiplier(), c.positions(), c.channels());

                        assertArrayEquals(expected, membrane);
                        return true;
                    });
        }
    }

    @Test
    void fireEmitsEveryNeuronAtThreshold() {
        Gen<FireCase> cases = layouts(6, 20).flatMap(layout -> Gen.zip(
                Gen.intArrays(ANY_INT, layout.neurons(), layout.neurons() + MAX_TAIL),
                Gen.intArrays(ANY_INT, layout.channels(), layout.channels() + MAX_TAIL),
                Gen.zip(Gen.booleans(), Gen.integers(0, MAX_OFFSET), Gen.integers(0, MAX_TAIL), List::of),
                (membrane, threshold, options) -> new FireCase(membrane, threshold, layout.positions(),
                        layout.channels(), (Boolean) options.get(0), (Integer) options.get(1),
                        (Integer) options.get(2))));
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("fire emits neurons at or above threshold and resets them [" + kernels.name() + "]",
                    cases, c -> {
                        int neurons = c.positions() * c.channels();
                        int[] expectedMembrane = c.membrane().clone();
                        int[] expectedEvents = new int[c.eventOffset() + neurons + c.eventTail()];
                        Arrays.fill(expectedEvents, UNWRITTEN_EVENT);
                        int expectedCount = 0;
                        for (int neuron = 0; neuron < neurons; neuron++) {
                            long potential = c.membrane()[neuron];
                            long threshold = c.threshold()[neuron % c.channels()];
                            if (potential >= threshold) {
                                expectedMembrane[neuron] = c.resetToZero() ? 0 : wrap(potential - threshold);
                                expectedEvents[c.eventOffset() + expectedCount++] = neuron;
                            }
                        }
                        int[] membrane = c.membrane().clone();
                        int[] events = new int[expectedEvents.length];
                        Arrays.fill(events, UNWRITTEN_EVENT);

                        int count = kernels.fire(membrane, c.threshold(), c.positions(), c.channels(),
                                c.resetToZero(), events, c.eventOffset());

                        assertEquals(expectedCount, count, "spike count");
                        assertArrayEquals(expectedEvents, events, "events");
                        assertArrayEquals(expectedMembrane, membrane, "membrane");
                        return true;
                    });
        }
    }

    private static Gen<NeuronCase> neuronCases() {
        Gen<Layout> layouts = Gen.zip(Gen.integers(1, 4), Gen.integers(1, 9), Layout::new);
        return layouts.flatMap(layout -> Gen.zip(
                Gen.listOf(Gen.shortArrays(Gen.shorts(-2000, 2000), layout.neurons(), layout.neurons()), 1, 24),
                Gen.intArrays(Gen.integers(-3000, 3000), layout.channels(), layout.channels()),
                Gen.zip(Gen.intArrays(Gen.integers(1, 5000), layout.channels(), layout.channels()), Gen.booleans(),
                        List::of),
                (currents, bias, thresholdAndReset) -> new NeuronCase(layout.positions(), layout.channels(),
                        currents, bias, (int[]) thresholdAndReset.get(0), (Boolean) thresholdAndReset.get(1))));
    }

    /** Returns the current of every neuron at every step: the step's weight plus the channel's bias. */
    private static long[][] currentsPerNeuron(NeuronCase c) {
        int neurons = c.positions() * c.channels();
        long[][] currents = new long[neurons][c.currents().size()];
        for (int step = 0; step < c.currents().size(); step++) {
            for (int neuron = 0; neuron < neurons; neuron++) {
                currents[neuron][step] = c.currents().get(step)[neuron] + (long) c.bias()[neuron % c.channels()];
            }
        }
        return currents;
    }

    /**
     * Runs the case's neurons through the kernels one step at a time: accumulate the step's weights, add the bias
     * once, then fire. Returns spikes[neuron][step] and leaves the final potentials in {@code membrane}.
     */
    private static boolean[][] runKernels(SpikeKernels kernels, NeuronCase c, int[] membrane) {
        int neurons = c.positions() * c.channels();
        boolean[][] spikes = new boolean[neurons][c.currents().size()];
        int[] events = new int[neurons];
        for (int step = 0; step < c.currents().size(); step++) {
            kernels.accumulate(membrane, 0, c.currents().get(step), 0, neurons);
            kernels.addBias(membrane, c.bias(), 1, c.positions(), c.channels());
            int count = kernels.fire(membrane, c.threshold(), c.positions(), c.channels(), c.resetToZero(), events, 0);
            for (int i = 0; i < count; i++) {
                spikes[events[i]][step] = true;
            }
        }
        return spikes;
    }

    @Test
    void kernelStepsMatchReferenceNeuron() {
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("accumulate, addBias and fire per step match the reference IF neuron ["
                    + kernels.name() + "]", neuronCases(), c -> {
                        int neurons = c.positions() * c.channels();
                        int[] membrane = new int[neurons];

                        boolean[][] spikes = runKernels(kernels, c, membrane);

                        long[][] currents = currentsPerNeuron(c);
                        ResetMode reset = c.resetToZero() ? ResetMode.ZERO : ResetMode.SUBTRACT;
                        for (int neuron = 0; neuron < neurons; neuron++) {
                            ReferenceIfNeuron.Trace expected = ReferenceIfNeuron.run(currents[neuron],
                                    c.threshold()[neuron % c.channels()], reset);
                            assertArrayEquals(expected.spikes(), spikes[neuron], "spikes of neuron " + neuron);
                            assertEquals(expected.finalPotential(), membrane[neuron], "potential of neuron " + neuron);
                        }
                        return true;
                    });
        }
    }

    @Test
    void kernelStepsConserveCharge() {
        Gen<NeuronCase> subtractCases = neuronCases().map(c -> new NeuronCase(c.positions(), c.channels(),
                c.currents(), c.bias(), c.threshold(), false));
        for (SpikeKernels kernels : kernelsUnderTest()) {
            Property.forAll("total charge = threshold x spikes + final potential under kernels ["
                    + kernels.name() + "]", subtractCases, c -> {
                        int neurons = c.positions() * c.channels();
                        int[] membrane = new int[neurons];

                        boolean[][] spikes = runKernels(kernels, c, membrane);

                        long[][] currents = currentsPerNeuron(c);
                        for (int neuron = 0; neuron < neurons; neuron++) {
                            long charge = Arrays.stream(currents[neuron]).sum();
                            long count = 0;
                            for (boolean spike : spikes[neuron]) {
                                count += spike ? 1 : 0;
                            }
                            long threshold = c.threshold()[neuron % c.channels()];
                            assertEquals(charge, threshold * count + membrane[neuron], "charge of neuron " + neuron);
                        }
                        return true;
                    });
        }
    }

    @Test
    void kernelsWrapAtIntLimits() {
        for (SpikeKernels kernels : kernelsUnderTest()) {
            int[] membrane = {Integer.MAX_VALUE, Integer.MIN_VALUE};
            int[] scaled = {Integer.MAX_VALUE, 0};
            int[] biased = {Integer.MIN_VALUE, Integer.MAX_VALUE};
            int[] fired = {Integer.MAX_VALUE, 0};
            int[] events = new int[2];

            kernels.accumulate(membrane, 0, new short[] {1, -1}, 0, 2);
            kernels.accumulateScaled(scaled, 0, new short[] {2, Short.MIN_VALUE}, 0, 2, 1 << 16);
            kernels.addBias(biased, new int[] {-1, 1}, 1, 1, 2);
            int count = kernels.fire(fired, new int[] {-1}, 2, 1, false, events, 0);

            assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, membrane, kernels.name());
            assertArrayEquals(new int[] {Integer.MIN_VALUE + (2 << 16) - 1, Integer.MIN_VALUE}, scaled, kernels.name());
            assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE}, biased, kernels.name());
            assertEquals(2, count, kernels.name());
            assertArrayEquals(new int[] {Integer.MIN_VALUE, 1}, fired, kernels.name());
        }
    }
}
