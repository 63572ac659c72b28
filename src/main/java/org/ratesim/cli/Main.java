package org.ratesim.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import org.ratesim.RatesimException;

/**
 * Entry point of {@code sim.jar}: dispatches to a command and turns every error into one stderr line and a
 * documented exit code. stdout carries results only.
 */
public final class Main {

    static final String USAGE_HINT = "run 'java -jar sim.jar --help' for usage";

    private Main() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        int code = run(args, out, System.err);
        out.flush();
        System.exit(code);
    }

    /** Runs one command line and returns its exit code; library callers and tests use this instead of main. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean debug = Arrays.asList(args).contains("--debug");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
        try {
            return dispatch(rest, out, err);
        } catch (UsageException e) {
            err.println("ratesim: " + e.getMessage() + " (" + USAGE_HINT + ")");
            printTrace(debug, e, err);
            return e.exitCode();
        } catch (RatesimException e) {
            err.println("ratesim: " + e.getMessage());
            printTrace(debug, e, err);
            return e.exitCode();
        } catch (IOException e) {
            err.println("ratesim: I/O error: " + describe(e));
            printTrace(debug, e, err);
            return RatesimException.EXIT_USAGE;
        } catch (UncheckedIOException e) {
            err.println("ratesim: I/O error: " + describe(e.getCause()));
            printTrace(debug, e, err);
            return RatesimException.EXIT_USAGE;
        } catch (OutOfMemoryError e) {
            err.println("ratesim: out of memory (" + e.getMessage() + "); give the JVM more heap with -Xmx or pass"
                    + " a smaller --limit");
            return RatesimException.EXIT_INTERNAL;
        } catch (RuntimeException | StackOverflowError e) {
            err.println("ratesim: internal error: " + e + "; please report it with the command line"
                    + (debug ? "" : " (rerun with --debug for the stack trace)"));
            printTrace(debug, e, err);
            return RatesimException.EXIT_INTERNAL;
        }
    }

    /**
     * Returns the message of a file-system error with its reason. The JDK's {@link NoSuchFileException} and
     * {@link AccessDeniedException} carry only the path as their message.
     */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return ((NoSuchFileException) e).getFile() + ": no such file or directory; check the path";
        }
        if (e instanceof AccessDeniedException) {
            return ((AccessDeniedException) e).getFile() + ": permission denied; check the file's permissions";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            FileSystemException fileError = (FileSystemException) e;
            return fileError.getFile() + ": " + fileError.getReason();
        }
        return String.valueOf(e.getMessage());
    }

    private static void printTrace(boolean debug, Throwable e, PrintStream err) {
        if (debug) {
            e.printStackTrace(err);
        }
    }

    private static int dispatch(String[] args, PrintStream out, PrintStream err) throws IOException {
        if (args.length == 0) {
            throw new UsageException("missing command or model file");
        }
        String first = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (first) {
            case "--help":
            case "-h":
            case "help":
                out.print(Help.TEXT);
                return 0;
            case "--version":
            case "version":
                out.println(Version.describe());
                return 0;
            case "run":
                return RunCommand.run(rest, out, err);
            case "info":
                return InfoCommand.run(rest, out);
            case "convert":
                return ConvertCommand.run(rest, out, err);
            case "calibrate":
                return CalibrateCommand.run(rest, out, err);
            case "sweep":
                return SweepCommand.run(rest, out, err);
            case "bench":
                return BenchCommand.run(rest, out, err);
            default:
                if (first.startsWith("-")) {
                    // Options before the model file belong to the implied run command.
                    return RunCommand.run(args, out, err);
                }
                if (java.nio.file.Files.exists(Args.path(first, "model"))) {
                    return RunCommand.run(args, out, err);
                }
                throw new UsageException("unknown command or missing file '" + first + "'");
        }
    }
}
