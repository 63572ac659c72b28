package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every input under src/test/resources/fuzz-regressions/ that once made a reader fail: each must now load
 * or end in the documented exception.
 *
 * <p>{@code model-*.safetensors} files go to the model reader; {@code idx-*.images} files go to the IDX reader
 * together with the {@code .labels} file of the same name.
 */
class FuzzRegressionTest {

    @TestFactory
    Stream<DynamicTest> savedInputsEndInDocumentedOutcome() throws IOException, URISyntaxException {
        URL url = FuzzRegressionTest.class.getResource("/fuzz-regressions");
        assertTrue(url != null, "resource folder fuzz-regressions is missing");
        Path dir = Path.of(url.toURI());
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.sorted().collect(Collectors.toList());
        }
        List<Path> inputs = files.stream()
                .filter(file -> file.getFileName().toString().endsWith(".safetensors")
                        || file.getFileName().toString().endsWith(".images"))
                .collect(Collectors.toList());
        assertTrue(!inputs.isEmpty(), "no saved inputs in " + dir);
        return inputs.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> replay(file)));
    }

    private static void replay(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            try {
                ModelReader.read(file);
            } catch (InvalidModelException expected) {
                assertTrue(expected.getMessage().startsWith(name + ": "), expected.getMessage());
            }
        } else {
            Path labels = file.resolveSibling(name.replace(".images", ".labels"));
            try {
                IdxReader.readDataset(file, labels, ReaderLimits.DEFAULTS);
            } catch (InvalidDataException expected) {
                assertTrue(!expected.getMessage().contains("\n"), expected.getMessage());
            }
        }
    }
}
