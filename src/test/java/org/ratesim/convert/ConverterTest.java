package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.sim.Encoder;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.ScalarSpikeKernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testmodels.ModelBuilder;

class ConverterTest {

    private static ImageResult simulate(SnnNetwork network, byte[] image) {
        Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
        ImageResult result = simulator.newResult();
        simulator.run(image, 0, simulator.newWorkspace(true), result);
        return result;
    }

    private static Model flattenModel(String order) {
        return new ModelBuilder(2, 1, 2, 1)
                .clampFloor("encode", 4, 4)
                .flatten("flat", order)
                .linear("fc", new float[] {1, 10, 100, 1000}, 1, 4, null)
                .build();
    }

    @Test
    void flattenOrderSelectsWeightPermutation() {
        // Channel 0 has [1, 2] spikes and channel 1 [3, 4]. The weights [1, 10, 100, 1000] were trained channel-last.
        byte[] image = {64, (byte) 128, (byte) 192, (byte) 255};
        ImageResult channelLast = simulate(Converter.convert(flattenModel("hwc"), ConversionOptions.defaults())
                .network(), image);
        assertEquals(4231.0, 4 * channelLast.logit(0), 0.0);
        ImageResult channelFirst = simulate(Converter.convert(flattenModel("chw"), ConversionOptions.defaults())
                .network(), image);
        assertEquals(4321.0, 4 * channelFirst.logit(0), 0.0);
    }

    @Test
    void tinyConvNetworkMatchesHandValues() {
        // Pixels [255, 128, 64, 0] with T = 4, L = 4 give counts [4, 2, 1, 0], values [1, 0.5, 0.25, 0].
        // conv: 0.5·1 + 1·0.5 − 1·0.25 + 0.25·0 + 0.25 = 1, quantized with L = 2 to 1, so 2 spikes.
        // readout: [2·1 + 0, −1·1 + 0.5] = [2, −0.5].
        Model model = new ModelBuilder(1, 2, 2, 2)
                .clampFloor("encode", 4, 4)
                .conv("conv", new float[] {0.5f, 1, -1, 0.25f}, new int[] {1, 1, 2, 2}, new float[] {0.25f})
                .clampFloor("q", 4, 2)
                .flatten("flat", "chw")
                .linear("fc", new float[] {2, -1}, 2, 1, new float[] {0, 0.5f})
                .build();
        byte[] image = {(byte) 255, (byte) 128, 64, 0};
        for (NeuronRule rule : new NeuronRule[] {NeuronRule.ASG, NeuronRule.IF}) {
            SnnNetwork network = Converter.convert(model, ConversionOptions.defaults().withNeuron(rule)).network();
            Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            simulator.run(image, 0, workspace, result);

            assertArrayEquals(new int[] {4, 2, 1, 0}, result.inputCounts(), rule.id());
            assertArrayEquals(new int[] {2}, result.neuronCounts(0), rule.id());
            assertArrayEquals(new int[] {2, 4}, workspace.spikeTimes(1, 0), rule.id());
            assertEquals(2.0, result.logit(0), 0.0, rule.id());
            assertEquals(-0.5, result.logit(1), 0.0, rule.id());
            assertEquals(0, result.prediction(), rule.id());
            // Every input spike reaches the one conv output: 4 + 2 + 1 = 7 operations, then 2 × 2 readout ones.
            assertArrayEquals(new long[] {7, 4}, result.synapticOpsPerLayer(), rule.id());
        }
    }

