package org.ratesim.cli;

/** Entry point of {@code sim.jar}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // NOTE: placeholder until the command-line tool lands.
        System.err.println("ratesim: no commands yet");
        System.exit(1);
    }
}
