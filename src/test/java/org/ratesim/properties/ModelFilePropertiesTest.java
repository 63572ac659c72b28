package org.ratesim.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ratesim.io.InvalidModelException;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelReader;
import org.ratesim.io.ModelWriter;
import org.ratesim.model.Dataset;
import org.ratesim.model.Graph;
import org.ratesim.model.InputSpec;
import org.ratesim.model.Model;
import org.ratesim.sim.SnnNetwork;
import org.ratesim.sim.SpikingLayer;
import org.ratesim.testing.Gen;
import org.ratesim.testing.ModelGen;
import org.ratesim.testing.ModelGen.ChainOptions;
import org.ratesim.testing.Property;

/** Writing and reading generated model files, intact and mutated. */
class ModelFilePropertiesTest {

    /** A valid file's bytes after {@code description} was applied to them. */
    record Mutated(byte[] bytes, String description) {
        @Override
        public String toString() {
            return "Mutated[" + description + ", " + bytes.length + " bytes]";
        }
    }

    @Test
    void writeThenReadKeepsEverything() {
        // For all generated model files (with or without samples and SNN), reading the written bytes gives the
        // same graph, tensors, samples and spiking network, and writing that again gives the same bytes.
        Property.forAll("model file round trip", ModelGen.modelFiles(ChainOptions.defaults()), file -> {
            byte[] bytes = ModelWriter.toBytes(file);
            ModelFile read = ModelReader.read(bytes);
            assertSameAnn(file.ann(), read.ann());
            assertSameSnn(file.snn(), read.snn());
            assertArrayEquals(bytes, ModelWriter.toBytes(read), "rewritten bytes");
            return true;
        });
    }