    @Test
    void convWeightsBecomeInputMajor() {
        // Cout 4, Cin 2, groups 2, kernel 1×2: W[co][0][0][kw] = co·10 + kw + 1.
        float[] weight = new float[8];
        for (int co = 0; co < 4; co++) {
            for (int kw = 0; kw < 2; kw++) {
                weight[co * 2 + kw] = co * 10 + kw + 1;
            }
        }
        Model model = new ModelBuilder(2, 1, 3, 2)
                .clampFloor("encode", 2, 2)
                .conv("conv", weight, new int[] {4, 1, 1, 2}, null, "groups", 2L)
                .clampFloor("q", 2, 2)
                .flatten("flat", "chw")
                .linear("fc", new float[16], 2, 8, null)
                .build();

        SpikingLayer conv = Converter.convert(model, ConversionOptions.defaults()).network().layers().get(0);
        int shift = conv.shift();
        // The largest weight 32 needs 32·2^shift <= 32767, so shift = 9.
        assertEquals(9, shift);
        short[] stored = conv.weights();
        for (int ci = 0; ci < 2; ci++) {
            for (int kw = 0; kw < 2; kw++) {
                for (int j = 0; j < 2; j++) {
                    int co = ci * 2 + j;
                    assertEquals((co * 10 + kw + 1) << shift, stored[(ci * 2 + kw) * 2 + j],
                            "ci " + ci + " kw " + kw + " j " + j);
                }
            }
        }
        assertArrayEquals(new int[] {4, 1, 2}, conv.outputShape());
        assertArrayEquals(new int[] {1 << shift, 1 << shift, 1 << shift, 1 << shift}, conv.threshold());
    }

    @Test
    void missingConvBiasBecomesZeros() {
        // Conv 3→96, kernel 11, stride 4, padding 2 on 3×227×227 gives 96×56×56 with 96 zero biases.
        Model model = new ModelBuilder(3, 227, 227, 2)
                .clampFloor("encode", 1, 4)
                .conv("conv", new float[96 * 3 * 11 * 11], new int[] {96, 3, 11, 11}, null,
                        "stride", new int[] {4, 4}, "padding", new int[] {2, 2, 2, 2})
                .clampFloor("q", 1, 4)
                .maxPool("pool", new int[] {56, 56}, null, null)
                .flatten("flat", "chw")
                .linear("fc", new float[2 * 96], 2, 96, null)
                .build();
        SpikingLayer conv = Converter.convert(model, ConversionOptions.defaults()).network().layers().get(0);
        assertArrayEquals(new int[] {96, 56, 56}, conv.outputShape());
        assertEquals(96, conv.bias().length);
        assertTrue(Arrays.stream(conv.bias()).allMatch(b -> b == 0));
    }

    @Test
    void layersCarryRulesAndReadout() {
        Model model = new ModelBuilder(1, 4, 4, 2)
                .inputExpansion("encode", 4, 8, -1, 0, 1)
                .conv("conv", new float[2 * 3 * 4], new int[] {2, 3, 2, 2}, new float[] {0.5f, -0.25f})
                .clampFloor("q1", 4, 8)
                .dropout("drop")
                .avgPool("avg", new int[] {1, 3}, null, null)
                .clampFloor("q2", 4, 8)
                .maxPool("max", new int[] {3, 1}, null, null)
                .flatten("flat", "hwc")
                .linear("fc", new float[4], 2, 2, null)
                .build();
        Conversion conversion = Converter.convert(model,
                ConversionOptions.defaults().withNeuron(NeuronRule.IF).withReset(ResetMode.ZERO));

        SnnNetwork network = conversion.network();
        assertEquals(Encoder.Type.ICE, network.encoder().type());
        assertArrayEquals(new int[] {-1, 0, 1}, network.encoder().offsets());
        assertEquals(3, network.layers().size());
        SpikingLayer avg = network.layers().get(1);
        assertEquals(LayerType.AVG_POOL2D, avg.type());
        assertEquals(1 << Converter.AVG_POOL_SHIFT, avg.weightValue());
        assertArrayEquals(new int[] {3 << Converter.AVG_POOL_SHIFT, 3 << Converter.AVG_POOL_SHIFT}, avg.threshold());

        SpikingLayer max = network.layers().get(2);
        assertEquals(LayerType.MAX_POOL2D, max.type());
        assertNull(max.threshold());
        assertEquals(NeuronRule.IF, network.layers().get(0).neuron());
        assertEquals(ResetMode.ZERO, network.layers().get(0).reset());
        assertEquals(NeuronRule.ACCUMULATE, network.readout().neuron());
        assertEquals(4, conversion.layers().size());
        long largest = conversion.layers().stream().mapToLong(LayerReport::bound).max().orElse(-1);
        assertEquals(largest, network.overflowBound());
        assertTrue(conversion.formatTable().contains("avg"), conversion.formatTable());
    }

