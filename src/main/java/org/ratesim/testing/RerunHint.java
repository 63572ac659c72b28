package org.ratesim.testing;

/**
 * The command line that reruns a property: the Maven test selector of the calling test method, when the caller
 * can be found on the stack, and the seed and tries flags.
 */
final class RerunHint {

    private final String testSelector;

    private RerunHint(String testSelector) {
        this.testSelector = testSelector;
    }

    /**
     * Finds the method that called {@link Property}: the first stack frame below the last {@code Property} frame.
     * Its top-level class and method name select the test in Surefire's {@code -Dtest=Class#method}.
     */
    static RerunHint ofCaller() {
        StackWalker walker = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        String selector = walker.walk(frames -> frames
                .dropWhile(frame -> frame.getDeclaringClass() != Property.class)
                .dropWhile(frame -> frame.getDeclaringClass() == Property.class)
                .findFirst()
                .map(frame -> topLevel(frame.getDeclaringClass()).getSimpleName() + "#"
                        + enclosingMethod(frame.getMethodName()))
                .orElse(null));
        return new RerunHint(selector);
    }

    /**
     * Returns the method that a lambda body belongs to, so a property called inside {@code assertThrows(() -> ...)}
     * still names its test. javac names the body {@code lambda$method$N}, and other names pass unchanged.
     */
    static String enclosingMethod(String methodName) {
        if (!methodName.startsWith("lambda$")) {
            return methodName;
        }
        int end = methodName.lastIndexOf('$');
        return end > "lambda$".length() ? methodName.substring("lambda$".length(), end) : methodName;
    }

    private static Class<?> topLevel(Class<?> type) {
        Class<?> outer = type;
        while (outer.getEnclosingClass() != null) {
            outer = outer.getEnclosingClass();
        }
        return outer;
    }

    /** Returns the command that runs the property with the given seed and tries. */
    String command(long seed, int tries) {
        String flags = "-D" + Property.SEED_PROPERTY + "=" + seed + " -D" + Property.TRIES_PROPERTY + "=" + tries;
        if (testSelector == null) {
            return flags;
        }
        return "mvn -B -ntp test -Dtest=" + testSelector + " -Dsurefire.failIfNoSpecifiedTests=false " + flags;
    }
}