    @Test
    void readerRejectsMutationsWithInvalidModelException() {
        // For all generated model files, apply 1 to 4 random mutations to their bytes: bit flips, byte overwrites,
        // truncation, insertion, and edits inside the JSON header. The reader then returns a model or throws
        // InvalidModelException with a one-line message, never any other exception.
        Gen<Mutated> gen = ModelGen.modelFiles(ChainOptions.defaults()).flatMap(file -> Gen.of(random ->
                mutate(random, ModelWriter.toBytes(file))));
        Property.forAll("mutated model files read or fail with InvalidModelException", gen, mutated -> {
            try {
                ModelReader.read(mutated.bytes());
            } catch (InvalidModelException e) {
                assertNotNull(e.getMessage(), "message of " + e);
                assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"),
                        "message is not one line: " + e.getMessage());
            }
            return true;
        });
    }

    /** Applies 1 to 4 random mutations; half of them edit the JSON header, where most validation happens. */
    static Mutated mutate(SplittableRandom random, byte[] original) {
        byte[] bytes = original.clone();
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        StringBuilder description = new StringBuilder();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && bytes.length > 0; m++) {
            boolean inHeader = random.nextBoolean() && headerLength > 0 && 8 + headerLength <= bytes.length;
            int index = inHeader ? 8 + random.nextInt((int) headerLength) : random.nextInt(bytes.length);
            switch (random.nextInt(5)) {
                case 0:
                    int bit = random.nextInt(8);
                    bytes[index] ^= (byte) (1 << bit);
                    description.append("flip bit ").append(bit).append(" at ").append(index).append("; ");
                    break;
                case 1:
                    byte value = (byte) "0123456789-.e\"{}[],:tfnax ".charAt(random.nextInt(26));
                    bytes[index] = value;
                    description.append("set ").append(index).append(" to '").append((char) value).append("'; ");
                    break;
                case 2:
                    bytes = Arrays.copyOf(bytes, index);
                    description.append("truncate to ").append(index).append("; ");
                    break;
                case 3:
                    byte[] longer = new byte[bytes.length + 1];
                    System.arraycopy(bytes, 0, longer, 0, index);
                    longer[index] = (byte) random.nextInt(256);
                    System.arraycopy(bytes, index, longer, index + 1, bytes.length - index);
                    bytes = longer;
                    description.append("insert ").append(longer[index]).append(" at ").append(index).append("; ");
                    break;
                default:
                    bytes[index] = (byte) random.nextInt(256);
                    description.append("overwrite ").append(index).append(" with ").append(bytes[index])
                            .append("; ");
                    break;
            }
        }
        return new Mutated(bytes, description.toString());
    }

    static void assertSameAnn(Model expected, Model actual) {
        Graph a = expected.graph();
        Graph b = actual.graph();
        InputSpec x = a.input();
        InputSpec y = b.input();
        assertEquals(x.name(), y.name(), "input name");
        assertArrayEquals(x.shape(), y.shape(), "input shape");
        assertEquals(x.scale(), y.scale(), "input scale");
        assertArrayEquals(x.mean(), y.mean(), "input mean");
        assertArrayEquals(x.std(), y.std(), "input std");
        assertEquals(x.classes(), y.classes(), "classes");
        assertEquals(a.output(), b.output(), "graph output");
        assertEquals(a.nodes(), b.nodes(), "nodes");
        assertEquals(expected.params(), actual.params(), "parameter tensors");
        Dataset samples = expected.samples();
        if (samples == null) {
            assertNull(actual.samples(), "samples");
            return;
        }
        assertArrayEquals(samples.images(), actual.samples().images(), "sample images");
        assertArrayEquals(samples.labels(), actual.samples().labels(), "sample labels");
        assertArrayEquals(samples.shape(), actual.samples().shape(), "sample shape");
    }

    static void assertSameSnn(SnnNetwork expected, SnnNetwork actual) {
        if (expected == null) {
            assertNull(actual, "spiking network");
            return;
        }
        assertEquals(expected.timesteps(), actual.timesteps(), "timesteps");
        assertEquals(expected.overflowBound(), actual.overflowBound(), "overflow bound");
        assertEquals(expected.encoder().type(), actual.encoder().type(), "encoder type");
        assertEquals(expected.encoder().levels(), actual.encoder().levels(), "encoder levels");
        assertArrayEquals(expected.encoder().offsets(), actual.encoder().offsets(), "encoder offsets");
        assertArrayEquals(expected.encoder().shape(), actual.encoder().shape(), "encoder shape");
        assertEquals(expected.layers().size(), actual.layers().size(), "layers");
        for (int i = 0; i < expected.layers().size(); i++) {
            assertSameLayer(expected.layers().get(i), actual.layers().get(i));
        }
        assertSameLayer(expected.readout(), actual.readout());
    }

    private static void assertSameLayer(SpikingLayer a, SpikingLayer b) {
        String name = "layer " + a.name() + ": ";
        assertEquals(a.name(), b.name(), "layer name");
        assertEquals(a.type(), b.type(), name + "type");
        assertArrayEquals(a.inputShape(), b.inputShape(), name + "input shape");
        assertArrayEquals(a.outputShape(), b.outputShape(), name + "output shape");
        assertArrayEquals(a.kernel(), b.kernel(), name + "kernel");
        assertArrayEquals(a.stride(), b.stride(), name + "stride");
        assertArrayEquals(a.padding(), b.padding(), name + "padding");
        assertArrayEquals(a.dilation(), b.dilation(), name + "dilation");
        assertEquals(a.groups(), b.groups(), name + "groups");
        assertEquals(a.neuron(), b.neuron(), name + "neuron");
        assertEquals(a.reset(), b.reset(), name + "reset");
        assertEquals(a.shift(), b.shift(), name + "shift");
        assertArrayEquals(a.weights(), b.weights(), name + "weights");
        assertEquals(a.weightValue(), b.weightValue(), name + "weight value");
        assertArrayEquals(a.bias(), b.bias(), name + "bias");
        assertArrayEquals(a.threshold(), b.threshold(), name + "threshold");
    }
}