    @Test
    void convReadoutProducesClasses() {
        Model model = new ModelBuilder(1, 2, 2, 3)
                .clampFloor("encode", 2, 2)
                .conv("head", new float[3 * 4], new int[] {3, 1, 2, 2}, new float[] {1, 2, 3})
                .flatten("flat", "chw")
                .build();
        SnnNetwork network = Converter.convert(model, ConversionOptions.defaults()).network();
        assertEquals(LayerType.CONV2D, network.readout().type());
        assertEquals(0, network.layers().size());
        ImageResult result = simulate(network, new byte[4]);
        assertEquals(2, result.prediction());
        assertEquals(3.0, result.logit(2), 0.0);
    }

    @Test
    void epsilonLowersThreshold() {
        Model model = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("hidden", new float[] {1}, 1, 1, null)
                .clampFloor("q", 1, 4)
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        SpikingLayer exact = Converter.convert(model, ConversionOptions.defaults()).network().layers().get(0);
        SpikingLayer lowered = Converter.convert(model, ConversionOptions.defaults().withEpsilon(0.001)).network()
                .layers().get(0);
        int shift = lowered.shift();
        assertEquals(FixedPoint.roundHalfAway((0.25 - 0.001) * Math.scalb(1.0, shift)), lowered.threshold()[0]);
        assertEquals(1L << (exact.shift() - 2), exact.threshold()[0]);
    }

    @Test
    void weightsKeepSignInInt16() {
        Model model = new ModelBuilder(1, 1, 3, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {3000, -0.3f, 1}, 1, 3, new float[] {0.5f})
                .build();
        SpikingLayer fc = Converter.convert(model, ConversionOptions.defaults()).network().readout();
        // 3000·2^3 = 24000 <= 32767 < 3000·2^4, so shift 3; a wrapped 16-bit store would turn 48000 negative.
        assertEquals(3, fc.shift());
        assertEquals(24000, fc.weights()[0]);
        assertEquals(-2, fc.weights()[1]);
        assertEquals(8, fc.weights()[2]);
        assertEquals(4, fc.bias()[0]);
    }

    @Test
    void shiftDropsUntilBoundFits() {
        // T = 64, fan-in 2048, weight 1: at shift 14 the bound is 2^31, one above int32; shift 13 gives 2^30.
        Model model = denseModel(64, 2048);
        Conversion conversion = Converter.convert(model, ConversionOptions.defaults());
        LayerReport report = conversion.layers().get(0);
        assertEquals(13, report.shift());
        assertEquals(1L << 30, report.bound());
        assertEquals(1L << 30, conversion.network().overflowBound());
    }

    @Test
    void boundRejectsOverflowingLayer() {
        // T = 8192 with fan-in 2048: fitting 2^31 − 1 leaves the weight 1 only 64 = 2^6, fewer than 8 bits.
        ConversionException error = assertThrows(ConversionException.class,
                () -> Converter.convert(denseModel(8192, 2048), ConversionOptions.defaults()));
        assertTrue(error.getMessage().contains("'fc'"), error.getMessage());
        assertTrue(error.getMessage().contains("bound"), error.getMessage());
        assertTrue(error.getMessage().contains("smaller T"), error.getMessage());
    }

