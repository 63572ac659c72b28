package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ratesim.convert.ConversionOptions;
import org.ratesim.convert.Converter;
import org.ratesim.model.FloatExecutor;
import org.ratesim.model.Model;
import org.ratesim.model.Node;
import org.ratesim.sim.ImageResult;
import org.ratesim.sim.Kernels;
import org.ratesim.sim.LayerType;
import org.ratesim.sim.NeuronRule;
import org.ratesim.sim.ResetMode;
import org.ratesim.sim.Simulator;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.tensor.Tensor;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;
import org.ratesim.testmodels.AnnOracle;

/**
 * Properties of the event-driven simulator on generated chain models, converted by the real converter.
 *
 * <p>The ANN side comes from {@link AnnOracle} run with every activation scaled by T, so that a quantized
 * activation k/L is the dyadic number k·(T/L) and every comparison is exact, also for T = 3, 5, 6 and non-integer
 * L such as 2.5. When T is a power of two, the float32 {@link FloatExecutor} is exact too and is checked as well.
 * Spike counts and times come from the simulator's own records ({@code Simulator.newWorkspace(true)}).
 */
class EnginePropertiesTest {

    /** Images simulated per generated model. */
    private static final int IMAGES = 2;

    /** A generated model and {@link #IMAGES} images for it. */
    record Case(ModelGen.Chain chain, byte[] images) {
    }

    /** A one-block model, its images and the threshold margin ε = (T/L)·2^−exponent. */
    record EpsilonCase(ModelGen.Chain chain, byte[] images, int exponent) {
    }

    /** A model with its images and the rule and reset of its hidden layers. */
    record RuleCase(ModelGen.Chain chain, byte[] images, NeuronRule rule, ResetMode reset) {
    }

    static Gen<Case> cases(ChainOptions options) {
        return ModelGen.chains(options).flatMap(chain -> ModelGen.images(chain.imageBytes(), IMAGES)
                .map(images -> new Case(chain, images)));
    }

    @Test
    void asgNetworkEqualsQuantizedAnn() {
        // For all generated models and images, every ASG spike count is L × the ANN activation, and the logits
        // equal the ANN logits.
        Property.forAll("ASG counts equal L × ANN activation and logits equal", cases(ChainOptions.defaults()), c -> {
            Model model = c.chain().model();
            int timesteps = c.chain().timesteps();
            SnnNetwork network = Converter.convert(model, ConversionOptions.defaults()).network();
            Simulator simulator = new Simulator(network, Kernels.scalar());
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            FloatExecutor floatAnn = new FloatExecutor(model);

            for (int image = 0; image < IMAGES; image++) {
                int offset = image * c.chain().imageBytes();
                simulator.run(c.images(), offset, workspace, result);
                Map<String, AnnOracle.Activation> scaled = AnnOracle.run(model, c.images(), offset, timesteps);
                Map<String, Tensor> floats = c.chain().dyadic() ? floatAnn.activations(c.images(), offset) : null;
                for (int l = 0; l < network.layers().size(); l++) {
                    String node = c.chain().activationNodes().get(l);
                    double levels = c.chain().activationLevels().get(l);
                    double stepsPerLevel = timesteps / levels;
                    int[] counts = result.neuronCounts(l);
                    for (int i = 0; i < counts.length; i++) {
                        String where = "image " + image + ", layer " + node + ", neuron " + i;
                        double expected = AnnOracle.atSpikeIndex(scaled.get(node), i) / stepsPerLevel;
                        assertEquals(expected, counts[i], 0.0, where + ": count vs oracle");
                        if (floats != null) {
                            assertEquals(levels * atSpikeIndex(floats.get(node), i), counts[i], 0.0,
                                    where + ": count vs FloatExecutor");
                        }
                    }
                }
                double[] scaledLogits = scaled.get(model.graph().output()).values();
                float[] floatLogits = c.chain().dyadic() ? floatAnn.logits(c.images(), offset) : null;
                for (int k = 0; k < scaledLogits.length; k++) {
                    assertEquals(scaledLogits[k] / timesteps, result.logit(k), 0.0, "image " + image + ", logit " + k);
                    if (floatLogits != null) {
                        assertEquals(floatLogits[k], result.logit(k), 0.0, "image " + image + ", float logit " + k);
                    }
                }
            }
            return true;
        });
    }

