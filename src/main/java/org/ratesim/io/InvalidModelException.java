package org.ratesim.io;

import org.ratesim.RatesimException;

/** A model file that violates the format; the message names the file part, the field and the constraint. */
public class InvalidModelException extends RatesimException {

    public InvalidModelException(String message) {
        super(EXIT_INVALID_MODEL, message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(EXIT_INVALID_MODEL, message, cause);
    }
}
