package org.ratesim.cli;

import org.ratesim.sim.Kernels;

/** Version line: ratesim's version, the Java runtime and the active kernel set. */
final class Version {

    private Version() {
    }

    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version != null ? version : "development build";
    }

    static String describe() {
        return "ratesim " + version() + " (Java " + System.getProperty("java.version") + ", kernels "
                + Kernels.get().name() + ")";
    }
}