    @Test
    void singleStepIfEqualsAsgAndAnn() {
        // For all generated models with T = 1, IF with either reset, ASG and the quantized ANN give equal counts
        // and readouts.
        ChainOptions options = ChainOptions.defaults().withTimesteps(1);
        Property.forAll("T = 1: IF = ASG = ANN", cases(options), c -> {
            Model model = c.chain().model();
            SnnNetwork asg = Converter.convert(model, ConversionOptions.defaults()).network();
            SnnNetwork subtract = Converter.convert(model,
                    ConversionOptions.defaults().withNeuron(NeuronRule.IF)).network();
            SnnNetwork zero = Converter.convert(model,
                    ConversionOptions.defaults().withNeuron(NeuronRule.IF).withReset(ResetMode.ZERO)).network();
            for (int image = 0; image < IMAGES; image++) {
                int offset = image * c.chain().imageBytes();
                ImageResult asgResult = simulate(asg, c.images(), offset);
                ImageResult subtractResult = simulate(subtract, c.images(), offset);
                ImageResult zeroResult = simulate(zero, c.images(), offset);
                Map<String, AnnOracle.Activation> ann = AnnOracle.run(model, c.images(), offset, 1.0);
                for (int l = 0; l < asg.layers().size(); l++) {
                    String node = c.chain().activationNodes().get(l);
                    double levels = c.chain().activationLevels().get(l);
                    int[] counts = asgResult.neuronCounts(l);
                    for (int i = 0; i < counts.length; i++) {
                        assertEquals(levels * AnnOracle.atSpikeIndex(ann.get(node), i), counts[i], 0.0,
                                "image " + image + ", ASG layer " + node + ", neuron " + i);
                    }
                    assertArrayEquals(counts, subtractResult.neuronCounts(l), "IF (subtract) layer " + node);
                    assertArrayEquals(counts, zeroResult.neuronCounts(l), "IF (zero) layer " + node);
                }
                assertArrayEquals(asgResult.readout(), subtractResult.readout(), "IF (subtract) readout");
                assertArrayEquals(asgResult.readout(), zeroResult.readout(), "IF (zero) readout");
            }
            return true;
        });
    }

    @Test
    void epsilonAddsSpikeOnlyInBand() {
        // For all one-block models and ε = (T/L)·2^−e with 2^−e < 1/(T + 1), the ASG count minus the ANN count
        // k0 = clamp(floor(L·y), 0, T) is 1 when L·y ∈ [k·(1 − 2^−e), k) for some k in 1..T and 0 otherwise.
        ChainOptions options = ChainOptions.defaults().withMaxBlocks(1).withPools(false).withHiddenFc(false);
        Gen<EpsilonCase> gen = cases(options).flatMap(c -> Gen.integers(4, 8)
                .map(exponent -> new EpsilonCase(c.chain(), c.images(), exponent)));
        Property.forAll("ε adds one spike exactly inside the band", gen, c -> {
            Model model = c.chain().model();
            int timesteps = c.chain().timesteps();
            double levels = c.chain().activationLevels().get(0);
            double stepsPerLevel = timesteps / levels;
            double delta = Math.scalb(1.0, -c.exponent());
            SnnNetwork network = Converter.convert(model,
                    ConversionOptions.defaults().withEpsilon(stepsPerLevel * delta)).network();
            String quantizer = c.chain().activationNodes().get(0);
            String preActivation = model.graph().node(quantizer).input();

            for (int image = 0; image < IMAGES; image++) {
                int offset = image * c.chain().imageBytes();
                ImageResult result = simulate(network, c.images(), offset);
                AnnOracle.Activation scaled = AnnOracle.run(model, c.images(), offset, timesteps).get(preActivation);
                int[] counts = result.neuronCounts(0);
                for (int i = 0; i < counts.length; i++) {
                    // L·y is dyadic: the scaled pre-activation T·y divided by the power of two T/L.
                    double levelTimesY = AnnOracle.atSpikeIndex(scaled, i) / stepsPerLevel;
                    int annCount = (int) Math.max(0, Math.min(Math.floor(levelTimesY), timesteps));
                    double nextLevel = Math.floor(levelTimesY) + 1;
                    boolean inBand = nextLevel >= 1 && nextLevel <= timesteps
                            && levelTimesY >= nextLevel * (1 - delta);
                    assertEquals(inBand ? 1 : 0, counts[i] - annCount, "image " + image + ", neuron " + i
                            + ", L·y = " + levelTimesY + ", ANN count " + annCount);
                }
            }
            return true;
        });
    }

