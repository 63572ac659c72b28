package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.model.Dataset;
import org.ratesim.sim.EvaluationReport;
import org.ratesim.sim.Evaluator;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;

/** Evaluation totals do not depend on the number of threads or on the order of the images. */
class EvaluatorPropertiesTest {

    /** More than two blocks of 32 images, so that 3 threads all get work. */
    private static final int IMAGES = 70;

    /** A model, a labelled dataset for it, an image order and the hidden neuron rule. */
    record Case(ModelGen.Chain chain, Dataset data, int[] order, NeuronRule rule) {
    }

    static Gen<Case> cases() {
        return ModelGen.chains(ChainOptions.defaults()).flatMap(chain -> Gen.of(random -> {
            byte[] images = ModelGen.images(chain.imageBytes(), IMAGES).sample(random);
            int[] labels = new int[IMAGES];
            for (int i = 0; i < IMAGES; i++) {
                labels[i] = random.nextInt(chain.classes());
            }
            Dataset data = new Dataset(images, labels, chain.model().graph().input().shape());
            NeuronRule rule = random.nextBoolean() ? NeuronRule.ASG : NeuronRule.IF;
            return new Case(chain, data, permutation(random, IMAGES), rule);
        }));
    }

    @Test
    void totalsIgnoreThreadsAndImageOrder() {
        // For all generated models and datasets, evaluating with 1 thread in order and with 3 threads in a
        // shuffled order gives identical accuracies, agreements, mismatch, spike and operation totals. Each try
        // evaluates 140 images and starts a thread pool, so the property runs a twentieth of the tries.
        Property.forAll("evaluation totals ignore threads and order", cases(), c -> {
            SnnNetwork network = Converter.convert(c.chain().model(),
                    ConversionOptions.defaults().withNeuron(c.rule())).network();
            EvaluationReport serial = Evaluator.evaluate(c.chain().model(), network, c.data(), Kernels.scalar(),
                    new Evaluator.Options(1, true, null));
            EvaluationReport parallel = Evaluator.evaluate(c.chain().model(), network, shuffle(c.data(), c.order()),
                    Kernels.scalar(), new Evaluator.Options(3, true, null));

            assertEquals(3, parallel.threads(), "threads used");
            assertEquals(serial.images(), parallel.images(), "images");
            assertEquals(serial.annAccuracy(), parallel.annAccuracy(), "ANN accuracy");
            assertEquals(serial.snnAccuracy(), parallel.snnAccuracy(), "SNN accuracy");
            assertEquals(serial.intAnnAccuracy(), parallel.intAnnAccuracy(), "integer ANN accuracy");
            assertEquals(serial.agreement(), parallel.agreement(), "agreement");
            assertEquals(serial.intAgreement(), parallel.intAgreement(), "integer agreement");
            assertEquals(serial.exactMismatchNeurons(), parallel.exactMismatchNeurons(), "mismatching neurons");
            assertArrayEquals(serial.mismatchesPerLayer(), parallel.mismatchesPerLayer(), "mismatches per layer");
            assertEquals(serial.inputSpikesPerImage(), parallel.inputSpikesPerImage(), "input spikes");
            assertEquals(serial.spikesPerImage(), parallel.spikesPerImage(), "hidden spikes");
            assertArrayEquals(serial.spikesPerLayer(), parallel.spikesPerLayer(), "spikes per layer");
            assertEquals(serial.synapticOpsPerImage(), parallel.synapticOpsPerImage(), "synaptic ops");
            assertArrayEquals(serial.synapticOpsPerLayer(), parallel.synapticOpsPerLayer(), "ops per layer");
            if (c.rule() == NeuronRule.ASG) {
                assertEquals(0, serial.exactMismatchNeurons(), "ASG mismatches against the integer ANN");
            }
            return true;
        }, Tries.divided(20));
    }

    /** Returns the dataset with image i moved to position order[i]. */
    static Dataset shuffle(Dataset data, int[] order) {
        int pixels = data.pixelsPerImage();
        byte[] images = new byte[data.images().length];
        int[] labels = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(data.images(), i * pixels, images, order[i] * pixels, pixels);
            labels[order[i]] = data.labels()[i];
        }
        return new Dataset(images, labels, data.shape());
    }

    static int[] permutation(SplittableRandom random, int size) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
