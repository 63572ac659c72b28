package org.ratesim.cli;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line arguments of one command: flags with values, switches without, and positional arguments.
 *
 * <p>Every lookup validates its value and throws {@link UsageException} naming the flag, the value and the
 * expected form.
 */
final class Args {

    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * Parses {@code args} for {@code command}; {@code valueFlags} take one value ({@code --flag V} or
     * {@code --flag=V}), {@code switches} take none.
     */
    static Args parse(String command, String[] args, Set<String> valueFlags, Set<String> switches) {
        Args parsed = new Args(command);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-")) {
                parsed.positionals.add(arg);
                continue;
            }
            String flag = arg;
            String inlineValue = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                flag = arg.substring(0, equals);
                inlineValue = arg.substring(equals + 1);
            }
            if (switches.contains(flag)) {
                if (inlineValue != null) {
                    throw new UsageException("option " + flag + " takes no value, got '" + inlineValue + "'");
                }
                parsed.values.put(flag, "true");
            } else if (valueFlags.contains(flag)) {
                String value = inlineValue;
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("option " + flag + " needs a value");
                    }
                    value = args[++i];
                }
                if (parsed.values.put(flag, value) != null) {
                    throw new UsageException("option " + flag + " is given twice");
                }
            } else {
                throw new UsageException("unknown option '" + arg + "' for command '" + command + "'");
            }
        }
        return parsed;
    }

    boolean has(String flag) {
        return values.containsKey(flag);
    }

    String string(String flag, String defaultValue) {
        return values.getOrDefault(flag, defaultValue);
    }

    List<String> positionals() {
        return positionals;
    }

    int integer(String flag, int defaultValue, int min, int max) {
        String text = values.get(flag);
        if (text == null) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("invalid " + flag + " '" + text + "': expected a whole number from " + min
                    + " to " + max);
        }
        if (value < min || value > max) {
            throw new UsageException("invalid " + flag + " " + text + ": expected a whole number from " + min
                    + " to " + max);
        }
        return (int) value;
    }

    double number(String flag, double defaultValue, double min, double max) {
        String text = values.get(flag);
        if (text == null) {
            return defaultValue;
        }
        double value;
        try {
            value = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("invalid " + flag + " '" + text + "': expected a number from " + min + " to "
                    + max);
        }
        if (!(value >= min && value <= max)) {
            throw new UsageException("invalid " + flag + " " + text + ": expected a number from " + min + " to "
                    + max);
        }
        return value;
    }

    String choice(String flag, String defaultValue, String... allowed) {
        String value = values.getOrDefault(flag, defaultValue);
        for (String option : allowed) {
            if (option.equals(value)) {
                return value;
            }
        }
        throw new UsageException("invalid " + flag + " '" + value + "': expected one of " + String.join(", ", allowed));
    }

    /** Returns the path given for {@code flag} (or null), checked to be a readable regular file. */
    Path readablePath(String flag) {
        String text = values.get(flag);
        return text == null ? null : readable(text, flag);
    }

    static Path readable(String text, String what) {
        Path path = path(text, what);
        if (Files.isDirectory(path)) {
            throw new UsageException(what + ": " + text + " is a directory; expected a file");
        }
        if (!Files.exists(path)) {
            throw new UsageException(what + ": file not found: " + text);
        }
        if (!Files.isRegularFile(path)) {
            throw new UsageException(what + ": " + text + " is not a regular file; expected a file");
        }
        if (!Files.isReadable(path)) {
            throw new UsageException(what + ": file is not readable: " + text);
        }
        return path;
    }

    /** Converts {@code text} to a path, rejecting characters the file system does not allow, such as NUL. */
    static Path path(String text, String what) {
        if (text.isEmpty()) {
            throw new UsageException(what + ": the path is empty; expected a file name");
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new UsageException(what + ": invalid path '" + text.replace("\0", "\\0") + "': " + e.getReason());
        }
    }
}
