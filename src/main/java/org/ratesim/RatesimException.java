package org.ratesim;

/**
 * Base of the errors ratesim reports to users; each kind maps to one documented exit code of the command-line tool.
 *
 * <p>Messages are one line: what is wrong, on which value, and what to do.
 */
public class RatesimException extends RuntimeException {

    /** Exit code of an internal error (a bug). */
    public static final int EXIT_INTERNAL = 1;
    /** Exit code of a bad command line: unknown flag, missing or malformed value, unreadable path. */
    public static final int EXIT_USAGE = 2;
    /** Exit code of an invalid model file. */
    public static final int EXIT_INVALID_MODEL = 3;
    /** Exit code of an invalid dataset file, or one that does not fit the model. */
    public static final int EXIT_INVALID_DATA = 4;
    /** Exit code of a model that cannot be converted: unsupported graph or a possible integer overflow. */
    public static final int EXIT_CONVERSION = 5;
    /** Exit code of a run-time overflow found by {@code --check-overflow}. */
    public static final int EXIT_OVERFLOW = 6;

    private final int exitCode;

    public RatesimException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public RatesimException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
