package org.ratesim.cli;

/** The text of {@code --help}. */
final class Help {

    private Help() {
    }

    static final String TEXT = String.join("\n",
            "ratesim: convert ANNs to low-latency rate-encoded spiking networks and simulate them event by event",
            "",
            "Usage:",
            "  java -jar sim.jar MODEL...                  same as 'run MODEL...'",
            "  java -jar sim.jar run MODEL... [options]    convert (unless the file holds a spiking network) and",
            "                                              evaluate the SNN, the integer ANN and the float ANN",
            "  java -jar sim.jar info MODEL [--json]       print the graph, shapes, T, L, parameters and MACs",
            "  java -jar sim.jar convert MODEL -o OUT [conversion options]",
            "                                              write MODEL with its converted spiking network to OUT",
            "  java -jar sim.jar --version                 print the version and the active kernel set",
            "  java -jar sim.jar --help                    print this text",
            "",
            "Options of run:",
            "  --images IDX      test images, IDX format, gzipped or plain (default: the samples embedded in MODEL)",
            "  --labels IDX      test labels, IDX format; required with --images",
            "  --limit N         evaluate only the first N images (default: all)",
            "  --threads N       worker threads, 1 to 1024 (default: available processors); results are identical",
            "                    for any N except images per second",
            "  --json            print one JSON document instead of a table",
            "  --no-check        skip the integer quantized ANN and the exactness check (faster)",
            "",
            "Conversion options (run and convert):",
            "  --neuron RULE     hidden neuron rule: asg (exact, default), if (plain integrate-and-fire), or",
            "                    if-ctt (calibrated per-channel thresholds stored in MODEL)",
            "  --reset MODE      IF reset: subtract (default) or zero",
            "  --epsilon E       threshold margin: threshold = T/L - E, in activation units (default 0)",
            "",
            "Other options:",
            "  --debug           print stack traces of errors",
            "",
            "Output: results go to stdout (a table, or JSON with --json); progress and warnings go to stderr.",
            "SIMD kernels need 'java --add-modules jdk.incubator.vector -jar sim.jar ...'; without it the scalar",
            "kernels give identical results, more slowly. -Dratesim.simd=auto|off|on picks them (default auto).",
            "",
            "Exit codes:",
            "  0  success",
            "  1  internal error (a bug; rerun with --debug and report it)",
            "  2  bad command line: unknown option, missing or malformed value, unreadable path",
            "  3  invalid model file",
            "  4  invalid dataset, or one that does not fit the model",
            "  5  model cannot be converted: unsupported graph, or integer arithmetic that could overflow",
            "  6  integer overflow found at run time",
            "");
}
