package org.ratesim.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ratesim.model.Model;
import org.ratesim.sim.SnnNetwork;

/**
 * The contents of a model file.
 *
 * @param ann           the float ANN with its parameters and optional samples
 * @param snn           the converted spiking network, or null when the file has none
 * @param extraMetadata {@code __metadata__} entries other than format, format_version, graph and snn (for example
 *                      producer), kept so that a rewrite preserves them
 */
public record ModelFile(Model ann, SnnNetwork snn, Map<String, String> extraMetadata) {

    public ModelFile {
        extraMetadata = Collections.unmodifiableMap(new LinkedHashMap<>(extraMetadata));
    }

    /** Creates a file of an ANN without a spiking network or extra metadata. */
    public static ModelFile of(Model ann) {
        return new ModelFile(ann, null, Map.of());
    }
}
