package org.ratesim.io;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Seeded mutation fuzzer of the model and IDX readers, run as its own process so that a small heap (-Xmx64m)
 * exposes readers that allocate what a hostile header declares.
 *
 * <p>Usage: {@code Fuzzer SEED ITERATIONS FAILURE_DIR [TESTDATA_DIR]}. Each reader gets ITERATIONS mutants of valid
 * files. A mutant passes when the reader returns a result or throws its documented exception
 * ({@link InvalidModelException} or {@link InvalidDataException}) within {@link #TIME_LIMIT_MILLIS}. Any other
 * outcome (another exception, an Error such as OutOfMemoryError, or a timeout) is saved to FAILURE_DIR as a file
 * that {@code FuzzRegressionTest} can replay once it is copied to src/test/resources/fuzz-regressions/. The exit
 * status is 0 when every mutant passed and 1 otherwise.
 */
public final class Fuzzer {

    /** Time one mutant may take, in milliseconds. */
    static final long TIME_LIMIT_MILLIS = 1000;

    private static final long[] EXTREME_LONGS = {0, 1, -1, 2, 7, 8, 255, 256, 32767, 32768, 65535, 65536,
        Integer.MAX_VALUE, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
    private static final String[] HOSTILE_NUMBERS = {"0", "-1", "1", "2", "-0", "1e400", "-1e400", "1e-400",
        "99999999999999999999", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "1.5",
        "0.0", "1E+2", "65536", "31", "30"};
    private static final String[] DTYPES = {"F32", "I32", "I16", "U8", "F16", "BF16", "F64", "I64", "U16", "BOOL", ""};

    private final Random random;
    private final Path failureDir;
    private final List<byte[]> modelSeeds = new ArrayList<>();
    private final List<byte[][]> idxSeeds = new ArrayList<>();
    private ExecutorService executor = newExecutor();
    private int failures;
    private long slowestNanos;

    private Fuzzer(long seed, Path failureDir) {
        this.random = new Random(seed);
        this.failureDir = failureDir;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: Fuzzer SEED ITERATIONS FAILURE_DIR [TESTDATA_DIR]");
            System.exit(2);
        }
        long seed = Long.parseLong(args[0]);
        int iterations = Integer.parseInt(args[1]);
        Fuzzer fuzzer = new Fuzzer(seed, Path.of(args[2]));
        fuzzer.addSeeds(args.length > 3 ? Path.of(args[3]) : null);
        int[] modelCounts = fuzzer.fuzzModels(iterations);
        int[] idxCounts = fuzzer.fuzzIdx(iterations);
        System.out.printf("seed %d: model reader %d mutants (%d loaded, %d rejected), IDX reader %d mutants"
                        + " (%d loaded, %d rejected), %d failures, slowest %.1f ms, max heap %d MiB%n", seed,
                iterations, modelCounts[0], modelCounts[1], iterations, idxCounts[0], idxCounts[1], fuzzer.failures,
                fuzzer.slowestNanos / 1e6, Runtime.getRuntime().maxMemory() >> 20);
        System.exit(fuzzer.failures == 0 ? 0 : 1);
    }

    private static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fuzz-target");
            thread.setDaemon(true);
            return thread;
        });
    }

    private void addSeeds(Path testdata) throws IOException {
        modelSeeds.add(TestModels.bytes(1));
        modelSeeds.add(ModelWriter.toBytes(ModelFile.of(TestModels.ann(2))));
        if (testdata != null && Files.isDirectory(testdata)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(testdata, "*.safetensors")) {
                for (Path file : files) {
                    if (Files.size(file) <= (4 << 20)) {
                        modelSeeds.add(Files.readAllBytes(file));
                    }
                }
            }
        }
        idxSeeds.add(new byte[][] {IdxReaderTest.images(3), IdxReaderTest.labels(1, 2, 3)});
        idxSeeds.add(new byte[][] {IdxReaderTest.gzip(IdxReaderTest.images(5)),
            IdxReaderTest.gzip(IdxReaderTest.labels(0, 1, 2, 3, 4))});
    }

    // ---- model files ----

    private int[] fuzzModels(int iterations) throws Exception {
        int[] counts = new int[2];
        for (int i = 0; i < iterations; i++) {
            byte[] seed = modelSeeds.get(random.nextInt(modelSeeds.size()));
            byte[] mutant = mutateModel(seed);
            Outcome outcome = run(() -> {
                try {
                    ModelReader.read(mutant, "mutant", ReaderLimits.DEFAULTS);
                    return true;
                } catch (InvalidModelException e) {
                    return false;
                }
            });
            if (outcome.failure != null) {
                save("model-" + i + ".safetensors", mutant, outcome.failure);
            } else {
                counts[outcome.loaded ? 0 : 1]++;
            }
        }
        return counts;
    }

    private byte[] mutateModel(byte[] seed) {
        int rounds = 1 + random.nextInt(3);
        byte[] mutant = seed;
        for (int round = 0; round < rounds; round++) {
            switch (random.nextInt(9)) {
                case 0:
                    mutant = flipBits(mutant);
                    break;
                case 1:
                    mutant = setBytes(mutant);
                    break;
                case 2:
                    mutant = truncate(mutant);
                    break;
                case 3:
                    mutant = splice(mutant, modelSeeds.get(random.nextInt(modelSeeds.size())));
                    break;
                case 4:
                    mutant = setHeaderLength(mutant);
                    break;
                case 5:
                case 6:
                    mutant = editHeaderText(mutant);
                    break;
                default:
                    mutant = editStructure(mutant);
                    break;
            }
        }
        return mutant;
    }

    private byte[] setHeaderLength(byte[] file) {
        if (file.length < 8) {
            return file;
        }
        byte[] copy = file.clone();
        long current = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long value = random.nextBoolean() ? EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)]
                : current + random.nextInt(17) - 8;
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return copy;
    }

    /** Edits the header as text: numbers, dtype names, nesting, duplicated members; then fixes the length. */
    private byte[] editHeaderText(byte[] file) {
        if (file.length < 8) {
            return file;
        }
        long length = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length < 0 || length > file.length - 8) {
            return file;
        }
        String header = new String(file, 8, (int) length, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(file, 8 + (int) length, file.length);
        switch (random.nextInt(5)) {
            case 0: {
                List<int[]> numbers = findNumbers(header);
                if (!numbers.isEmpty()) {
                    int[] span = numbers.get(random.nextInt(numbers.size()));
                    header = header.substring(0, span[0]) + HOSTILE_NUMBERS[random.nextInt(HOSTILE_NUMBERS.length)]
                            + header.substring(span[1]);
                }
                break;
            }
            case 1: {
                int at = header.indexOf("\"dtype\":\"");
                if (at >= 0) {
                    int start = at + 9;
                    int end = header.indexOf('"', start);
                    header = header.substring(0, start) + DTYPES[random.nextInt(DTYPES.length)]
                            + header.substring(end);
                }
                break;
            }
            case 2: {
                int depth = random.nextInt(3) == 0 ? 100_000 : 1 + random.nextInt(80);
                int at = random.nextInt(header.length() + 1);
                header = header.substring(0, at) + "[".repeat(depth) + "]".repeat(depth) + header.substring(at);
                break;
            }
            case 3: {
                int open = header.indexOf('{', 1 + random.nextInt(Math.max(1, header.length() - 1)));
                int comma = open < 0 ? -1 : header.indexOf(',', open);
                if (comma > open) {
                    String member = header.substring(open + 1, comma);
                    header = header.substring(0, open + 1) + member + "," + header.substring(open + 1);
                }
                break;
            }
            default: {
                int at = random.nextInt(header.length() + 1);
                String[] inserts = {"\\u0000", "\\ud800", "\"", "\\", "\u00ff", ",", "}", "]", "null", " "};
                header = header.substring(0, at) + inserts[random.nextInt(inserts.length)] + header.substring(at);
                break;
            }
        }
        byte[] json = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(random.nextInt(8) == 0 ? length : json.length).put(json).put(data);
        return out.array();
    }

    private static List<int[]> findNumbers(String text) {
        List<int[]> spans = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if ((c >= '0' && c <= '9') || c == '-') {
                int start = i;
                while (i < text.length() && "0123456789.eE+-".indexOf(text.charAt(i)) >= 0) {
                    i++;
                }
                spans.add(new int[] {start, i});
            } else {
                i++;
            }
        }
        return spans;
    }

    /** Replaces, removes or adds one value of the parsed graph or snn document and rewrites a consistent file. */
    private byte[] editStructure(byte[] file) {
        EditableModel model;
        try {
            model = new EditableModel(file);
        } catch (RuntimeException e) {
            return file; // Not a parseable container any more; the byte-level mutators handle it.
        }
        Object root = model.snn != null && random.nextBoolean() ? model.snn : model.graph;
        if (random.nextInt(6) == 0 && !model.tensors.isEmpty()) {
            List<String> names = new ArrayList<>(model.tensors.keySet());
            String name = names.get(random.nextInt(names.size()));
            Safetensors.Entry entry = model.tensors.get(name);
            int[] shape = entry.shape();
            if (shape.length > 0 && random.nextBoolean()) {
                shape[random.nextInt(shape.length)] += random.nextBoolean() ? 1 : -1;
            }
            try {
                model.tensors.put(name, randomEntry(shape));
            } catch (RuntimeException e) {
                model.tensors.remove(name);
            }
        } else if (random.nextInt(3) == 0) {
            setExtremeInteger(root);
        } else {
            editTree(root, 0);
        }
        try {
            return model.bytes();
        } catch (RuntimeException e) {
            return file;
        }
    }

    private Safetensors.Entry randomEntry(int[] shape) {
        int count = Safetensors.elementCount(shape);
        switch (random.nextInt(4)) {
            case 0: {
                float[] values = new float[count];
                float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MAX_VALUE, 1f};
                for (int i = 0; i < count; i++) {
                    values[i] = specials[random.nextInt(specials.length)];
                }
                return Safetensors.Entry.ofFloats(values, shape);
            }
            case 1: {
                int[] values = new int[count];
                for (int i = 0; i < count; i++) {
                    values[i] = (int) EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)];
                }
                return Safetensors.Entry.ofInts(values, shape);
            }
            case 2:
                return Safetensors.Entry.ofShorts(new short[count], shape);
            default: {
                byte[] values = new byte[count];
                random.nextBytes(values);
                return Safetensors.Entry.ofBytes(values, shape);
            }
        }
    }

    /** Sets one integer of the document, chosen uniformly among all of them, to an extreme value. */
    @SuppressWarnings("unchecked")
    private void setExtremeInteger(Object root) {
        List<Object[]> slots = new ArrayList<>();
        collectIntegers(root, slots);
        if (slots.isEmpty()) {
            return;
        }
        Object[] slot = slots.get(random.nextInt(slots.size()));
        Long value = EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)];
        if (slot[0] instanceof Map) {
            ((Map<String, Object>) slot[0]).put((String) slot[1], value);
        } else {
            ((List<Object>) slot[0]).set((Integer) slot[1], value);
        }
    }

    /** Adds {container, key or index} for every integer leaf under {@code node}. */
    private static void collectIntegers(Object node, List<Object[]> slots) {
        if (node instanceof Map) {
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) node).entrySet()) {
                if (entry.getValue() instanceof Long) {
                    slots.add(new Object[] {node, entry.getKey()});
                } else {
                    collectIntegers(entry.getValue(), slots);
                }
            }
        } else if (node instanceof List) {
            List<?> list = (List<?>) node;
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) instanceof Long) {
                    slots.add(new Object[] {node, i});
                } else {
                    collectIntegers(list.get(i), slots);
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void editTree(Object node, int depth) {
        if (node instanceof Map) {
            Map<String, Object> map = (Map<String, Object>) node;
            if (map.isEmpty()) {
                map.put("x", hostileValue());
                return;
            }
            List<String> keys = new ArrayList<>(map.keySet());
            String key = keys.get(random.nextInt(keys.size()));
            Object child = map.get(key);
            boolean descend = (child instanceof Map || child instanceof List) && random.nextInt(4) != 0;
            if (descend) {
                editTree(child, depth + 1);
            } else if (random.nextInt(5) == 0) {
                map.remove(key);
            } else if (random.nextInt(8) == 0) {
                map.put("unknown_" + random.nextInt(10), hostileValue());
            } else {
                map.put(key, hostileValue());
            }
        } else if (node instanceof List) {
            List<Object> list = (List<Object>) node;
            if (list.isEmpty()) {
                list.add(hostileValue());
                return;
            }
            int index = random.nextInt(list.size());
            Object child = list.get(index);
            boolean descend = (child instanceof Map || child instanceof List) && random.nextInt(4) != 0;
            if (descend) {
                editTree(child, depth + 1);
            } else {
                switch (random.nextInt(4)) {
                    case 0:
                        list.remove(index);
                        break;
                    case 1:
                        list.add(random.nextInt(list.size() + 1), child);
                        break;
                    case 2:
                        if (list.size() > 1) {
                            int other = random.nextInt(list.size());
                            list.set(index, list.get(other));
                            list.set(other, child);
                        }
                        break;
                    default:
                        list.set(index, hostileValue());
                        break;
                }
            }
        }
    }

    private Object hostileValue() {
        switch (random.nextInt(12)) {
            case 0:
                return EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)];
            case 1:
                return new double[] {1e308, -1e308, 0.5, -0.0, 4.9e-324, 2.5}[random.nextInt(6)];
            case 2:
                return new String[] {"", "x", "input", "conv1", "fc", "asg", "accumulate", "conv2d", "linear",
                    "max_pool2d", "vr", "ice", "hwc", "snn.conv1.weight", "fc.weight"}[random.nextInt(15)];
            case 3:
                return "n".repeat(random.nextInt(300));
            case 4:
                return new ArrayList<>();
            case 5: {
                List<Object> list = new ArrayList<>();
                int size = random.nextInt(6);
                for (int i = 0; i < size; i++) {
                    list.add((long) (random.nextInt(21) - 10));
                }
                return list;
            }
            case 6: {
                List<Object> list = new ArrayList<>();
                for (int i = 0; i < 50_000; i++) {
                    list.add(0L);
                }
                return list;
            }
            case 7:
                return new LinkedHashMap<>();
            case 8:
                return Boolean.TRUE;
            case 9: {
                Object value = 1L;
                for (int i = 0; i < 62; i++) {
                    value = new ArrayList<>(List.of(value));
                }
                return value;
            }
            case 10:
                return List.of(1L, 1L);
            default:
                return (long) (random.nextInt(40) - 5);
        }
    }

    // ---- IDX files ----

    private int[] fuzzIdx(int iterations) throws Exception {
        int[] counts = new int[2];
        Path work = Files.createTempDirectory("ratesim-fuzz");
        Path images = work.resolve("images.idx");
        Path labels = work.resolve("labels.idx");
        try {
            for (int i = 0; i < iterations; i++) {
                byte[][] seed = idxSeeds.get(random.nextInt(idxSeeds.size()));
                byte[][] pair = {seed[0], seed[1]};
                int target = random.nextInt(4) == 0 ? 1 : 0;
                pair[target] = mutateIdx(pair[target]);
                Files.write(images, pair[0]);
                Files.write(labels, pair[1]);
                Outcome outcome = run(() -> {
                    try {
                        IdxReader.readDataset(images, labels, ReaderLimits.DEFAULTS);
                        return true;
                    } catch (InvalidDataException e) {
                        return false;
                    }
                });
                if (outcome.failure != null) {
                    save("idx-" + i + ".images", pair[0], outcome.failure);
                    save("idx-" + i + ".labels", pair[1], null);
                } else {
                    counts[outcome.loaded ? 0 : 1]++;
                }
            }
        } finally {
            Files.deleteIfExists(images);
            Files.deleteIfExists(labels);
            Files.deleteIfExists(work);
        }
        return counts;
    }

    private byte[] mutateIdx(byte[] file) throws IOException {
        boolean gzip = file.length > 2 && (file[0] & 0xFF) == 0x1f && (file[1] & 0xFF) == 0x8b;
        byte[] plain = gzip ? gunzip(file) : file;
        if (plain == null) {
            plain = file;
            gzip = false;
        }
        byte[] mutant;
        switch (random.nextInt(6)) {
            case 0:
                mutant = flipBits(plain);
                break;
            case 1:
                mutant = setBytes(plain);
                break;
            case 2:
                mutant = truncate(plain);
                break;
            case 3:
                mutant = splice(plain, plain);
                break;
            default: {
                mutant = plain.clone();
                int field = random.nextInt(Math.max(1, Math.min(4, mutant.length / 4)));
                if (mutant.length >= 4 * field + 4) {
                    long value = EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)];
                    ByteBuffer.wrap(mutant).putInt(4 * field, (int) value);
                }
                break;
            }
        }
        if (gzip || random.nextInt(5) == 0) {
            mutant = IdxReaderTest.gzip(mutant);
            if (random.nextInt(3) == 0) {
                mutant = random.nextBoolean() ? flipBits(mutant) : truncate(mutant);
            }
        }
        return mutant;
    }

    private static byte[] gunzip(byte[] file) {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(file))) {
            return in.readNBytes(1 << 20);
        } catch (IOException e) {
            return null;
        }
    }

    // ---- byte-level mutators ----

    private byte[] flipBits(byte[] input) {
        if (input.length == 0) {
            return input;
        }
        byte[] copy = input.clone();
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) {
            int at = biasedIndex(copy.length);
            copy[at] ^= (byte) (1 << random.nextInt(8));
        }
        return copy;
    }

    private byte[] setBytes(byte[] input) {
        if (input.length == 0) {
            return input;
        }
        byte[] copy = input.clone();
        int count = 1 + random.nextInt(4);
        byte[] values = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 0x20, '"', '{', '['};
        for (int i = 0; i < count; i++) {
            copy[biasedIndex(copy.length)] = random.nextBoolean() ? values[random.nextInt(values.length)]
                    : (byte) random.nextInt(256);
        }
        return copy;
    }

    private byte[] truncate(byte[] input) {
        return Arrays.copyOf(input, input.length == 0 ? 0 : random.nextInt(input.length));
    }

    /** Replaces a random range of {@code target} with a random range of {@code donor}. */
    private byte[] splice(byte[] target, byte[] donor) {
        if (target.length == 0 || donor.length == 0) {
            return target;
        }
        int from = random.nextInt(donor.length);
        int length = random.nextInt(Math.min(donor.length - from, 256) + 1);
        int at = random.nextInt(target.length);
        int removed = random.nextInt(Math.min(target.length - at, 256) + 1);
        byte[] result = new byte[target.length - removed + length];
        System.arraycopy(target, 0, result, 0, at);
        System.arraycopy(donor, from, result, at, length);
        System.arraycopy(target, at + removed, result, at + length, target.length - at - removed);
        return result;
    }

    /** Returns an index that falls in the first 64 bytes half of the time, where the headers are. */
    private int biasedIndex(int length) {
        return random.nextBoolean() ? random.nextInt(Math.min(length, 64)) : random.nextInt(length);
    }

    // ---- running ----

    private interface Target {
        boolean call() throws Exception;
    }

    /** Result of one mutant: whether it loaded, or the unexpected failure. */
    private record Outcome(boolean loaded, String failure) {
    }

    /** Runs one mutant with the time limit, retrying once after a timeout so a scheduler pause is not a failure. */
    private Outcome run(Target target) throws InterruptedException {
        String failure = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            long start = System.nanoTime();
            Future<Boolean> result = executor.submit(target::call);
            try {
                boolean loaded = result.get(TIME_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
                slowestNanos = Math.max(slowestNanos, System.nanoTime() - start);
                return new Outcome(loaded, null);
            } catch (TimeoutException e) {
                result.cancel(true);
                executor.shutdownNow();
                executor = newExecutor(); // The stuck thread is a daemon and cannot block the exit.
                failure = "timed out after " + TIME_LIMIT_MILLIS + " ms";
            } catch (java.util.concurrent.ExecutionException e) {
                StringWriter trace = new StringWriter();
                e.getCause().printStackTrace(new PrintWriter(trace));
                return new Outcome(false, trace.toString());
            }
        }
        return new Outcome(false, failure);
    }

    private void save(String name, byte[] bytes, String failure) throws IOException {
        Files.createDirectories(failureDir);
        Files.write(failureDir.resolve(name), bytes);
        if (failure != null) {
            failures++;
            System.out.println("FAILURE " + failureDir.resolve(name) + ": " + failure);
        }
    }
}
