package org.ratesim.sim;

import java.util.Arrays;
import java.util.List;

/**
 * Event-driven simulator of a converted spiking network, in integer arithmetic.
 *
 * <p>Time steps are t = 1..T. Layers are synchronous with zero synaptic delay: a spike emitted at step t reaches the
 * next layer in the same step t. So the engine evaluates layer by layer, each over the whole window, from the
 * previous layer's spikes grouped by step:
 * <ul>
 *   <li>IF (and IF_CTT): per step, add each input spike's weights, add the bias, then emit at most one spike per
 *       neuron whose potential reaches its threshold, subtracting the threshold (or resetting to 0).</li>
 *   <li>ASG: V = Σ input + T·b over the window, and the neuron emits clamp(floor(V/θ), 0, T) spikes at the steps t
 *       where floor(t·V/(T·θ)) increases (V clamped to [0, T·θ]): the IF response to the constant current V/T.</li>
 *   <li>Max pool: an output spikes at step t iff the largest cumulative input count of its window grows at t, so
 *       it emits exactly the window's largest input count. Passing every spike whose input count equals the window
 *       maximum would also pass ties and emit too many.</li>
 *   <li>Readout: sums Σ_t (W·s_t + b) without threshold.</li>
 * </ul>
 * Membranes start at 0 for every image.
 *
 * <p>The simulator and its network are immutable and can be shared by threads, but each thread needs its own
 * {@link Workspace}. Once a workspace has seen an image with the most spikes, runs allocate nothing.
 */
public final class Simulator {

    private final SnnNetwork network;
    private final SpikeKernels kernels;
    private final int timesteps;
    private final int[][] countTables;
    private final int[] imageShape;
    private final int encodedChannels;
    /** Hidden layers, then the readout. */
    private final Stage[] stages;
    private final int maxNeurons;
    /** Whether the first hidden layer reads pixel bytes as a constant current instead of input spikes. */
    private final boolean analog;

    /**
     * Default of {@link #denseDivisor}. On the bundled Fashion-MNIST ASG models (2 vCPU AMD EPYC, 512-bit vectors,
     * thread CPU time) the engine took 52 to 61 % of its event-only time per image at divisors 4, 8 and 10^6 (always
     * dense), and 90 to 94 % at divisor 2. So most of their layers have 25 to 50 % of their inputs active.
     */
    static final int DEFAULT_DENSE_DIVISOR = 4;

    /**
     * Input fraction that selects the dense strategy: an ASG layer is computed densely when at least one input in
     * denseDivisor has spiked in the window, and an IF layer in each step where one in denseDivisor spiked. So 0
     * means never, 1 only when every input spiked, and a divisor above the input count whenever any input spiked.
     */
    private final int denseDivisor;

    /** Whether the kernels check for int32 overflow, so the average-pool delivery must check too. */
    private final boolean checkOverflow;

    /** One layer prepared for simulation. */
    private static final class Stage {
        final SpikingLayer layer;
        final LayerGeometry geometry;
        /** Target neurons that a spike of each input neuron reaches. */
        final int[] fanOut;
        final int positions;
        final int channels;
        final int[] bias;
        final boolean hasBias;
        /**
         * Conv2d weights as [Cin, KH, KW reversed, Cout] for ungrouped layers with stride 1 and dilation 1 in the
         * width, else null. The KW taps of one kernel row then reach KW adjacent output columns whose membranes
         * are contiguous, so one kernel call adds the whole row.
         */
        final short[] rowWeights;
        /** padLeft − (KW − 1): input column iw plus this is the output column of tap KW − 1, the first of a row. */
        final int rowColumnShift;
        /**
         * Weights for the dense strategy, or null when the layer has none: linear weights as stored ([in, out]),
         * conv2d weights as [KH, KW, Cin, Cout] for ungrouped layers with dilation 1 in the width. The inputs of
         * one kernel row of an output position are then KW × Cin contiguous channel-last counts, and their weights
         * are KW × Cin contiguous runs of Cout.
         */
        final short[] denseWeights;

        Stage(SpikingLayer layer) {
            this.layer = layer;
            this.geometry = layer.type() == LayerType.LINEAR ? null : new LayerGeometry(layer);
            this.positions = layer.outputShape()[1] * layer.outputShape()[2];
            this.channels = layer.outputChannels();
            this.bias = layer.bias();
            this.hasBias = bias != null && Arrays.stream(bias).anyMatch(b -> b != 0);
            this.rowWeights = mergedRowWeights(layer);
            this.rowColumnShift = layer.type() == LayerType.CONV2D ? layer.padding()[2] - (layer.kernel()[1] - 1) : 0;
            this.denseWeights = denseWeights(layer);
            this.fanOut = new int[layer.inputNeurons()];
            int[] in = layer.inputShape();
            for (int index = 0; index < fanOut.length; index++) {
                if (geometry == null) {
                    fanOut[index] = layer.outputNeurons();
                    continue;
                }
                int position = index / in[0];
                int reached = geometry.positionsReached(position / in[2], position % in[2]);
                fanOut[index] = layer.type() == LayerType.CONV2D ? reached * (channels / layer.groups()) : reached;
            }
        }
    }

