package org.ratesim.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.sim.ExactnessCheck;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ScalarSpikeKernels;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.testmodels.AnnOracle;
import org.ratesim.testmodels.RandomModels;

/**
 * For all generated dyadic chain models, the converted ASG network reproduces the quantized ANN: every spike count
 * equals L × activation and the logits are equal.
 */
class ConverterExactnessTest {

    private static final long SEED = Long.getLong("ratesim.seed", 20261204L);
    private static final int NETWORKS = 150;
    private static final int IMAGES = 3;

    @Test
    void asgNetworksEqualQuantizedAnn() {
        int[] windows = {1, 2, 4, 8};
        for (int n = 0; n < NETWORKS; n++) {
            SplittableRandom random = new SplittableRandom(SEED + n);
            int timesteps = windows[random.nextInt(windows.length)];
            RandomModels.Generated generated = RandomModels.generate(random, timesteps, true);
            String context = "seed " + (SEED + n) + ", T " + timesteps;
            SnnNetwork network = Converter.convert(generated.model(), ConversionOptions.defaults()).network();
            byte[] images = RandomModels.images(random, IMAGES, generated.imageBytes());

            Simulator simulator = new Simulator(network, ScalarSpikeKernels.INSTANCE);
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            for (int image = 0; image < IMAGES; image++) {
                int offset = image * generated.imageBytes();
                simulator.run(images, offset, workspace, result);
                Map<String, AnnOracle.Activation> ann = AnnOracle.run(generated.model(), images, offset);
                for (int l = 0; l < generated.activationNodes().size(); l++) {
                    AnnOracle.Activation activation = ann.get(generated.activationNodes().get(l));
                    double levels = generated.activationLevels().get(l);
                    int[] counts = result.neuronCounts(l);
                    assertEquals(activation.values().length, counts.length, context + " layer " + l);
                    for (int i = 0; i < counts.length; i++) {
                        double expected = levels * AnnOracle.atSpikeIndex(activation, i);
                        assertEquals(expected, counts[i], 0.0, context + " layer " + l + " neuron " + i);
                    }
                }
                double[] logits = ann.get("fc").values();
                for (int c = 0; c < logits.length; c++) {
                    assertEquals(logits[c], result.logit(c), 0.0, context + " logit " + c);
                }
            }
            ExactnessCheck.Report report = ExactnessCheck.run(network, ScalarSpikeKernels.INSTANCE, images, IMAGES);
            assertTrue(report.exact(), context + ": " + report);
        }
    }

    @Test
    void singleStepIfEqualsAsg() {
        for (int n = 0; n < NETWORKS / 2; n++) {
            SplittableRandom random = new SplittableRandom(SEED + 1000 + n);
            RandomModels.Generated generated = RandomModels.generate(random, 1, true);
            String context = "seed " + (SEED + 1000 + n);
            SnnNetwork asg = Converter.convert(generated.model(), ConversionOptions.defaults()).network();
            SnnNetwork plainIf = Converter.convert(generated.model(),
                    ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
            byte[] images = RandomModels.images(random, IMAGES, generated.imageBytes());

            Simulator asgSimulator = new Simulator(asg, ScalarSpikeKernels.INSTANCE);
            Simulator ifSimulator = new Simulator(plainIf, ScalarSpikeKernels.INSTANCE);
            ImageResult asgResult = asgSimulator.newResult();
            ImageResult ifResult = ifSimulator.newResult();
            for (int image = 0; image < IMAGES; image++) {
                int offset = image * generated.imageBytes();
                asgSimulator.run(images, offset, asgSimulator.newWorkspace(true), asgResult);
                ifSimulator.run(images, offset, ifSimulator.newWorkspace(true), ifResult);
                for (int l = 0; l < asg.layers().size(); l++) {
                    assertArrayEquals(asgResult.neuronCounts(l), ifResult.neuronCounts(l), context + " layer " + l);
                }
                assertArrayEquals(asgResult.readout(), ifResult.readout(), context);
            }
            ExactnessCheck.Report report = ExactnessCheck.run(plainIf, ScalarSpikeKernels.INSTANCE, images, IMAGES);
            assertTrue(report.exact(), context + ": " + report);
        }
    }
}
