package org.ratesim.cli;

import org.ratesim.RatesimException;

/** A bad command line: unknown flag, missing or malformed value, or an unreadable path. */
public final class UsageException extends RatesimException {

    public UsageException(String message) {
        super(EXIT_USAGE, message);
    }
}
