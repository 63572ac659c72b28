package org.ratesim.io;

import org.ratesim.RatesimException;

/** A dataset file that is corrupt or does not fit the model; the message names the file and the constraint. */
public class InvalidDataException extends RatesimException {

    public InvalidDataException(String message) {
        super(EXIT_INVALID_DATA, message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(EXIT_INVALID_DATA, message, cause);
    }
}