    /** Returns the weights of {@link Stage#rowWeights}, or null when the layer's taps do not map to adjacent outputs. */
    private static short[] mergedRowWeights(SpikingLayer layer) {
        if (layer.type() != LayerType.CONV2D || layer.groups() != 1 || layer.stride()[1] != 1
                || layer.dilation()[1] != 1) {
            return null;
        }
        short[] weights = layer.weights();
        int kernelWidth = layer.kernel()[1];
        int outChannels = layer.outputChannels();
        int rows = weights.length / (kernelWidth * outChannels);
        short[] merged = new short[weights.length];
        for (int row = 0; row < rows; row++) {
            for (int kw = 0; kw < kernelWidth; kw++) {
                System.arraycopy(weights, (row * kernelWidth + kw) * outChannels, merged,
                        (row * kernelWidth + kernelWidth - 1 - kw) * outChannels, outChannels);
            }
        }
        return merged;
    }

    /** Returns the weights of {@link Stage#denseWeights}, or null when the layer has no dense strategy. */
    private static short[] denseWeights(SpikingLayer layer) {
        if (layer.type() == LayerType.LINEAR) {
            return layer.weights();
        }
        if (layer.type() != LayerType.CONV2D || layer.groups() != 1 || layer.dilation()[1] != 1) {
            return null;
        }
        short[] weights = layer.weights();
        int inChannels = layer.inputShape()[0];
        int kernelHeight = layer.kernel()[0];
        int kernelWidth = layer.kernel()[1];
        int outChannels = layer.outputChannels();
        short[] tapMajor = new short[weights.length];
        for (int c = 0; c < inChannels; c++) {
            for (int kh = 0; kh < kernelHeight; kh++) {
                for (int kw = 0; kw < kernelWidth; kw++) {
                    System.arraycopy(weights, ((c * kernelHeight + kh) * kernelWidth + kw) * outChannels, tapMajor,
                            ((kh * kernelWidth + kw) * inChannels + c) * outChannels, outChannels);
                }
            }
        }
        return tapMajor;
    }

    /** Creates a simulator of {@code network} that runs its inner loops with {@code kernels}. */
    public Simulator(SnnNetwork network, SpikeKernels kernels) {
        this(network, kernels, DEFAULT_DENSE_DIVISOR);
    }

    /** Creates a simulator that picks the dense strategy by {@code denseDivisor}, so tests can force either one. */
    Simulator(SnnNetwork network, SpikeKernels kernels, int denseDivisor) {
        if (denseDivisor < 0) {
            throw new IllegalArgumentException("invalid dense divisor " + denseDivisor + ": expected >= 0");
        }
        this.denseDivisor = denseDivisor;
        this.network = network;
        this.kernels = kernels;
        this.checkOverflow = kernels instanceof CheckedSpikeKernels;
        this.timesteps = network.timesteps();
        Encoder encoder = network.encoder();
        this.analog = encoder.type() == Encoder.Type.ANALOG;
        if (analog && (network.layers().isEmpty() || (network.layers().get(0).type() != LayerType.CONV2D
                && network.layers().get(0).type() != LayerType.LINEAR))) {
            throw new IllegalArgumentException("an analog-input network must start with a hidden conv2d or linear "
                    + "layer, which receives the pixel bytes as a constant current");
        }
        if (timesteps < 1) {
            throw new IllegalArgumentException("invalid timesteps " + timesteps + ": expected at least 1");
        }
        this.countTables = InputEncoding.countTables(encoder, timesteps);
        this.imageShape = encoder.shape();
        this.encodedChannels = encoder.encodedChannels();

        List<SpikingLayer> layers = network.layers();
        stages = new Stage[layers.size() + 1];
        int[] shape = {encodedChannels, imageShape[1], imageShape[2]};
        int largest = encodedChannels * imageShape[1] * imageShape[2];
        for (int l = 0; l <= layers.size(); l++) {
            SpikingLayer layer = l < layers.size() ? layers.get(l) : network.readout();
            checkLayer(layer, shape, l == layers.size());
            stages[l] = new Stage(layer);
            shape = layer.outputShape();
            largest = Math.max(largest, layer.outputNeurons());
        }
        this.maxNeurons = largest;
    }

