package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.InputEncoding;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testing.Gen;
import org.ratesim.testing.Property;

/**
 * The VR and ICE encoders as the simulator runs them: for every pixel byte 0..255, the spike count and the spike
 * steps of each encoded input neuron, read from {@code Simulator.Workspace.spikeTimes}.
 */
class InputEncodingPropertiesTest {

    private static final int SIDE = 16;

    /**
     * An encoder over {@code channels} channels of 16 × 16 pixels. Each channel of {@code image} contains every
     * byte 0..255 once, in random order.
     */
    record EncoderCase(int timesteps, double levels, int[] offsets, int channels, byte[] image) {
    }

    static Gen<EncoderCase> encoderCases() {
        List<int[]> layouts = List.of(new int[] {0}, new int[] {-1, 0, 1}, new int[] {1, -1}, new int[] {0, 1});
        return Gen.zip(Gen.integers(1, 12), Gen.elementOf(layouts), Gen.integers(1, 3), (t, offsets, channels) ->
                new int[][] {{t, channels}, offsets}).flatMap(choice -> Gen.of(random -> {
                    int timesteps = choice[0][0];
                    return new EncoderCase(timesteps, randomLevels(random, timesteps), choice[1], choice[0][1],
                            permutedBytes(random, choice[0][1]));
                }));
    }

    @Test
    void encodedCountsAndStepsMatchClosedForm() {
        // For all encoders (VR or ICE, T in 1..12, integer and non-integer L) and every pixel byte b, the input
        // neuron of offset d fires k = clamp(floor((L + d)·b/255), 0, T) times, and its j-th spike comes at step
        // ceil(j·T/k): the k spikes are spread evenly with the last one at step T. Each try simulates up to
        // 3 × 4 × 256 input neurons, so the property runs a twentieth of the tries.
        Property.forAll("encoder counts and evenly spaced steps for every byte", encoderCases(), c -> {
            Encoder encoder = new Encoder(c.offsets().length == 1 && c.offsets()[0] == 0 ? Encoder.Type.VR
                    : Encoder.Type.ICE, c.levels(), c.offsets(), new int[] {c.channels(), SIDE, SIDE});
            int neurons = encoder.encodedChannels() * SIDE * SIDE;
            SpikingLayer readout = new SpikingLayer("readout", LayerType.LINEAR, new int[] {neurons, 1, 1},
                    new int[] {1, 1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0, 0, 0},
                    new int[] {1, 1}, 1, NeuronRule.ACCUMULATE, ResetMode.SUBTRACT, 0, new short[neurons], 0,
                    new int[1], null);
            SnnNetwork network = new SnnNetwork(c.timesteps(), encoder, List.of(), readout, 0);
            Simulator simulator = new Simulator(network, Kernels.scalar());
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            simulator.run(c.image(), 0, workspace, result);

            int groups = c.offsets().length;
            long total = 0;
            for (int channel = 0; channel < c.channels(); channel++) {
                for (int position = 0; position < SIDE * SIDE; position++) {
                    int pixel = c.image()[channel * SIDE * SIDE + position] & 0xFF;
                    for (int g = 0; g < groups; g++) {
                        int neuron = (position * groups + g) * c.channels() + channel;
                        int expected = expectedCount(c.levels(), c.offsets()[g], pixel, c.timesteps());
                        String where = "byte " + pixel + ", offset " + c.offsets()[g] + ", neuron " + neuron;
                        assertEquals(expected, InputEncoding.count(c.levels(), c.offsets()[g], pixel,
                                c.timesteps()), where + ": InputEncoding.count");
                        assertEquals(expected, result.inputCounts()[neuron], where + ": recorded count");
                        int[] steps = workspace.spikeTimes(0, neuron);
                        assertEquals(expected, steps.length, where + ": spike times");
                        for (int j = 1; j <= expected; j++) {
                            int step = (int) ((j * (long) c.timesteps() + expected - 1) / expected);
                            assertEquals(step, steps[j - 1], where + ": step of spike " + j);
                        }
                        total += expected;
                    }
                }
            }
            assertEquals(total, result.inputSpikes(), "input spikes");
            return true;
        }, Tries.divided(20));
    }

    /** Returns clamp(floor((L + offset)·b/255), 0, T), computed in BigDecimal from the exact binary value of L. */
    static int expectedCount(double levels, int offset, int pixel, int timesteps) {
        BigDecimal scaled = new BigDecimal(levels).add(BigDecimal.valueOf(offset)).multiply(BigDecimal.valueOf(pixel));
        BigDecimal floor = scaled.divide(BigDecimal.valueOf(255), 0, RoundingMode.FLOOR);
        return floor.max(BigDecimal.ZERO).min(BigDecimal.valueOf(timesteps)).intValueExact();
    }

    /** Returns L: an integer 1..4T, T/m for a power of two m (2.5 for T = 5), or a random double in (0, 2T]. */
    static double randomLevels(SplittableRandom random, int timesteps) {
        switch (random.nextInt(3)) {
            case 0:
                return 1 + random.nextInt(4 * timesteps);
            case 1:
                return timesteps / Math.scalb(1.0, random.nextInt(5) - 2);
            default:
                return random.nextDouble(1e-3, 2.0 * timesteps);
        }
    }

    /** Returns {@code channels} planes of 16 × 16 bytes, each a random permutation of 0..255. */
    static byte[] permutedBytes(SplittableRandom random, int channels) {
        byte[] image = new byte[channels * SIDE * SIDE];
        for (int c = 0; c < channels; c++) {
            int base = c * SIDE * SIDE;
            for (int i = 0; i < SIDE * SIDE; i++) {
                image[base + i] = (byte) i;
            }
            for (int i = SIDE * SIDE - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                byte swap = image[base + i];
                image[base + i] = image[base + j];
                image[base + j] = swap;
            }
        }
        return image;
    }
}
