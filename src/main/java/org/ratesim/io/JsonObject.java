package org.ratesim.io;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, path-aware access to one parsed JSON object of a model file's metadata.
 *
 * <p>Every failed check throws an {@link InvalidModelException} of the form {@code file: path.key: problem}.
 */
final class JsonObject {

    private final Map<?, ?> map;
    private final String path;
    private final String file;

    JsonObject(Object value, String path, String file) {
        this.file = file;
        this.path = path;
        if (!(value instanceof Map)) {
            throw new InvalidModelException(file + ": " + path + " must be a JSON object, got " + describe(value));
        }
        this.map = (Map<?, ?>) value;
    }

    String path() {
        return path;
    }

    InvalidModelException error(String key, String problem) {
        return new InvalidModelException(file + ": " + path + "." + key + " " + problem);
    }

    /** Rejects keys outside {@code allowed}, so a misspelled field cannot be silently ignored. */
    void allowOnly(Set<String> allowed) {
        for (Object key : map.keySet()) {
            if (!allowed.contains(key)) {
                throw new InvalidModelException(file + ": " + path + " has the unknown field \""
                        + Json.abbreviate((String) key) + "\"; allowed: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    boolean has(String key) {
        return map.get(key) != null;
    }

    Object raw(String key) {
        return map.get(key);
    }

    Map<?, ?> map() {
        return map;
    }

    JsonObject object(String key) {
        return new JsonObject(require(key), path + "." + key, file);
    }

    String string(String key) {
        Object value = require(key);
        if (!(value instanceof String)) {
            throw error(key, "must be a string, got " + describe(value));
        }
        return (String) value;
    }

    String string(String key, String defaultValue) {
        return has(key) ? string(key) : defaultValue;
    }

    long integer(String key, long min, long max) {
        Object value = require(key);
        if (!(value instanceof Long) || (Long) value < min || (Long) value > max) {
            throw error(key, "must be an integer in " + min + ".." + max + ", got " + describe(value));
        }
        return (Long) value;
    }

    long integer(String key, long min, long max, long defaultValue) {
        return has(key) ? integer(key, min, max) : defaultValue;
    }

    /** Returns a finite number greater than {@code above}. */
    double number(String key, double above) {
        Object value = require(key);
        if (!(value instanceof Number) || !Double.isFinite(((Number) value).doubleValue())
                || !(((Number) value).doubleValue() > above)) {
            throw error(key, "must be a finite number > " + above + ", got " + describe(value));
        }
        return ((Number) value).doubleValue();
    }

    double number(String key, double above, double defaultValue) {
        return has(key) ? number(key, above) : defaultValue;
    }

    List<?> list(String key, int maxLength) {
        Object value = require(key);
        if (!(value instanceof List) || ((List<?>) value).size() > maxLength) {
            throw error(key, "must be a list of at most " + maxLength + " elements, got " + describe(value));
        }
        return (List<?>) value;
    }

    /** Returns a list of {@code length} integers in {@code min..max}; a length of −1 accepts any length. */
    int[] ints(String key, int length, long min, long max) {
        Object value = require(key);
        boolean valid = value instanceof List && (length < 0 || ((List<?>) value).size() == length);
        if (valid) {
            for (Object element : (List<?>) value) {
                valid &= element instanceof Long && (Long) element >= min && (Long) element <= max;
            }
        }
        if (!valid) {
            String count = length < 0 ? "" : length + " ";
            throw error(key, "must be a list of " + count + "integers in " + min + ".." + max + ", got "
                    + describe(value));
        }
        List<?> list = (List<?>) value;
        int[] result = new int[list.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = (int) (long) (Long) list.get(i);
        }
        return result;
    }

    int[] ints(String key, int length, long min, long max, int[] defaultValue) {
        return has(key) ? ints(key, length, min, max) : defaultValue.clone();
    }

    /** Returns a list of finite numbers. */
    double[] numbers(String key, int length) {
        Object value = require(key);
        boolean valid = value instanceof List && ((List<?>) value).size() == length;
        if (valid) {
            for (Object element : (List<?>) value) {
                valid &= element instanceof Number && Double.isFinite(((Number) element).doubleValue());
            }
        }
        if (!valid) {
            throw error(key, "must be a list of " + length + " finite numbers, got " + describe(value));
        }
        List<?> list = (List<?>) value;
        double[] result = new double[length];
        for (int i = 0; i < length; i++) {
            result[i] = ((Number) list.get(i)).doubleValue();
        }
        return result;
    }

    List<String> strings(String key, int maxLength) {
        List<String> result = new ArrayList<>();
        for (Object element : list(key, maxLength)) {
            if (!(element instanceof String)) {
                throw error(key, "must be a list of strings, got " + describe(raw(key)));
            }
            result.add((String) element);
        }
        return result;
    }

    private Object require(String key) {
        Object value = map.get(key);
        if (value == null) {
            throw error(key, "is missing");
        }
        return value;
    }

    static String describe(Object value) {
        return Json.preview(value);
    }
}