    private static void checkLayer(SpikingLayer layer, int[] inputShape, boolean isReadout) {
        String name = "layer '" + layer.name() + "'";
        int inputs = inputShape[0] * inputShape[1] * inputShape[2];
        if (layer.inputNeurons() != inputs
                || (layer.type() != LayerType.LINEAR && !Arrays.equals(layer.inputShape(), inputShape))) {
            throw new IllegalArgumentException(name + " has input shape " + Arrays.toString(layer.inputShape())
                    + " but the previous layer produces " + Arrays.toString(inputShape));
        }
        if (isReadout != (layer.neuron() == NeuronRule.ACCUMULATE)) {
            throw new IllegalArgumentException(name + " has neuron rule " + layer.neuron().id()
                    + ": the readout must accumulate and hidden layers must spike");
        }
        if (isReadout && layer.type() != LayerType.LINEAR && layer.type() != LayerType.CONV2D) {
            throw new IllegalArgumentException(name + " is a " + layer.type().id()
                    + " readout: expected linear or conv2d");
        }
        boolean weighted = layer.type() == LayerType.LINEAR || layer.type() == LayerType.CONV2D;
        if (weighted) {
            long expected = layer.type() == LayerType.LINEAR ? (long) inputs * layer.outputNeurons()
                    : (long) layer.inputShape()[0] * layer.kernel()[0] * layer.kernel()[1]
                    * (layer.outputChannels() / layer.groups());
            if (layer.weights() == null || layer.weights().length != expected) {
                throw new IllegalArgumentException(name + " has " + (layer.weights() == null ? "no"
                        : String.valueOf(layer.weights().length)) + " weights: expected " + expected);
            }
        }
        if (layer.bias() != null && layer.bias().length != layer.outputChannels()) {
            throw new IllegalArgumentException(name + " has " + layer.bias().length + " biases: expected "
                    + layer.outputChannels());
        }
        if (!isReadout && layer.type() != LayerType.MAX_POOL2D) {
            if (layer.threshold() == null || layer.threshold().length != layer.outputChannels()) {
                throw new IllegalArgumentException(name + " needs one threshold per output channel ("
                        + layer.outputChannels() + ")");
            }
            for (int threshold : layer.threshold()) {
                if (threshold < 1) {
                    throw new IllegalArgumentException(name + " has threshold " + threshold + ": expected >= 1");
                }
            }
        }
    }

    /** Returns the network this simulator runs. */
    public SnnNetwork network() {
        return network;
    }

    /** Returns the kernel set this simulator uses. */
    public SpikeKernels kernels() {
        return kernels;
    }

    /** Returns the bytes of one image: C × H × W, channels first. */
    public int imageBytes() {
        return imageShape[0] * imageShape[1] * imageShape[2];
    }

    /** Creates a workspace that records only totals. */
    public Workspace newWorkspace() {
        return new Workspace(false);
    }

    /**
     * Creates a workspace. With {@code recordSpikes} it also keeps every layer's spike times and makes
     * {@link ImageResult} carry per-neuron spike counts, which costs memory of the order of all spikes of an image.
     */
    public Workspace newWorkspace(boolean recordSpikes) {
        return new Workspace(recordSpikes);
    }

    /** Creates an empty result to pass to {@link #run}. */
    public ImageResult newResult() {
        return new ImageResult();
    }

    /** Buffers of one simulating thread. */
    public final class Workspace {

        private final boolean recordSpikes;
        /** Spike trains: the input at index 0 and hidden layer l at l + 1, or two used in turn without recording. */
        private final SpikeTrain[] trains;
        private final int[] membrane;
        private final int[] counts;
        private final int[] windowMax;
        private final int[] lastFired;
        private final int[] active;
        /** T·θ of each active ASG neuron, in the order of {@link #active}. */
        private final long[] window;
        /** (t·V) mod (T·θ) of each active ASG neuron after the last simulated step t. */
        private final long[] remainder;
        /** Constant input current of an analog network's first layer, per neuron, in its integer units. */
        private final int[] current;

        /** Index into stages of the layer being simulated, so an overflow can name it. */
        private int stage;

