package org.ratesim.convert;

import org.ratesim.RatesimException;

/** A graph the converter does not support, or integer arithmetic that could overflow. */
public class ConversionException extends RatesimException {

    public ConversionException(String message) {
        super(EXIT_CONVERSION, message);
    }
}
