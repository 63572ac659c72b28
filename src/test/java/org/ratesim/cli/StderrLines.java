package org.ratesim.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Splits the tool's stderr into error lines and the informational lines that may surround them. */
final class StderrLines {

    /** The JVM prints this when started with {@code --add-modules jdk.incubator.vector}. */
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules";
    /** ratesim prints this once per JVM when it falls back to the scalar kernels. */
    private static final String SCALAR_HINT = "ratesim: using scalar kernels";
    /** Start and progress lines of run: "ratesim: MODEL: 2 images, T = ..." and "ratesim: MODEL: 32/100 images". */
    private static final Pattern PROGRESS = Pattern.compile("ratesim: .*: \\d+(/\\d+)? images[ ,].*");

    private StderrLines() {
    }

    /** Returns the stderr lines that are neither JVM warnings, the kernel hint nor progress. */
    static List<String> errors(String stderr) {
        List<String> lines = new ArrayList<>();
        for (String line : stderr.split("\\R")) {
            boolean informational = line.isEmpty() || line.startsWith(INCUBATOR_WARNING)
                    || line.startsWith(SCALAR_HINT) || PROGRESS.matcher(line).matches();
            if (!informational) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Returns whether stderr has no Java stack trace frame or uncaught-exception header. */
    static boolean hasNoStackTrace(String stderr) {
        return !stderr.contains("\tat ") && !stderr.contains("Exception in thread");
    }
}