        private Workspace(boolean recordSpikes) {
            this.recordSpikes = recordSpikes;
            int trainCount = recordSpikes ? network.layers().size() + 1 : 2;
            trains = new SpikeTrain[trainCount];
            for (int i = 0; i < trainCount; i++) {
                trains[i] = new SpikeTrain(timesteps, maxNeurons);
            }
            membrane = new int[maxNeurons];
            counts = new int[maxNeurons];
            windowMax = new int[maxNeurons];
            lastFired = new int[maxNeurons];
            active = new int[maxNeurons];
            window = new long[maxNeurons];
            remainder = new long[maxNeurons];
            current = new int[analog ? network.layers().get(0).outputNeurons() : 0];
        }

        /** Returns whether this workspace keeps spike times and per-neuron counts. */
        public boolean recordsSpikes() {
            return recordSpikes;
        }

        /**
         * Returns the steps (1-based, increasing) at which a neuron spiked in the last run: {@code stage} 0 is the
         * input encoder, stage l + 1 is hidden layer l.
         */
        public int[] spikeTimes(int stage, int neuron) {
            if (!recordSpikes) {
                throw new IllegalStateException("spike times were not recorded: use Simulator.newWorkspace(true)");
            }
            SpikeTrain train = trains[stage];
            int[] times = new int[timesteps];
            int count = 0;
            for (int t = 1; t <= timesteps; t++) {
                for (int e = train.stepBegin(t); e < train.stepEnd(t); e++) {
                    if (train.events[e] == neuron) {
                        times[count++] = t;
                    }
                }
            }
            return Arrays.copyOf(times, count);
        }

        private SpikeTrain train(int stage) {
            return trains[recordSpikes ? stage : stage % 2];
        }

        private Simulator owner() {
            return Simulator.this;
        }
    }

    /**
     * Simulates the image that starts at {@code images[imageOffset]} (C × H × W bytes, channels first) and writes
     * the outcome to {@code out}.
     *
     * @throws IntegerOverflowException naming the layer, only when the kernels are {@link CheckedSpikeKernels}
     */
    public void run(byte[] images, int imageOffset, Workspace ws, ImageResult out) {
        if (ws.owner() != this) {
            throw new IllegalArgumentException("the workspace belongs to another simulator: create it with "
                    + "newWorkspace() of this one");
        }
        if (imageOffset < 0 || imageOffset > images.length - imageBytes()) {
            throw new IndexOutOfBoundsException("image at offset " + imageOffset + " of " + imageBytes()
                    + " bytes does not fit in " + images.length + " bytes");
        }
        out.prepare(network, ws.recordSpikes);
        try {
            simulate(images, imageOffset, ws, out);
        } catch (IntegerOverflowException e) {
            throw e.inLayer(stages[ws.stage].layer.name());
        }
    }

    private void simulate(byte[] images, int imageOffset, Workspace ws, ImageResult out) {
        SpikeTrain input = ws.train(0);
        if (analog) {
            // No input spikes: the first layer integrates the pixels as a constant current.
            input.clear();
            for (int t = 1; t <= timesteps; t++) {
                input.endStep(t);
            }
            out.inputSpikes = 0;
            if (ws.recordSpikes) {
                Arrays.fill(out.inputCounts, 0);
            }
        } else {
            out.inputSpikes = encode(images, imageOffset, ws, input);
            if (ws.recordSpikes) {
                System.arraycopy(ws.counts, 0, out.inputCounts, 0, out.inputCounts.length);
            }
        }

        SpikeTrain current = input;
        int hidden = stages.length - 1;
        for (int l = 0; l < hidden; l++) {
            Stage stage = stages[l];
            ws.stage = l;
            SpikeTrain next = ws.train(l + 1);
            next.clear();
            long ops;
            if (analog && l == 0) {
                ops = runAnalog(stage, images, imageOffset, next, ws);
            } else if (stage.layer.type() == LayerType.MAX_POOL2D) {
                ops = runMaxPool(stage, current, next, ws);
            } else if (stage.layer.neuron() == NeuronRule.ASG) {
                ops = runAsg(stage, current, next, ws);
            } else {
                ops = runIf(stage, current, next, ws);
            }
            out.synapticOpsPerLayer[l] = ops;
            out.spikesPerLayer[l] = next.size;
            if (ws.recordSpikes) {
                int[] layerCounts = out.neuronCounts[l];
                Arrays.fill(layerCounts, 0);
                for (int e = 0; e < next.size; e++) {
                    layerCounts[next.events[e]]++;
                }
            }
            current = next;
        }
        ws.stage = hidden;
        out.synapticOpsPerLayer[hidden] = runReadout(stages[hidden], current, ws, out);
    }