    @Test
    void readoutEqualsAnnLogitsOfSpikeCounts() {
        // For all generated models, the readout Σ_t (W'·s_t + b) / T equals W·(n/L) + b for the last hidden layer's
        // spike counts n, in the readout's integer units exactly: readout = 2^shift · (W·n·(T/L) + T·b).
        Property.forAll("readout is T × the ANN logit of the spike counts", cases(ChainOptions.defaults()), c -> {
            Model model = c.chain().model();
            int timesteps = c.chain().timesteps();
            SnnNetwork network = Converter.convert(model, ConversionOptions.defaults()).network();
            int last = network.layers().size() - 1;
            double stepsPerLevel = timesteps / c.chain().activationLevels().get(last);
            Node readoutNode = model.graph().node(model.graph().output());
            float[] weight = model.param(readoutNode, "weight").floats();
            float[] bias = model.param(readoutNode, "bias").floats();
            int[] spikeIndex = annToSpikeIndex(model, network.layers().get(last));
            double unit = Math.scalb(1.0, network.readout().shift());

            for (int image = 0; image < IMAGES; image++) {
                ImageResult result = simulate(network, c.images(), image * c.chain().imageBytes());
                int[] counts = result.neuronCounts(last);
                for (int k = 0; k < bias.length; k++) {
                    double scaledLogit = timesteps * (double) bias[k];
                    for (int j = 0; j < spikeIndex.length; j++) {
                        scaledLogit += weight[k * spikeIndex.length + j] * counts[spikeIndex[j]] * stepsPerLevel;
                    }
                    assertEquals(scaledLogit * unit, (double) result.readout()[k], 0.0, "image " + image
                            + ", readout " + k);
                    assertEquals(scaledLogit / timesteps, result.logit(k), 0.0, "image " + image + ", logit " + k);
                }
            }
            return true;
        });
    }

    @Test
    void poolsReduceTheirInputCounts() {
        // For all generated models with pools, an ASG average pool emits clamp(floor(Σn·(L_out/L_in) / (kh·kw)),
        // 0, T) spikes, which is floor(Σn / (kh·kw)) at equal resolutions. A max pool emits the largest count of
        // its window. Both use the counts that the simulator fed into the pool.
        Gen<Case> gen = cases(ChainOptions.defaults()).filter(c -> c.chain().model().graph().nodes().stream()
                .anyMatch(node -> node.name().startsWith("layer") && node.op().id().endsWith("pool2d")));
        Property.forAll("pools emit floor of mean or max of their input counts", gen, c -> {
            Model model = c.chain().model();
            int timesteps = c.chain().timesteps();
            SnnNetwork network = Converter.convert(model, ConversionOptions.defaults()).network();
            for (int image = 0; image < IMAGES; image++) {
                ImageResult result = simulate(network, c.images(), image * c.chain().imageBytes());
                for (int l = 0; l < network.layers().size(); l++) {
                    SpikingLayer layer = network.layers().get(l);
                    int[] input = l == 0 ? result.inputCounts() : result.neuronCounts(l - 1);
                    int[] counts = result.neuronCounts(l);
                    if (layer.type() == LayerType.MAX_POOL2D) {
                        assertArrayEquals(LayerMath.windowMaxima(layer, input), counts, "max pool " + layer.name());
                    } else if (layer.type() == LayerType.AVG_POOL2D) {
                        double levelsIn = l == 0 ? network.encoder().levels() : c.chain().activationLevels()
                                .get(l - 1);
                        double ratio = c.chain().activationLevels().get(l) / levelsIn;
                        long[] sums = LayerMath.windowSums(layer, input);
                        int area = layer.kernel()[0] * layer.kernel()[1];
                        for (int i = 0; i < counts.length; i++) {
                            double expected = Math.max(0, Math.min(Math.floor(sums[i] * ratio / area), timesteps));
                            assertEquals(expected, counts[i], 0.0, "avg pool " + layer.name() + ", neuron " + i
                                    + ", window sum " + sums[i]);
                        }
                    }
                }
            }
            return true;
        });
    }

