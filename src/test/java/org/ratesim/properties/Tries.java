package org.ratesim.properties;

import org.ratesim.testing.Property;

/** Try budgets of properties that cost more per try than the default 1000 tries allow in CI. */
final class Tries {

    private Tries() {
    }

    /**
     * Returns the configuration from {@code -Dratesim.seed} and {@code -Dratesim.tries} with the tries divided by
     * {@code divisor}, but at least 1. A rerun with one try therefore still runs exactly that try.
     */
    static Property.Config divided(int divisor) {
        Property.Config config = Property.Config.fromSystemProperties();
        return config.withTries(Math.max(1, config.tries() / divisor));
    }
}