    /** Encodes the image into input spikes, leaves the per-neuron counts in ws.counts and returns their sum. */
    private long encode(byte[] images, int offset, Workspace ws, SpikeTrain train) {
        int channels = imageShape[0];
        int height = imageShape[1];
        int width = imageShape[2];
        int groups = countTables.length;
        int[] counts = ws.counts;
        int[] active = ws.active;
        int activeCount = 0;
        long total = 0;
        int index = 0;
        // Loop order h, w, g, c visits neuron indices (h·W + w)·G·C + g·C + c in increasing order.
        for (int h = 0; h < height; h++) {
            for (int w = 0; w < width; w++) {
                for (int g = 0; g < groups; g++) {
                    int[] table = countTables[g];
                    for (int c = 0; c < channels; c++, index++) {
                        int pixel = images[offset + (c * height + h) * width + w] & 0xFF;
                        int count = table[pixel];
                        counts[index] = count;
                        total += count;
                        if (count > 0) {
                            active[activeCount++] = index;
                        }
                    }
                }
            }
        }

        train.clear();
        for (int t = 1; t <= timesteps; t++) {
            train.reserve(activeCount);
            for (int a = 0; a < activeCount; a++) {
                int neuron = active[a];
                if (InputEncoding.firesAt(t, counts[neuron], timesteps)) {
                    train.add(neuron);
                }
            }
            train.endStep(t);
        }
        return total;
    }

    /** Adds {@code multiplier} spikes of input neuron {@code source} to the membranes of its targets. */
    private void deliver(Stage stage, int source, int[] membrane, int multiplier) {
        switch (stage.layer.type()) {
            case LINEAR:
                deliverLinear(stage, source, membrane, multiplier);
                break;
            case AVG_POOL2D:
                if (checkOverflow) {
                    deliverAvgPoolChecked(stage, source, membrane, multiplier);
                } else {
                    deliverAvgPool(stage, source, membrane, multiplier);
                }
                break;
            default:
                deliverConv(stage, source, membrane, multiplier);
                break;
        }
    }

    private void deliverLinear(Stage stage, int source, int[] membrane, int multiplier) {
        int outputs = stage.channels;
        short[] weights = stage.layer.weights();
        if (multiplier == 1) {
            kernels.accumulate(membrane, 0, weights, source * outputs, outputs);
        } else {
            kernels.accumulateScaled(membrane, 0, weights, source * outputs, outputs, multiplier);
        }
    }

    private static void deliverAvgPool(Stage stage, int source, int[] membrane, int multiplier) {
        LayerGeometry geometry = stage.geometry;
        int channel = source % geometry.inChannels;
        int position = source / geometry.inChannels;
        int ih = position / geometry.inWidth;
        int iw = position % geometry.inWidth;
        // The converter's window bound covers T·kh·kw·weightValue, so the product fits int32.
        int charge = multiplier * stage.layer.weightValue();
        for (int r = geometry.rowStart[ih]; r < geometry.rowStart[ih + 1]; r++) {
            int rowBase = geometry.rowOut[r] * geometry.outWidth;
            for (int q = geometry.colStart[iw]; q < geometry.colStart[iw + 1]; q++) {
                membrane[(rowBase + geometry.colOut[q]) * geometry.outChannels + channel] += charge;
            }
        }
    }

    /** Does what {@link #deliverAvgPool} does, with the overflow checks of {@link CheckedSpikeKernels}. */
    private static void deliverAvgPoolChecked(Stage stage, int source, int[] membrane, int multiplier) {
        LayerGeometry geometry = stage.geometry;
        int channel = source % geometry.inChannels;
        int position = source / geometry.inChannels;
        int ih = position / geometry.inWidth;
        int iw = position % geometry.inWidth;
        int weight = stage.layer.weightValue();
        for (int r = geometry.rowStart[ih]; r < geometry.rowStart[ih + 1]; r++) {
            int rowBase = geometry.rowOut[r] * geometry.outWidth;
            for (int q = geometry.colStart[iw]; q < geometry.colStart[iw + 1]; q++) {
                int index = (rowBase + geometry.colOut[q]) * geometry.outChannels + channel;
                membrane[index] = CheckedSpikeKernels.add("avgPool", index, membrane[index], multiplier, weight);
            }
        }
    }

