package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.BatchNormFolding;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.model.Op;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.tensor.Tensor;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;
import org.ratesim.testmodels.ModelBuilder;

/** Batch-norm folding and the fixed-point rounding of the converter, on generated layers and models. */
class ConversionPropertiesTest {

    /** Largest error of a folded conv relative to the largest magnitude of the unfolded output. */
    private static final double FOLDING_TOLERANCE = 1e-5;

    /** A conv2d with batch norm over a [C, H, W] byte image, all parameters random floats. */
    record FoldingCase(int[] imageShape, int[] weightShape, float[] weight, float[] bias, int[] stride,
                       int[] padding, int[] dilation, int groups, float[] gamma, float[] beta, float[] mean,
                       float[] variance, double eps, byte[] image) {
    }

    /** A generated model whose conv and linear weights and biases were replaced by random floats. */
    record RoundingCase(ModelGen.Chain chain, Model model) {
    }

    static Gen<FoldingCase> foldingCases() {
        return Gen.of(ConversionPropertiesTest::drawFoldingCase);
    }

    @Test
    void foldedConvEqualsConvThenBatchNorm() {
        // For all conv2d layers with random geometry and batch norm with random γ, β, μ, variance in [0.01, 4] and
        // eps, FloatExecutor gives the same output for conv + batch_norm as for the conv that BatchNormFolding
        // folds. The tolerance is 1e-5 of the output's largest magnitude.
        Property.forAll("folded conv equals conv then batch norm", foldingCases(), c -> {
            int outChannels = c.weightShape()[0];
            Model unfolded = new ModelBuilder(c.imageShape()[0], c.imageShape()[1], c.imageShape()[2], 2)
                    .conv("conv", c.weight(), c.weightShape(), c.bias(), "stride", c.stride(), "padding",
                            c.padding(), "dilation", c.dilation(), "groups", (long) c.groups())
                    .batchNorm("bn", c.gamma(), c.beta(), c.mean(), c.variance(), c.eps())
                    .build();
            BatchNormFolding.Params folded = BatchNormFolding.fold(unfolded).params().get("conv");
            assertEquals(outChannels, folded.outputChannels(), "folded output channels");
            Model foldedModel = new ModelBuilder(c.imageShape()[0], c.imageShape()[1], c.imageShape()[2], 2)
                    .conv("conv", toFloats(folded.weight()), folded.weightShape(), toFloats(folded.bias()),
                            "stride", c.stride(), "padding", c.padding(), "dilation", c.dilation(), "groups",
                            (long) c.groups())
                    .build();

            float[] expected = new FloatExecutor(unfolded).logits(c.image(), 0);
            float[] actual = new FloatExecutor(foldedModel).logits(c.image(), 0);
            assertEquals(expected.length, actual.length, "output size");
            double largest = 0;
            for (float value : expected) {
                largest = Math.max(largest, Math.abs(value));
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], FOLDING_TOLERANCE * Math.max(largest, 1e-3), "output " + i);
            }
            return true;
        });
    }

    @Test
    void fixedPointValuesRoundToNearest() {
        // For all generated models with random float weights and biases, every integer weight and bias of the
        // converted network is within 1/2 of its real value w·(T/L_in)·2^shift (after batch-norm folding), and
        // every threshold within 1/2 of (T/L)·2^shift. Weights are compared as sorted lists, because rounding
        // to nearest preserves order and the converter reorders weights.
        Gen<RoundingCase> gen = ModelGen.chains(ChainOptions.defaults()).flatMap(chain -> Gen.of(random ->
                new RoundingCase(chain, randomizeWeights(chain.model(), random))));
        Property.forAll("fixed-point values round to nearest", gen, c -> {
            SnnNetwork network = Converter.convert(c.model(), ConversionOptions.defaults()).network();
            Map<String, BatchNormFolding.Params> params = BatchNormFolding.fold(c.model()).params();
            int timesteps = c.chain().timesteps();
            int hidden = network.layers().size();
            for (int l = 0; l <= hidden; l++) {
                SpikingLayer layer = l < hidden ? network.layers().get(l) : network.readout();
                if (layer.type() != LayerType.CONV2D && layer.type() != LayerType.LINEAR) {
                    continue;
                }
                double levelsIn = l == 0 ? network.encoder().levels() : c.chain().activationLevels().get(l - 1);
                double unit = Math.scalb(1.0, layer.shift());
                BatchNormFolding.Params real = params.get(layer.name());
                double[] exact = new double[real.weight().length];
                for (int i = 0; i < exact.length; i++) {
                    exact[i] = real.weight()[i] * (timesteps / levelsIn) * unit;
                }
                double[] rounded = new double[layer.weights().length];
                for (int i = 0; i < rounded.length; i++) {
                    rounded[i] = layer.weights()[i];
                }
                Arrays.sort(exact);
                Arrays.sort(rounded);
                for (int i = 0; i < exact.length; i++) {
                    assertTrue(Math.abs(rounded[i] - exact[i]) <= 0.5, "layer " + layer.name() + ": sorted weight "
                            + i + " is " + rounded[i] + " for the real value " + exact[i]);
                }
                for (int channel = 0; channel < real.bias().length; channel++) {
                    double exactBias = real.bias()[channel] * unit;
                    assertTrue(Math.abs(layer.bias()[channel] - exactBias) <= 0.5, "layer " + layer.name()
                            + ": bias " + channel + " is " + layer.bias()[channel] + " for " + exactBias);
                }
                if (l < hidden) {
                    double exactThreshold = timesteps / c.chain().activationLevels().get(l) * unit;
                    assertTrue(Math.abs(layer.threshold()[0] - exactThreshold) <= 0.5, "layer " + layer.name()
                            + ": threshold " + layer.threshold()[0] + " for " + exactThreshold);
                }
            }
            return true;
        });
    }

    /** Returns {@code model} with every conv2d and linear weight and bias drawn uniformly from [−1.5, 1.5]. */
    static Model randomizeWeights(Model model, SplittableRandom random) {
        Map<String, Tensor> params = new HashMap<>(model.params());
        for (Node node : model.graph().nodes()) {
            if (node.op() != Op.CONV2D && node.op() != Op.LINEAR) {
                continue;
            }
            for (String name : node.params().values()) {
                Tensor tensor = params.get(name);
                float[] values = new float[tensor.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextDouble(-1.5, 1.5);
                }
                params.put(name, Tensor.of(values, tensor.shape()));
            }
        }
        return new Model(model.graph(), params, model.samples());
    }

    private static FoldingCase drawFoldingCase(SplittableRandom random) {
        int groups = 1 + random.nextInt(2);
        int inChannels = groups * (1 + random.nextInt(2));
        int outChannels = groups * (1 + random.nextInt(3));
        int[] imageShape = {inChannels, 3 + random.nextInt(4), 3 + random.nextInt(4)};
        int[] weightShape = {outChannels, inChannels / groups, 1 + random.nextInt(3), 1 + random.nextInt(3)};
        int[] stride = {1 + random.nextInt(2), 1 + random.nextInt(2)};
        int[] padding = {random.nextInt(2), random.nextInt(2), random.nextInt(2), random.nextInt(2)};
        int[] dilation = {1 + random.nextInt(2), 1 + random.nextInt(2)};
        for (int axis = 0; axis < 2; axis++) {
            int padded = imageShape[1 + axis] + padding[2 * axis] + padding[2 * axis + 1];
            if (dilation[axis] * (weightShape[2 + axis] - 1) + 1 > padded) {
                dilation[axis] = 1;
            }
        }
        float[] weight = floats(random, Math.multiplyExact(Math.multiplyExact(weightShape[0], weightShape[1]),
                weightShape[2] * weightShape[3]), -1, 1);
        float[] bias = random.nextBoolean() ? floats(random, outChannels, -1, 1) : null;
        float[] gamma = floats(random, outChannels, -2, 2);
        float[] beta = floats(random, outChannels, -1, 1);
        float[] mean = floats(random, outChannels, -1, 1);
        float[] variance = floats(random, outChannels, 0.01, 4);
        double eps = random.nextBoolean() ? 1e-5 : 1e-3;
        byte[] image = new byte[imageShape[0] * imageShape[1] * imageShape[2]];
        random.nextBytes(image);
        return new FoldingCase(imageShape, weightShape, weight, bias, stride, padding, dilation, groups, gamma, beta,
                mean, variance, eps, image);
    }

    private static float[] floats(SplittableRandom random, int count, double min, double max) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextDouble(min, max);
        }
        return values;
    }

    private static float[] toFloats(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }
}
