package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikeKernels;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;

/**
 * The scalar and SIMD kernel sets give bit-identical results through the whole simulator. Tagged {@code kernels},
 * so the SIMD Surefire execution, which loads the Vector API module, runs it too. Without that module the test is
 * skipped.
 */
@Tag("kernels")
class KernelEquivalencePropertiesTest {

    private static final int IMAGES = 2;

    /** A model, its images, and the rule and reset of its hidden layers. */
    record Case(ModelGen.Chain chain, byte[] images, NeuronRule rule, ResetMode reset) {
    }

    @Test
    void simdSimulatorEqualsScalar() {
        // For all generated models with ASG or IF neurons and either reset, the SIMD simulator gives the same
        // readout, prediction, spike and operation counts and every neuron's spike times as the scalar one.
        SpikeKernels simd = Kernels.simdOrNull();
        assumeTrue(simd != null, "SIMD kernels unavailable in this JVM: run with --add-modules jdk.incubator.vector "
                + "(the simd-test Surefire execution does) to check them against the scalar kernels");
        Gen<Case> gen = EnginePropertiesTest.cases(ChainOptions.defaults()).flatMap(c -> Gen.zip(
                Gen.elementOf(NeuronRule.ASG, NeuronRule.IF), Gen.elementOf(ResetMode.SUBTRACT, ResetMode.ZERO),
                (rule, reset) -> new Case(c.chain(), c.images(), rule, reset)));
        Property.forAll("SIMD simulator equals scalar simulator", gen, c -> {
            SnnNetwork network = Converter.convert(c.chain().model(),
                    ConversionOptions.defaults().withNeuron(c.rule()).withReset(c.reset())).network();
            Simulator scalar = new Simulator(network, Kernels.scalar());
            Simulator vector = new Simulator(network, simd);
            Simulator.Workspace scalarSpace = scalar.newWorkspace(true);
            Simulator.Workspace vectorSpace = vector.newWorkspace(true);
            ImageResult expected = scalar.newResult();
            ImageResult actual = vector.newResult();
            for (int image = 0; image < IMAGES; image++) {
                int offset = image * c.chain().imageBytes();
                scalar.run(c.images(), offset, scalarSpace, expected);
                vector.run(c.images(), offset, vectorSpace, actual);
                assertArrayEquals(expected.readout(), actual.readout(), "readout");
                assertEquals(expected.prediction(), actual.prediction(), "prediction");
                assertEquals(expected.inputSpikes(), actual.inputSpikes(), "input spikes");
                assertArrayEquals(expected.spikesPerLayer(), actual.spikesPerLayer(), "spikes per layer");
                assertArrayEquals(expected.synapticOpsPerLayer(), actual.synapticOpsPerLayer(), "synaptic ops");
                int inputNeurons = expected.inputCounts().length;
                for (int stage = 0; stage <= network.layers().size(); stage++) {
                    int neurons = stage == 0 ? inputNeurons : network.layers().get(stage - 1).outputNeurons();
                    for (int neuron = 0; neuron < neurons; neuron++) {
                        assertArrayEquals(scalarSpace.spikeTimes(stage, neuron), vectorSpace.spikeTimes(stage, neuron),
                                "image " + image + ", stage " + stage + ", neuron " + neuron);
                    }
                }
            }
            return true;
        });
    }
}