    /** Adds the weights of every kernel tap: each tap is one contiguous run of Cout/groups input-major weights. */
    private void deliverConv(Stage stage, int source, int[] membrane, int multiplier) {
        LayerGeometry geometry = stage.geometry;
        SpikingLayer layer = stage.layer;
        int channel = source % geometry.inChannels;
        int position = source / geometry.inChannels;
        int ih = position / geometry.inWidth;
        int iw = position % geometry.inWidth;
        int perGroupOut = geometry.outChannels / layer.groups();
        int group = channel / (geometry.inChannels / layer.groups());
        short[] weights = layer.weights();

        if (stage.rowWeights != null && geometry.colStart[iw + 1] - geometry.colStart[iw] == geometry.kernelWidth) {
            // Every tap of a row is inside the map: output columns iw + padLeft − kw for kw = KW − 1 .. 0 are
            // adjacent, so one call adds the reversed row. The sums are the same integer additions as below.
            int rowLength = geometry.kernelWidth * perGroupOut;
            int firstColumn = iw + stage.rowColumnShift;
            for (int r = geometry.rowStart[ih]; r < geometry.rowStart[ih + 1]; r++) {
                int membraneOffset = (geometry.rowOut[r] * geometry.outWidth + firstColumn) * geometry.outChannels;
                int weightOffset = (channel * geometry.kernelHeight + geometry.rowKernel[r]) * rowLength;
                if (multiplier == 1) {
                    kernels.accumulate(membrane, membraneOffset, stage.rowWeights, weightOffset, rowLength);
                } else {
                    kernels.accumulateScaled(membrane, membraneOffset, stage.rowWeights, weightOffset, rowLength,
                            multiplier);
                }
            }
            return;
        }
        for (int r = geometry.rowStart[ih]; r < geometry.rowStart[ih + 1]; r++) {
            int rowBase = geometry.rowOut[r] * geometry.outWidth;
            int weightRow = (channel * geometry.kernelHeight + geometry.rowKernel[r]) * geometry.kernelWidth;
            for (int q = geometry.colStart[iw]; q < geometry.colStart[iw + 1]; q++) {
                int membraneOffset = (rowBase + geometry.colOut[q]) * geometry.outChannels + group * perGroupOut;
                int weightOffset = (weightRow + geometry.colKernel[q]) * perGroupOut;
                if (multiplier == 1) {
                    kernels.accumulate(membrane, membraneOffset, weights, weightOffset, perGroupOut);
                } else {
                    kernels.accumulateScaled(membrane, membraneOffset, weights, weightOffset, perGroupOut,
                            multiplier);
                }
            }
        }
    }

    /**
     * Returns whether to compute a layer densely from its input counts, over the window for ASG and per step for IF.
     * The dense strategy does work for every input but keeps the sums of one output position in registers, so it
     * wins once enough inputs are active.
     * {@link CheckedSpikeKernels} always get the event order, which is the order their overflow report follows.
     */
    private boolean useDense(Stage stage, int activeInputs, int inputs) {
        return stage.denseWeights != null && !checkOverflow && (long) activeInputs * denseDivisor >= inputs
                && activeInputs > 0;
    }

    /**
     * Adds {@code Σ_j counts[j] × W[j, o]} for every output o, one output position at a time: each kernel row that
     * lies inside the input map is one {@link SpikeKernels#accumulateDense} call over its KW × Cin inputs, clipped at
     * the left and right borders.
     */
    private void deliverDense(Stage stage, int[] counts, int[] membrane) {
        SpikingLayer layer = stage.layer;
        int outChannels = stage.channels;
        if (layer.type() == LayerType.LINEAR) {
            kernels.accumulateDense(membrane, 0, outChannels, counts, 0, layer.inputNeurons(), stage.denseWeights, 0,
                    outChannels);
            return;
        }
        int[] in = layer.inputShape();
        int inChannels = in[0];
        int inHeight = in[1];
        int inWidth = in[2];
        int outHeight = layer.outputShape()[1];
        int outWidth = layer.outputShape()[2];
        int kernelHeight = layer.kernel()[0];
        int kernelWidth = layer.kernel()[1];
        int strideH = layer.stride()[0];
        int strideW = layer.stride()[1];
        int dilationH = layer.dilation()[0];
        int padTop = layer.padding()[0];
        int padLeft = layer.padding()[2];
        int tapLength = inChannels * outChannels;
        for (int oh = 0; oh < outHeight; oh++) {
            for (int ow = 0; ow < outWidth; ow++) {
                int membraneOffset = (oh * outWidth + ow) * outChannels;
                int firstColumn = ow * strideW - padLeft;
                int kwFrom = Math.max(0, -firstColumn);
                int kwTo = Math.min(kernelWidth, inWidth - firstColumn);
                if (kwFrom >= kwTo) {
                    continue;
                }
                for (int kh = 0; kh < kernelHeight; kh++) {
                    int ih = oh * strideH - padTop + kh * dilationH;
                    if (ih < 0 || ih >= inHeight) {
                        continue;
                    }
                    int countOffset = (ih * inWidth + firstColumn + kwFrom) * inChannels;
                    int weightOffset = (kh * kernelWidth + kwFrom) * tapLength;
                    kernels.accumulateDense(membrane, membraneOffset, outChannels, counts, countOffset,
                            (kwTo - kwFrom) * inChannels, stage.denseWeights, weightOffset, outChannels);
                }
            }
        }
    }

