package org.ratesim.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) parser and writer for model-file headers.
 *
 * <p>Parsed values are {@code Map<String, Object>} (a {@link LinkedHashMap} in document order), {@code List<Object>},
 * {@code String}, {@code Long} (integers without fraction or exponent that fit a long), {@code Double} (every other
 * number), {@code Boolean} and {@code null}. The parser rejects duplicate keys, invalid UTF-8, a byte order mark,
 * numbers that overflow a double, and trailing content. Every limit is checked before the work it bounds: depth
 * before descending, string length while reading the string, the value count per value. Recursion depth is
 * therefore at most {@link Limits#maxDepth()} frames.
 */
public final class Json {

    /**
     * Bounds on a document.
     *
     * @param maxChars       maximum document length: bytes for {@link #parse(byte[], Limits)}, chars for
     *                       {@link #parse(String, Limits)}
     * @param maxDepth       maximum nesting of arrays and objects (the top-level value has depth 1)
     * @param maxStringChars maximum length of one string or object key, in chars
     * @param maxValues      maximum number of values (members, elements and scalars) in the document
     */
    public record Limits(int maxChars, int maxDepth, int maxStringChars, int maxValues) {

        public Limits {
            if (maxChars < 1 || maxDepth < 1 || maxStringChars < 0 || maxValues < 1) {
                throw new IllegalArgumentException("invalid JSON limits " + maxChars + ", " + maxDepth + ", "
                        + maxStringChars + ", " + maxValues + ": each must be at least 1 (string length at least 0)");
            }
        }
    }

    /** Maximum length of a number literal, in chars; longer literals are rejected before conversion. */
    static final int MAX_NUMBER_CHARS = 400;

    /** A document that is not valid JSON or exceeds a limit; the message names the offset and the problem. */
    public static final class JsonException extends RuntimeException {

        JsonException(String message) {
            super(message);
        }
    }

    private final String text;
    private final Limits limits;
    private int pos;
    private int values;

    private Json(String text, Limits limits) {
        this.text = text;
        this.limits = limits;
    }

    /** Decodes strict UTF-8 (no byte order mark) and parses one JSON document. */
    public static Object parse(byte[] utf8, Limits limits) {
        if (utf8.length > limits.maxChars()) {
            // A UTF-8 document never has more chars than bytes, but the byte count bounds the decoder's allocation.
            throw new JsonException("document of " + utf8.length + " bytes exceeds the limit of "
                    + limits.maxChars());
        }
        if (utf8.length >= 3 && (utf8[0] & 0xFF) == 0xEF && (utf8[1] & 0xFF) == 0xBB && (utf8[2] & 0xFF) == 0xBF) {
            throw new JsonException("document starts with a UTF-8 byte order mark, which is not allowed");
        }
        return parse(decodeUtf8(utf8), limits);
    }

    /** Parses one JSON document from a string. */
    public static Object parse(String text, Limits limits) {
        if (text.length() > limits.maxChars()) {
            throw new JsonException("document of " + text.length() + " chars exceeds the limit of "
                    + limits.maxChars());
        }
        Json parser = new Json(text, limits);
        parser.skipWhitespace();
        Object value = parser.parseValue(1);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected content after the document");
        }
        return value;
    }

    /** Decodes UTF-8, rejecting malformed and unmappable input instead of replacing it. */
    static String decodeUtf8(byte[] utf8) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(utf8));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new JsonException("invalid UTF-8: " + e.getMessage());
        }
    }

    private JsonException error(String problem) {
        return new JsonException(problem + " at offset " + pos);
    }

    private void countValue() {
        values++;
        if (values > limits.maxValues()) {
            throw error("more than " + limits.maxValues() + " values");
        }
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private Object parseValue(int depth) {
        if (pos >= text.length()) {
            throw error("unexpected end of document");
        }
        countValue();
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return parseObject(depth);
            case '[':
                return parseArray(depth);
            case '"':
                return parseString();
            case 't':
                expectLiteral("true");
                return Boolean.TRUE;
            case 'f':
                expectLiteral("false");
                return Boolean.FALSE;
            case 'n':
                expectLiteral("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return parseNumber();
                }
                throw error("unexpected character '" + printable(c) + "'");
        }
    }

    private void checkDepth(int depth) {
        if (depth > limits.maxDepth()) {
            throw error("nesting deeper than " + limits.maxDepth());
        }
    }

    private Map<String, Object> parseObject(int depth) {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> object = new LinkedHashMap<>();
        skipWhitespace();
        if (pos < text.length() && text.charAt(pos) == '}') {
            pos++;
            return object;
        }
        while (true) {
            skipWhitespace();
            if (pos >= text.length() || text.charAt(pos) != '"') {
                throw error("expected a string key");
            }
            int keyStart = pos;
            String key = parseString();
            if (object.containsKey(key)) {
                pos = keyStart;
                throw error("duplicate key \"" + abbreviate(key) + "\"");
            }
            skipWhitespace();
            expectChar(':');
            skipWhitespace();
            object.put(key, parseValue(depth + 1));
            skipWhitespace();
            if (pos >= text.length()) {
                throw error("unterminated object");
            }
            char c = text.charAt(pos++);
            if (c == '}') {
                return object;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> parseArray(int depth) {
        checkDepth(depth);
        pos++; // '['
        List<Object> array = new ArrayList<>();
        skipWhitespace();
        if (pos < text.length() && text.charAt(pos) == ']') {
            pos++;
            return array;
        }
        while (true) {
            skipWhitespace();
            array.add(parseValue(depth + 1));
            skipWhitespace();
            if (pos >= text.length()) {
                throw error("unterminated array");
            }
            char c = text.charAt(pos++);
            if (c == ']') {
                return array;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String parseString() {
        pos++; // opening quote
        StringBuilder result = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return result.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in string");
            }
            if (c == '\\') {
                result.append(parseEscape());
            } else {
                result.append(c);
            }
            if (result.length() > limits.maxStringChars()) {
                throw error("string longer than " + limits.maxStringChars() + " chars");
            }
        }
    }

    private char parseEscape() {
        if (pos >= text.length()) {
            throw error("unterminated escape");
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"':
                return '"';
            case '\\':
                return '\\';
            case '/':
                return '/';
            case 'b':
                return '\b';
            case 'f':
                return '\f';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case 'u':
                return parseHex4();
            default:
                pos--;
                throw error("invalid escape '\\" + printable(c) + "'");
        }
    }

    private char parseHex4() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos), 16);
            if (digit < 0) {
                throw error("invalid hex digit in \\u escape");
            }
            value = value * 16 + digit;
            pos++;
        }
        return (char) value;
    }

    private Object parseNumber() {
        int start = pos;
        if (text.charAt(pos) == '-') {
            pos++;
        }
        if (pos >= text.length()) {
            throw error("truncated number");
        }

        char first = text.charAt(pos);
        if (first == '0') {
            pos++;
        } else if (first >= '1' && first <= '9') {
            skipDigits();
        } else {
            throw error("invalid number");
        }

        boolean integral = true;
        if (pos < text.length() && text.charAt(pos) == '.') {
            pos++;
            requireDigit();
            skipDigits();
            integral = false;
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            requireDigit();
            skipDigits();
            integral = false;
        }
        if (pos - start > MAX_NUMBER_CHARS) {
            throw error("number literal longer than " + MAX_NUMBER_CHARS + " chars");
        }

        String literal = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                // Falls through: an integer beyond the long range becomes a double like any other number.
            }
        }
        double value = Double.parseDouble(literal);
        if (Double.isInfinite(value)) {
            pos = start;
            throw error("number " + abbreviate(literal) + " overflows a double");
        }
        return value;
    }

    private void requireDigit() {
        if (pos >= text.length() || text.charAt(pos) < '0' || text.charAt(pos) > '9') {
            throw error("expected a digit in number");
        }
    }

    private void skipDigits() {
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
    }

    private void expectLiteral(String literal) {
        if (!text.startsWith(literal, pos)) {
            throw error("invalid literal, expected " + literal);
        }
        pos += literal.length();
    }

    private void expectChar(char expected) {
        if (pos >= text.length() || text.charAt(pos) != expected) {
            throw error("expected '" + expected + "'");
        }
        pos++;
    }

    private static String printable(char c) {
        return c < 0x20 || c > 0x7E ? String.format("U+%04X", (int) c) : String.valueOf(c);
    }

    /**
     * Renders a parsed value for an error message, cut to about 64 chars. Rendering stops at the cut, so a
     * hostile list of a million elements costs no more than a short one.
     */
    public static String preview(Object value) {
        StringBuilder out = new StringBuilder();
        appendPreview(out, value);
        return abbreviate(out.toString());
    }

    /** Appends a value until {@code out} passes 64 chars; recursion depth is bounded by the parser's depth limit. */
    private static void appendPreview(StringBuilder out, Object value) {
        if (out.length() > 64) {
            return;
        }
        if (value instanceof String) {
            out.append('"').append(abbreviate((String) value)).append('"');
        } else if (value instanceof List) {
            out.append('[');
            int index = 0;
            for (Object element : (List<?>) value) {
                if (out.length() > 64) {
                    break;
                }
                out.append(index++ > 0 ? ", " : "");
                appendPreview(out, element);
            }
            out.append(']');
        } else if (value instanceof Map) {
            out.append('{');
            int index = 0;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (out.length() > 64) {
                    break;
                }
                out.append(index++ > 0 ? ", " : "").append(entry.getKey()).append('=');
                appendPreview(out, entry.getValue());
            }
            out.append('}');
        } else {
            out.append(value);
        }
    }

    /** Shortens a value for an error message so a hostile string cannot flood the log line. */
    public static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 61) + "...";
    }

    // ---- writer ----

    /** Writes a value compactly, without whitespace. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(out, value, -1, 0);
        return out.toString();
    }

    /** Writes a value with two-space indentation, one member or element per line. */
    public static String writePretty(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(out, value, 2, 0);
        return out.toString();
    }

    /**
     * Appends one value. {@code indent} is the spaces per level, or −1 for compact output.
     *
     * @throws IllegalArgumentException on a non-finite number, a non-string map key or an unsupported type
     */
    private static void writeValue(StringBuilder out, Object value, int indent, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            writeString(out, (String) value);
        } else if (value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            out.append(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (!Double.isFinite(number)) {
                throw new IllegalArgumentException("cannot write " + number + " as JSON: JSON has no NaN or Infinity");
            }
            // Double.toString yields the shortest string that parses back to the same double, and always has a
            // fraction or exponent, so the value reads back as a Double.
            out.append(Double.toString(number));
        } else if (value instanceof Map) {
            writeObject(out, (Map<?, ?>) value, indent, level);
        } else if (value instanceof List) {
            writeArray(out, (List<?>) value, indent, level);
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeObject(StringBuilder out, Map<?, ?> object, int indent, int level) {
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> entries = object.entrySet().iterator();
        boolean first = true;
        while (entries.hasNext()) {
            Map.Entry<?, ?> entry = entries.next();
            if (!(entry.getKey() instanceof String)) {
                throw new IllegalArgumentException("cannot write JSON object key " + entry.getKey()
                        + ": keys must be strings");
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            newline(out, indent, level + 1);
            writeString(out, (String) entry.getKey());
            out.append(indent >= 0 ? ": " : ":");
            writeValue(out, entry.getValue(), indent, level + 1);
        }
        if (!first) {
            newline(out, indent, level);
        }
        out.append('}');
    }

    private static void writeArray(StringBuilder out, List<?> array, int indent, int level) {
        out.append('[');
        boolean first = true;
        for (Object element : array) {
            if (!first) {
                out.append(',');
            }
            first = false;
            newline(out, indent, level + 1);
            writeValue(out, element, indent, level + 1);
        }
        if (!first) {
            newline(out, indent, level);
        }
        out.append(']');
    }

    private static void newline(StringBuilder out, int indent, int level) {
        if (indent >= 0) {
            out.append('\n');
            out.append(" ".repeat(indent * level));
        }
    }

    private static void writeString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                case '\b':
                    out.append("\\b");
                    break;
                case '\f':
                    out.append("\\f");
                    break;
                default:
                    if (c < 0x20 || isLoneSurrogate(value, i)) {
                        // A lone surrogate has no UTF-8 encoding, so it is written as an escape to survive encoding.
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private static boolean isLoneSurrogate(String value, int i) {
        char c = value.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(value.charAt(i - 1));
        }
        return false;
    }
}
