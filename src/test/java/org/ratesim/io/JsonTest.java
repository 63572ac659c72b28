package org.ratesim.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {

    private static final Json.Limits LIMITS = new Json.Limits(1 << 20, 64, 1 << 16, 100_000);

    private static Object parse(String text) {
        return Json.parse(text.getBytes(StandardCharsets.UTF_8), LIMITS);
    }

    private static String rejection(String text) {
        return assertThrows(Json.JsonException.class, () -> parse(text)).getMessage();
    }

    @Test
    void parsesEveryValueType() {
        Object value = parse(" {\"a\": [1, -2.5, 3e2, true, false, null, \"x\"], \"b\": {}} ");
        Map<?, ?> object = assertInstanceOf(LinkedHashMap.class, value);
        List<?> list = (List<?>) object.get("a");
        assertEquals(1L, list.get(0));
        assertEquals(-2.5, list.get(1));
        assertEquals(300.0, list.get(2));
        assertEquals(Boolean.TRUE, list.get(3));
        assertEquals(Boolean.FALSE, list.get(4));
        assertNull(list.get(5));
        assertEquals("x", list.get(6));
        assertEquals(Map.of(), object.get("b"));
    }

    @Test
    void keepsMemberOrder() {
        Map<?, ?> object = (Map<?, ?>) parse("{\"z\": 1, \"a\": 2, \"m\": 3}");
        assertEquals(List.of("z", "a", "m"), List.copyOf(object.keySet()));
    }

    @Test
    void integersBeyondLongBecomeDoubles() {
        assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
        assertEquals(9.223372036854775808e18, parse("9223372036854775808"));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
        assertEquals("\"\\/\b\f\n\r\t\u00e9\ud83d\ude00", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
        assertEquals("\u00e9\ud83d\ude00", parse("\"\u00e9\ud83d\ude00\""));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertTrue(rejection("{\"a\": 1, \"a\": 2}").contains("duplicate key \"a\""));
    }

    @Test
    void rejectsNestingBeyondLimitWithoutStackOverflow() {
        assertTrue(rejection("[".repeat(65) + "]".repeat(65)).contains("nesting deeper than 64"));
        String deep = "[".repeat(200_000);
        Json.Limits wide = new Json.Limits(1 << 20, 64, 16, 1 << 20);
        assertThrows(Json.JsonException.class, () -> Json.parse(deep, wide));
        parse("[".repeat(64) + "]".repeat(64));
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[][] invalid = {
            {'"', (byte) 0xC3, '"'},                       // truncated two-byte sequence
            {'"', (byte) 0xC0, (byte) 0xAF, '"'},          // overlong encoding of '/'
            {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, // encoded surrogate U+D800
            {'"', (byte) 0xFF, '"'},
        };
        for (byte[] bytes : invalid) {
            String message = assertThrows(Json.JsonException.class, () -> Json.parse(bytes, LIMITS)).getMessage();
            assertTrue(message.startsWith("invalid UTF-8"), Arrays.toString(bytes) + ": " + message);
        }
    }

    @Test
    void rejectsByteOrderMark() {
        byte[] bytes = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        assertTrue(assertThrows(Json.JsonException.class, () -> Json.parse(bytes, LIMITS)).getMessage()
                .contains("byte order mark"));
    }

    @Test
    void rejectsMalformedDocuments() {
        String[] invalid = {"", " ", "{", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "'x'", "01", "-",
            "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "tru", "nul", "\"a", "\"\\x\"", "\"\\u12\"",
            "\"\u0001\"", "[1] [2]", "{} x", "[1 2]", "\"\\ud83\""};
        for (String text : invalid) {
            assertThrows(Json.JsonException.class, () -> parse(text), "accepted: " + text);
        }
    }

    @Test
    void rejectsNumbersThatOverflowDouble() {
        assertTrue(rejection("1e400").contains("overflows a double"));
        assertTrue(rejection("-" + "9".repeat(320)).contains("overflows a double"));
        assertTrue(rejection("1" + "0".repeat(500)).contains("longer than 400"));
        assertEquals(0.0, parse("1e-400"));
    }

    @Test
    void enforcesStringValueAndSizeLimits() {
        Json.Limits small = new Json.Limits(100, 8, 5, 4);
        assertThrows(Json.JsonException.class, () -> Json.parse("\"abcdef\"", small));
        Json.parse("\"abcde\"", small);
        assertThrows(Json.JsonException.class, () -> Json.parse("[1, 2, 3, 4]", small));
        Json.parse("[1, 2, 3]", small);
        assertThrows(Json.JsonException.class, () -> Json.parse(" ".repeat(101), small));
    }

    @Test
    void writerEscapesAndRoundTrips() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("text", "quote\" backslash\\ newline\n tab\t nul\u0000 bell\u0007 e\u00e9 smile\ud83d\ude00");
        value.put("lone", "\ud800x\udc00");
        value.put("numbers", List.of(0L, -1L, Long.MAX_VALUE, 0.1, -0.0, 1e-300, 1.7976931348623157e308, 1.0));
        value.put("nested", Map.of("empty", List.of(), "flag", true));
        value.put("nothing", null);
        for (String text : List.of(Json.write(value), Json.writePretty(value))) {
            assertEquals(value, Json.parse(text, LIMITS), text);
            assertTrue(text.chars().noneMatch(c -> c < 0x20 && c != '\n'), text);
        }
        assertTrue(Json.writePretty(value).contains("\n  \"text\": "));
        assertTrue(!Json.write(value).contains(" \"numbers\""));
    }

    @Test
    void randomDoublesRoundTrip() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            double number = Double.longBitsToDouble(random.nextLong());
            if (!Double.isFinite(number)) {
                continue;
            }
            Object parsed = parse(Json.write(List.of(number)));
            assertEquals(List.of(number), parsed);
        }
    }

    @Test
    void writerRejectsNonFiniteNumbers() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", Float.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    }
}