    private long runIf(Stage stage, SpikeTrain in, SpikeTrain out, Workspace ws) {
        SpikingLayer layer = stage.layer;
        int neurons = layer.outputNeurons();
        int[] membrane = ws.membrane;
        Arrays.fill(membrane, 0, neurons, 0);
        boolean resetToZero = layer.reset() == ResetMode.ZERO;
        int inputs = layer.inputNeurons();
        int[] counts = ws.counts;
        Arrays.fill(counts, 0, inputs, 0);
        long ops = 0;
        for (int t = 1; t <= timesteps; t++) {
            int begin = in.stepBegin(t);
            int end = in.stepEnd(t);
            for (int e = begin; e < end; e++) {
                ops += stage.fanOut[in.events[e]];
            }
            // A neuron spikes at most once per step, so the step's events are its active inputs.
            if (useDense(stage, end - begin, inputs)) {
                for (int e = begin; e < end; e++) {
                    counts[in.events[e]]++;
                }
                deliverDense(stage, counts, membrane);
                for (int e = begin; e < end; e++) {
                    counts[in.events[e]] = 0;
                }
            } else {
                for (int e = begin; e < end; e++) {
                    deliver(stage, in.events[e], membrane, 1);
                }
            }
            if (stage.hasBias) {
                kernels.addBias(membrane, stage.bias, 1, stage.positions, stage.channels);
            }
            out.reserve(neurons);
            out.size += kernels.fire(membrane, layer.threshold(), stage.positions, stage.channels, resetToZero,
                    out.events, out.size);
            out.endStep(t);
        }
        return ops;
    }

    /**
     * Runs an analog network's first layer: the current I = Σ w·b + bias over the raw pixel bytes b (channels
     * last) is computed once per image and added at every step, then IF neurons fire. For a constant current ASG
     * emits exactly what IF with reset by subtraction emits, so ASG layers use that rule here.
     *
     * <p>Synaptic operations count the first layer's multiply-accumulates at every step, T × the fan-out of every
     * non-zero pixel, because hardware without a per-neuron current register must inject W·x again each step.
     */
    private long runAnalog(Stage stage, byte[] images, int offset, SpikeTrain out, Workspace ws) {
        SpikingLayer layer = stage.layer;
        int neurons = layer.outputNeurons();
        int[] current = ws.current;
        int[] membrane = ws.membrane;
        Arrays.fill(current, 0, neurons, 0);
        int channels = imageShape[0];
        int height = imageShape[1];
        int width = imageShape[2];
        long macs = 0;
        int index = 0;
        for (int h = 0; h < height; h++) {
            for (int w = 0; w < width; w++) {
                for (int c = 0; c < channels; c++, index++) {
                    int pixel = images[offset + (c * height + h) * width + w] & 0xFF;
                    if (pixel != 0) {
                        macs += stage.fanOut[index];
                        // The converter bounds 255·Σ|w| + |b| per step below 2^31, so the sum fits int32.
                        deliver(stage, index, current, pixel);
                    }
                }
            }
        }
        if (stage.hasBias) {
            kernels.addBias(current, stage.bias, 1, stage.positions, stage.channels);
        }

        Arrays.fill(membrane, 0, neurons, 0);
        boolean resetToZero = layer.neuron() != NeuronRule.ASG && layer.reset() == ResetMode.ZERO;
        for (int t = 1; t <= timesteps; t++) {
            for (int i = 0; i < neurons; i++) {
                membrane[i] += current[i];
            }
            out.reserve(neurons);
            out.size += kernels.fire(membrane, layer.threshold(), stage.positions, stage.channels, resetToZero,
                    out.events, out.size);
            out.endStep(t);
        }
        return macs * timesteps;
    }