    @Test
    void asgCountsIgnoreInputSpikeTimes() {
        // For all generated models whose first weighted layer is IF, its spikes come at uneven times. Every later
        // ASG layer still emits clamp(floor((Σ w·n + T·b) / θ), 0, T) spikes of the counts n it received, and
        // every later max pool the largest count of its window.
        Property.forAll("ASG counts depend only on input counts", cases(ChainOptions.defaults()), c -> {
            int timesteps = c.chain().timesteps();
            SnnNetwork asg = Converter.convert(c.chain().model(), ConversionOptions.defaults()).network();
            List<SpikingLayer> layers = new java.util.ArrayList<>(asg.layers());
            int first = 0;
            while (first < layers.size() && layers.get(first).type() == LayerType.MAX_POOL2D) {
                first++;
            }
            if (first == layers.size()) {
                return true;
            }
            SpikingLayer plain = layers.get(first);
            layers.set(first, plain.withNeuron(NeuronRule.IF, ResetMode.SUBTRACT, plain.threshold()));
            SnnNetwork mixed = new SnnNetwork(timesteps, asg.encoder(), layers, asg.readout(), asg.overflowBound());

            for (int image = 0; image < IMAGES; image++) {
                ImageResult result = simulate(mixed, c.images(), image * c.chain().imageBytes());
                for (int l = first + 1; l < layers.size(); l++) {
                    SpikingLayer layer = layers.get(l);
                    int[] input = result.neuronCounts(l - 1);
                    int[] counts = result.neuronCounts(l);
                    if (layer.type() == LayerType.MAX_POOL2D) {
                        assertArrayEquals(LayerMath.windowMaxima(layer, input), counts, "max pool " + layer.name());
                        continue;
                    }
                    long[] sums = LayerMath.weightedSums(layer, input);
                    for (int i = 0; i < counts.length; i++) {
                        int channel = i % layer.outputChannels();
                        long potential = sums[i] + (long) timesteps * bias(layer, channel);
                        long expected = Math.max(0, Math.min(Math.floorDiv(potential, layer.threshold()[channel]),
                                timesteps));
                        assertEquals(expected, counts[i], "layer " + layer.name() + ", neuron " + i);
                    }
                }
            }
            return true;
        });
    }

    @Test
    void ifLayersFollowReferenceNeuron() {
        // For all generated models converted to IF neurons with either reset, every hidden conv, linear or average
        // pool neuron spikes at exactly the steps where the reference IF neuron does. The reference neuron gets
        // the per-step current Σ w·s_t + b of the input spikes s_t that the simulator recorded.
        Gen<RuleCase> gen = cases(ChainOptions.defaults()).flatMap(c -> Gen.elementOf(ResetMode.SUBTRACT,
                ResetMode.ZERO).map(reset -> new RuleCase(c.chain(), c.images(), NeuronRule.IF, reset)));
        Property.forAll("IF layers spike like the reference IF neuron", gen, c -> {
            int timesteps = c.chain().timesteps();
            SnnNetwork network = Converter.convert(c.chain().model(),
                    ConversionOptions.defaults().withNeuron(c.rule()).withReset(c.reset())).network();
            Simulator simulator = new Simulator(network, Kernels.scalar());
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            for (int image = 0; image < IMAGES; image++) {
                simulator.run(c.images(), image * c.chain().imageBytes(), workspace, result);
                for (int l = 0; l < network.layers().size(); l++) {
                    SpikingLayer layer = network.layers().get(l);
                    if (layer.type() == LayerType.MAX_POOL2D) {
                        continue;
                    }
                    int[][] inputTrains = spikeTrains(workspace, l, layer.inputNeurons(), timesteps);
                    long[][] currents = new long[layer.outputNeurons()][timesteps];
                    for (int t = 0; t < timesteps; t++) {
                        long[] sums = LayerMath.weightedSums(layer, inputTrains[t]);
                        for (int i = 0; i < sums.length; i++) {
                            currents[i][t] = sums[i] + bias(layer, i % layer.outputChannels());
                        }
                    }
                    for (int i = 0; i < currents.length; i++) {
                        ReferenceIfNeuron.Trace trace = ReferenceIfNeuron.run(currents[i],
                                layer.threshold()[i % layer.outputChannels()], c.reset());
                        assertArrayEquals(spikeSteps(trace.spikes()), workspace.spikeTimes(l + 1, i),
                                "image " + image + ", layer " + layer.name() + ", neuron " + i);
                    }
                }
            }
            return true;
        });
    }

