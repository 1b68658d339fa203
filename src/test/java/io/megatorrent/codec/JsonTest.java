package io.megatorrent.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static String canonical(String text) throws CodecException {
        return new String(Json.canonical(Json.parse(text)), StandardCharsets.UTF_8);
    }

    @Test
    void canonicalFormSortsByUtf16AndFormatsNumbersAsEcmaScript() throws CodecException {
        assertEquals("{\"a\":[1,2.5,1e+21,1e-7,0.000001],\"b\":\"\\u001f\\n€\"}",
                canonical("{ \"b\" : \"\\u001F\\n\\u20ac\", \"a\": [1.0, 2.50, 1e21, 0.0000001, 0.000001] }"));
        // U+FB33 sorts after U+1F600 in code points but before it in UTF-16 code units
        assertEquals("{\"\uD83D\uDE00\":1,\"\uFB33\":2}", canonical("{\"\uFB33\":2,\"\uD83D\uDE00\":1}"));
    }

    @Test
    void numbersAreTheShortestRoundTripEvenWhereDoubleToStringPrintsTwoDigits() {
        // Double.toString prints at least two digits: 4.9E-324 and 9.9E-324; ECMAScript prints one.
        assertEquals("5e-324", EcmaNumber.format(Double.MIN_VALUE));
        assertEquals("1e-323", EcmaNumber.format(2 * Double.MIN_VALUE));
        assertEquals("-5e-324", EcmaNumber.format(-Double.MIN_VALUE));
        assertEquals("1.5e-323", EcmaNumber.format(3 * Double.MIN_VALUE));
        assertEquals("2e-323", EcmaNumber.format(4 * Double.MIN_VALUE));
        assertEquals("1e-322", EcmaNumber.format(20 * Double.MIN_VALUE));
        assertEquals("1e+23", EcmaNumber.format(1e23));
        // Every double that prints one digit reads back as itself.
        for (long bits = 1; bits < 4096; bits++) {
            double x = Double.longBitsToDouble(bits);
            assertEquals(x, Double.parseDouble(EcmaNumber.format(x)), () -> "round trip of " + Double.toString(x));
        }
    }

    @Test
    void writeThenParseRoundTrips() throws CodecException {
        JsonObject o = JsonObject.builder().put("name", "a\"b\\c\u0001").put("size", 12345678901L).put("ok", true).build();
        assertEquals(o, Json.parse(Json.write(o)));
        assertEquals(o, Json.parse(Json.writePretty(o)));
    }

    @Test
    void rejectsWhatStrictJsonMust() {
        for (String bad : new String[] {"{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\udc00\"", "[01]", "[1,]", "{} {}", "[1e]",
                "\"\u0000\"", "tru", "[\"\\u12\"]", "{\"a\" 1}", ""}) {
            assertThrows(CodecException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(CodecException.class, () -> Json.parse(new byte[] {'"', (byte) 0xC3, '"'}));
        // UTF-8 is checked through a small buffer (no decoded copy of the whole text): overlong,
        // an encoded surrogate, and a sequence cut by the end of the input are all refused
        assertThrows(CodecException.class, () -> Json.parse(new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'}));
        assertThrows(CodecException.class, () -> Json.parse(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}));
        assertThrows(CodecException.class, () -> Json.parse(new byte[] {'"', 'a', '"', ' ', (byte) 0xE2, (byte) 0x82}));
    }

    @Test
    void textLongerThanTheCheckingBufferKeepsItsCharacters() throws CodecException {
        String text = "\u00e9\u20ac\ud83d\ude00".repeat(5000); // 20,000 chars, across many 8 KiB chunks of the check
        JsonValue v = Json.parse(("\"" + text + "\"").getBytes(StandardCharsets.UTF_8));
        assertEquals(new JsonString(text), v);
    }

    @Test
    void integersMustBeExactlyRepresentable() throws CodecException {
        JsonObject o = Json.parseObject("{\"a\":9007199254740991,\"b\":9007199254740992,\"c\":1.5,\"d\":1e3}".getBytes(StandardCharsets.UTF_8));
        assertEquals(9007199254740991L, o.integer("a"));
        CodecException e = assertThrows(CodecException.class, () -> o.integer("b"));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        assertThrows(CodecException.class, () -> o.integer("c"));
        assertEquals(1000, o.integer("d"));
    }

    @Test
    void errorsNameTheOffset() {
        CodecException e = assertThrows(CodecException.class, () -> Json.parse("{\"a\": [1, 2,, 3]}"));
        assertEquals(12, e.offset());
    }

    @Test
    void depthIsBounded() {
        assertThrows(CodecException.class, () -> Json.parse("[".repeat(100_000)));
    }

    @Test
    void longStringsOfEveryUtf8WidthAndEscapesReadBackExactly() throws CodecException {
        for (String unit : new String[] {"a", "\u00e9", "\u20ac", "\ud83d\ude00", "a\u00e9\u20ac\ud83d\ude00"}) {
            String text = unit.repeat((200_000 / unit.length()) + 1);
            byte[] json = ("[\"" + text + "\",\"" + text + "\\n\\u00e9\\ud83d\\ude00" + text + "\"]").getBytes(StandardCharsets.UTF_8);
            JsonValue.JsonArray a = (JsonValue.JsonArray) Json.parse(json);
            assertEquals(text, ((JsonString) a.items().get(0)).value(), "plain, unit " + unit);
            assertEquals(text + "\n\u00e9\ud83d\ude00" + text, ((JsonString) a.items().get(1)).value(), "with escapes, unit " + unit);
        }
        // a control byte deep in a long run is still refused, at its byte offset
        byte[] bad = ("\"" + "x".repeat(100_000) + "\u0001\"").getBytes(StandardCharsets.UTF_8);
        assertEquals(100_001, assertThrows(CodecException.class, () -> Json.parse(bad)).offset());
    }
}
