package org.ratesim.testing;

import java.util.Optional;

/**
 * Outcome of one property run: how many tries ran and, when a value failed, the failure with its shrunk value.
 *
 * @param <T> type of the generated values
 */
public final class PropertyResult<T> {

    /**
     * The first failing value and what shrinking made of it.
     *
     * @param tryNumber          1-based number of the failing try
     * @param trySeed            seed the failing try drew its value from
     * @param original           the value that failed first
     * @param originalCause      exception the predicate threw for {@code original}, or null when it returned false
     * @param shrunk             the simplest failing value shrinking found
     * @param cause              exception the predicate threw for {@code shrunk}, or null when it returned false
     * @param shrinkSteps        number of candidates that replaced the current value
     * @param shrinkCalls        number of predicate calls spent on shrinking
     * @param shrinkLimitReached whether shrinking stopped at the limit, so {@code shrunk} may not be minimal
     * @param rerunCommand       command that reruns the failing try alone
     */
    public record Failure<T>(int tryNumber, long trySeed, T original, Throwable originalCause, T shrunk,
                             Throwable cause, int shrinkSteps, int shrinkCalls, boolean shrinkLimitReached,
                             String rerunCommand) {
    }

    private final String name;
    private final Property.Config config;
    private final int triesRun;
    private final Failure<T> failure;
    private final RerunHint rerunHint;

    PropertyResult(String name, Property.Config config, int triesRun, Failure<T> failure, RerunHint rerunHint) {
        this.name = name;
        this.config = config;
        this.triesRun = triesRun;
        this.failure = failure;
        this.rerunHint = rerunHint;
    }

    public String name() {
        return name;
    }

    public Property.Config config() {
        return config;
    }

    /** Returns the number of tries that ran: all of them when the property passed, up to the failing one if not. */
    public int triesRun() {
        return triesRun;
    }

    public boolean passed() {
        return failure == null;
    }

    /** Returns the failure, or empty when the property passed. */
    public Optional<Failure<T>> failure() {
        return Optional.ofNullable(failure);
    }

    /** Returns one line when the property passed, or the multi-line failure report. */
    public String report() {
        if (failure == null) {
            return "property \"" + name + "\" passed " + triesRun + " tries (base seed " + config.seed() + ")";
        }
        StringBuilder report = new StringBuilder();
        report.append("property \"").append(name).append("\" failed at try ").append(failure.tryNumber())
                .append(" of ").append(config.tries()).append(": ").append(reason(failure.originalCause()))
                .append('\n');
        report.append("  base seed:      ").append(config.seed()).append('\n');
        report.append("  try seed:       ").append(failure.trySeed()).append('\n');
        report.append("  original value: ").append(ValueFormat.describe(failure.original())).append('\n');
        report.append("  shrunk value:   ").append(ValueFormat.describe(failure.shrunk()))
                .append(" (").append(failure.shrinkSteps()).append(" shrink steps, ")
                .append(failure.shrinkCalls()).append(" candidates tried")
                .append(failure.shrinkLimitReached() ? ", stopped at the shrink limit, so it may not be minimal" : "")
                .append(")\n");
        report.append("  shrunk failure: ").append(reason(failure.cause())).append('\n');
        report.append("  rerun this try alone: ").append(failure.rerunCommand()).append('\n');
        report.append("  rerun the whole run:  ").append(rerunHint.command(config.seed(), config.tries()));
        return report.toString();
    }

    private static String reason(Throwable cause) {
        return cause == null ? "predicate returned false" : "predicate threw " + cause;
    }

    /**
     * Does nothing when the property passed.
     *
     * @throws AssertionError with {@link #report()} as message and the shrunk value's exception as cause
     */
    public void assertPassed() {
        if (failure != null) {
            throw new AssertionError(report(), failure.cause());
        }
    }
}