    @Test
    void synapticOpsEqualSpikesTimesFanOut() {
        // For all generated models with ASG or IF neurons, each layer's synaptic operations equal the sum over the
        // spikes it receives of the source neuron's fan-out, counted by brute force over all synapses.
        Gen<RuleCase> gen = cases(ChainOptions.defaults()).flatMap(c -> Gen.elementOf(NeuronRule.ASG, NeuronRule.IF)
                .map(rule -> new RuleCase(c.chain(), c.images(), rule, ResetMode.SUBTRACT)));
        Property.forAll("synaptic operations equal spikes × fan-out", gen, c -> {
            SnnNetwork network = Converter.convert(c.chain().model(),
                    ConversionOptions.defaults().withNeuron(c.rule())).network();
            Simulator simulator = new Simulator(network, Kernels.scalar());
            Simulator.Workspace workspace = simulator.newWorkspace(true);
            ImageResult result = simulator.newResult();
            int hidden = network.layers().size();
            for (int image = 0; image < IMAGES; image++) {
                simulator.run(c.images(), image * c.chain().imageBytes(), workspace, result);
                for (int l = 0; l <= hidden; l++) {
                    SpikingLayer layer = l < hidden ? network.layers().get(l) : network.readout();
                    long[] fanOut = LayerMath.fanOut(layer);
                    long expected = 0;
                    for (int source = 0; source < fanOut.length; source++) {
                        expected += workspace.spikeTimes(l, source).length * fanOut[source];
                    }
                    assertEquals(expected, result.synapticOpsPerLayer()[l], "image " + image + ", layer "
                            + layer.name());
                }
            }
            return true;
        });
    }

    static ImageResult simulate(SnnNetwork network, byte[] images, int offset) {
        Simulator simulator = new Simulator(network, Kernels.scalar());
        ImageResult result = simulator.newResult();
        simulator.run(images, offset, simulator.newWorkspace(true), result);
        return result;
    }

    /** Returns the bias of {@code channel}, or 0 for an average pool, which has no bias array. */
    static long bias(SpikingLayer layer, int channel) {
        return layer.bias() == null ? 0 : layer.bias()[channel];
    }

    /** Returns the value of a channels-first activation at channels-last spike index {@code spikeIndex}. */
    static double atSpikeIndex(Tensor activation, int spikeIndex) {
        float[] values = activation.floats();
        if (activation.rank() != 3) {
            return values[spikeIndex];
        }
        int channels = activation.dim(0);
        int position = spikeIndex / channels;
        return values[spikeIndex % channels * activation.dim(1) * activation.dim(2) + position];
    }

    /**
     * Returns, for each input j of the ANN readout, the index of the spiking neuron of {@code lastHidden} it reads:
     * the readout reads a vector, which a "chw" flatten orders channels first and the spike map channels last.
     */
    static int[] annToSpikeIndex(Model model, SpikingLayer lastHidden) {
        int[] shape = lastHidden.outputShape();
        int size = shape[0] * shape[1] * shape[2];
        int[] index = new int[size];
        Node flatten = model.graph().node("flat");
        boolean channelsFirst = lastHidden.type() != LayerType.LINEAR
                && flatten.stringAttr("order", "chw").equals("chw");
        int plane = shape[1] * shape[2];
        for (int j = 0; j < size; j++) {
            index[j] = channelsFirst ? (j % plane) * shape[0] + j / plane : j;
        }
        return index;
    }

    /** Returns trains[t][neuron] = 1 when the neuron of {@code stage} spiked at step t + 1, else 0. */
    static int[][] spikeTrains(Simulator.Workspace workspace, int stage, int neurons, int timesteps) {
        int[][] trains = new int[timesteps][neurons];
        for (int neuron = 0; neuron < neurons; neuron++) {
            for (int step : workspace.spikeTimes(stage, neuron)) {
                trains[step - 1][neuron] = 1;
            }
        }
        return trains;
    }

    /** Returns the 1-based steps at which {@code spikes} is true. */
    static int[] spikeSteps(boolean[] spikes) {
        int count = 0;
        int[] steps = new int[spikes.length];
        for (int t = 0; t < spikes.length; t++) {
            if (spikes[t]) {
                steps[count++] = t + 1;
            }
        }
        return java.util.Arrays.copyOf(steps, count);
    }
}
