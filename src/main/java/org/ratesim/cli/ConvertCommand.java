package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import org.ratesim.convert.Conversion;
import org.ratesim.io.ModelFile;
import org.ratesim.io.ModelWriter;

/** {@code convert MODEL -o OUT}: converts the ANN and writes it together with the spiking network. */
final class ConvertCommand {

    private ConvertCommand() {
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Set<String> flags = new java.util.HashSet<>(Set.of("-o", "--output", "--neuron", "--reset", "--epsilon"));
        flags.addAll(ModelInput.BALANCING_FLAGS);
        Args args = Args.parse("convert", argv, flags, Set.of());

        if (args.positionals().size() != 1) {
            throw new UsageException("convert needs exactly one MODEL file, got " + args.positionals().size());
        }
        String output = args.string("-o", args.string("--output", null));
        if (output == null) {
            throw new UsageException("convert needs -o OUT, the file to write");
        }

        if (args.string("--neuron", "").equals("if-ctt")) {
            throw new UsageException("convert --neuron takes asg or if; per-channel thresholds come from"
                    + " 'sim.jar calibrate'");
        }

        String modelName = args.positionals().get(0);
        ModelFile model = ModelInput.readModel(modelName);
        Conversion conversion;
        if (args.has("--method")) {
            conversion = ModelInput.balancedConversion(args, model, modelName, err);
        } else {
            for (String flag : ModelInput.BALANCING_FLAGS) {
                if (args.has(flag)) {
                    throw new UsageException(flag + " applies only with --method max|p99.9");
                }
            }
            conversion = ModelInput.convert(model, ModelInput.conversionOptions(args), modelName);
        }

        ModelWriter.write(new ModelFile(model.ann(), conversion.network(), model.extraMetadata()), Path.of(output));
        out.print(conversion.formatTable());
        err.println("ratesim: wrote " + output);
        return 0;
    }
}