    private long runAsg(Stage stage, SpikeTrain in, SpikeTrain out, Workspace ws) {
        SpikingLayer layer = stage.layer;
        int inputs = layer.inputNeurons();
        int neurons = layer.outputNeurons();
        int[] counts = ws.counts;
        int[] membrane = ws.membrane;
        Arrays.fill(counts, 0, inputs, 0);
        int activeInputs = 0;
        long ops = 0;
        for (int e = 0; e < in.size; e++) {
            int source = in.events[e];
            if (counts[source]++ == 0) {
                activeInputs++;
            }
            ops += stage.fanOut[source];
        }

        // Adds each input's whole count at once: Σ_t W·s_t = W·n, bounded by T·Σ|w| <= the window bound.
        Arrays.fill(membrane, 0, neurons, 0);
        if (useDense(stage, activeInputs, inputs)) {
            deliverDense(stage, counts, membrane);
        } else {
            for (int source = 0; source < inputs; source++) {
                int count = counts[source];
                if (count > 0) {
                    deliver(stage, source, membrane, count);
                }
            }
        }
        if (stage.hasBias) {
            kernels.addBias(membrane, stage.bias, timesteps, stage.positions, stage.channels);
        }

        int[] threshold = layer.threshold();
        int[] active = ws.active;
        long[] window = ws.window;
        long[] remainder = ws.remainder;
        int activeCount = 0;
        int index = 0;
        for (int p = 0; p < stage.positions; p++) {
            for (int c = 0; c < stage.channels; c++, index++) {
                int theta = threshold[c];
                if (membrane[index] >= theta) {
                    // Clamping to T·θ keeps the value <= the int potential, so it fits int32.
                    long full = (long) timesteps * theta;
                    membrane[index] = (int) Math.min(membrane[index], full);
                    active[activeCount] = index;
                    window[activeCount] = full;
                    remainder[activeCount] = 0;
                    activeCount++;
                }
            }
        }

        // The neuron spikes at step t iff floor(t·V/W) > floor((t−1)·V/W) with W = T·θ. Because 0 < V <= W, that
        // is true iff ((t−1)·V mod W) + V >= W, so a running remainder replaces two long divisions per step.
        // The remainder stays below W < 2^62 and the sum below 2·W, so both fit a long.
        for (int t = 1; t <= timesteps; t++) {
            out.reserve(activeCount);
            for (int a = 0; a < activeCount; a++) {
                int neuron = active[a];
                long sum = remainder[a] + membrane[neuron];
                if (sum >= window[a]) {
                    sum -= window[a];
                    out.add(neuron);
                }
                remainder[a] = sum;
            }
            out.endStep(t);
        }
        return ops;
    }

    private long runMaxPool(Stage stage, SpikeTrain in, SpikeTrain out, Workspace ws) {
        SpikingLayer layer = stage.layer;
        LayerGeometry geometry = stage.geometry;
        int channels = geometry.inChannels;
        int[] counts = ws.counts;
        int[] windowMax = ws.windowMax;
        int[] lastFired = ws.lastFired;
        Arrays.fill(counts, 0, layer.inputNeurons(), 0);
        Arrays.fill(windowMax, 0, layer.outputNeurons(), 0);
        Arrays.fill(lastFired, 0, layer.outputNeurons(), 0);

        long ops = 0;
        for (int t = 1; t <= timesteps; t++) {
            out.reserve(layer.outputNeurons());
            for (int e = in.stepBegin(t); e < in.stepEnd(t); e++) {
                int source = in.events[e];
                ops += stage.fanOut[source];
                int count = ++counts[source];

                int channel = source % channels;
                int position = source / channels;
                int ih = position / geometry.inWidth;
                int iw = position % geometry.inWidth;
                for (int r = geometry.rowStart[ih]; r < geometry.rowStart[ih + 1]; r++) {
                    int rowBase = geometry.rowOut[r] * geometry.outWidth;
                    for (int q = geometry.colStart[iw]; q < geometry.colStart[iw + 1]; q++) {
                        int target = (rowBase + geometry.colOut[q]) * channels + channel;
                        // Every layer type emits at most one spike per neuron and step, so the window maximum
                        // grows by at most 1 per step and this emits exactly the final maximum.
                        if (count > windowMax[target]) {
                            windowMax[target] = count;
                            if (lastFired[target] != t) {
                                lastFired[target] = t;
                                out.add(target);
                            }
                        }
                    }
                }
            }
            out.endStep(t);
        }
        return ops;
    }

    private long runReadout(Stage stage, SpikeTrain in, Workspace ws, ImageResult result) {
        int neurons = stage.layer.outputNeurons();
        int[] membrane = ws.membrane;
        Arrays.fill(membrane, 0, neurons, 0);
        long ops = 0;
        for (int e = 0; e < in.size; e++) {
            int source = in.events[e];
            ops += stage.fanOut[source];
            deliver(stage, source, membrane, 1);
        }
        if (stage.hasBias) {
            kernels.addBias(membrane, stage.bias, timesteps, stage.positions, stage.channels);
        }
        int best = 0;
        for (int i = 0; i < neurons; i++) {
            result.readout[i] = membrane[i];
            if (membrane[i] > membrane[best]) {
                best = i;
            }
        }
        result.prediction = best;
        return ops;
    }
}