    @Test
    void windowBoundOf2048HeavySpikesExceedsInt() {
        // 2048 spikes of weight 2^20 in one step sum to 2^31, one above Integer.MAX_VALUE.
        long bound = FixedPoint.windowBound(1, 2048L << 20, 0);
        assertEquals(2147483648L, bound);
        assertTrue(bound > Integer.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, FixedPoint.windowBound(Integer.MAX_VALUE, Long.MAX_VALUE / 2, 1));
    }

    @Test
    void roundingBreaksTiesAwayFromZero() {
        assertEquals(3, FixedPoint.roundHalfAway(2.5));
        assertEquals(-3, FixedPoint.roundHalfAway(-2.5));
        assertEquals(0, FixedPoint.roundHalfAway(0.49));
        assertEquals(-2, FixedPoint.roundHalfAway(-1.5));
    }

    private static Model denseModel(int timesteps, int inputs) {
        float[] weight = new float[inputs];
        Arrays.fill(weight, 1.0f);
        return new ModelBuilder(inputs, 1, 1, 1)
                .clampFloor("encode", timesteps, timesteps)
                .flatten("flat", "chw")
                .linear("fc", weight, 1, inputs, null)
                .build();
    }

    @Test
    void convertRejectsReluNetwork() {
        Model quantizerRelu = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("hidden", new float[] {1}, 1, 1, null)
                .relu("act")
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertMessage(quantizerRelu, "'act'");
        Model analog = new ModelBuilder(1, 1, 1, 1)
                .conv("conv", new float[] {1}, new int[] {1, 1, 1, 1}, null)
                .build();
        assertMessage(analog, "analog input");
    }

    @Test
    void convertRejectsUnsupportedGraphs() {
        Model branch = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .reading("encode")
                .flatten("flat2", "chw")
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertMessage(branch, "chains");

        Model mixedWindows = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 2, 2)
                .flatten("flat", "chw")
                .linear("hidden", new float[] {1}, 1, 1, null)
                .clampFloor("q", 4, 4)
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertMessage(mixedWindows, "share one T");

        Model noQuantizer = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("hidden", new float[] {1}, 1, 1, null)
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertMessage(noQuantizer, "clamp_floor quantizer");

        Model noFlatten = new ModelBuilder(1, 2, 2, 1)
                .clampFloor("encode", 1, 1)
                .linear("fc", new float[] {1, 1, 1, 1}, 1, 4, null)
                .build();
        assertMessage(noFlatten, "insert a flatten");

        Model noReadout = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .build();
        assertMessage(noReadout, "no readout");

        Model wrongClasses = new ModelBuilder(1, 1, 1, 3)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, 1}, 2, 1, null)
                .build();
        assertMessage(wrongClasses, "3 classes");
    }

    @Test
    void convertRejectsNonFiniteParameters() {
        Model infiniteWeight = new ModelBuilder(1, 1, 2, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1, Float.POSITIVE_INFINITY}, 1, 2, null)
                .build();
        assertMessage(infiniteWeight, "finite");
        Model nanBias = new ModelBuilder(1, 1, 1, 1)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, new float[] {Float.NaN})
                .build();
        assertMessage(nanBias, "'fc'");
    }

    @Test
    void convertRejectsNormalizedInput() {
        InputSpec normalized = new InputSpec("input", new int[] {1, 1, 1}, 1.0 / 255, new double[] {0.5},
                new double[] {1}, 1);
        Model model = new ModelBuilder(normalized)
                .clampFloor("encode", 1, 1)
                .flatten("flat", "chw")
                .linear("fc", new float[] {1}, 1, 1, null)
                .build();
        assertMessage(model, "x = b/255");
    }

    private static void assertMessage(Model model, String fragment) {
        ConversionException error = assertThrows(ConversionException.class,
                () -> Converter.convert(model, ConversionOptions.defaults()));
        assertTrue(error.getMessage().contains(fragment), error.getMessage());
    }
}
