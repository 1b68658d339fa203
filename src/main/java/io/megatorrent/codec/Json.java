package io.megatorrent.codec;

import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonBool;
import io.megatorrent.codec.JsonValue.JsonNull;
import io.megatorrent.codec.JsonValue.JsonNumber;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) parser and writer, with the RFC 8785 (JCS) canonical form used for
 * signatures. The parser rejects duplicate keys, lone surrogates (raw or escaped), invalid UTF-8,
 * leading zeros, trailing content and nesting deeper than {@link #MAX_DEPTH}. Offsets in errors
 * are character offsets into the decoded text.
 */
public final class Json {
    public static final int MAX_DEPTH = 64;
    /** Longest number literal accepted; bounds the work BigDecimal does on hostile input. */
    public static final int MAX_NUMBER_LENGTH = 400;

    private Json() {}

    public static JsonValue parse(byte[] utf8) throws CodecException {
        return parse(utf8, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * Parses with a budget: at most {@code maxValues} values in all (every object, array, string,
     * number and literal counts one) of which at most {@code maxContainers} objects and arrays.
     * Parsing stops at the first value over it, so a hostile text costs a bounded tree however
     * its bytes are spent (an object is 2 bytes of text and about 100 bytes of heap).
     */
    public static JsonValue parse(byte[] utf8, long maxValues, long maxContainers) throws CodecException {
        requireUtf8(utf8);
        // The parser reads the checked bytes themselves: no decoded copy of the whole text, and a
        // string becomes one String made from its bytes (a 64 MiB manifest of one string: 64 MiB more, not 3-4 times its size).
        Parser p = new Parser(utf8, maxValues, maxContainers);
        p.skipWhitespace();
        JsonValue v = p.value(0);
        p.skipWhitespace();
        if (p.pos != utf8.length) throw new CodecException("trailing content after JSON value", p.pos);
        return v;
    }

    /** Refuses malformed UTF-8, decoding through a small buffer that is thrown away. */
    private static void requireUtf8(byte[] utf8) throws CodecException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) throw new CodecException("invalid UTF-8", 0);
            if (r.isUnderflow()) break;
            out.clear();
        }
        out.clear();
        if (d.flush(out).isError()) throw new CodecException("invalid UTF-8", 0);
    }

    /** Parses {@code text}; offsets in errors count its UTF-8 bytes. A lone surrogate in it is an error, as in a string escape. */
    public static JsonValue parse(String text) throws CodecException {
        java.nio.charset.CharsetEncoder e = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes;
        try {
            bytes = e.encode(CharBuffer.wrap(text));
        } catch (java.nio.charset.CharacterCodingException x) {
            throw new CodecException("lone surrogate in string", 0);
        }
        byte[] utf8 = new byte[bytes.remaining()];
        bytes.get(utf8);
        return parse(utf8, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    public static JsonObject parseObject(byte[] utf8) throws CodecException {
        if (parse(utf8) instanceof JsonObject o) return o;
        throw new CodecException("expected a JSON object", 0);
    }

    /** Compact JSON, members in their order. */
    public static String write(JsonValue v) {
        StringBuilder sb = new StringBuilder();
        write(v, sb, false, -1, 0);
        return sb.toString();
    }

    /** Indented JSON for people, members in their order. */
    public static String writePretty(JsonValue v) {
        StringBuilder sb = new StringBuilder();
        write(v, sb, false, 2, 0);
        return sb.toString();
    }

    /** RFC 8785 canonical form: members sorted by UTF-16 code units, no whitespace, ES6 numbers. */
    public static byte[] canonical(JsonValue v) {
        StringBuilder sb = new StringBuilder();
        write(v, sb, true, -1, 0);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonValue v, StringBuilder sb, boolean canonical, int indent, int level) {
        switch (v) {
            case JsonObject o -> {
                Iterable<Map.Entry<String, JsonValue>> entries = o.members().entrySet();
                if (canonical) {
                    List<Map.Entry<String, JsonValue>> sorted = new ArrayList<>(o.members().entrySet());
                    sorted.sort(Map.Entry.comparingByKey()); // String.compareTo is UTF-16 code-unit order
                    entries = sorted;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<String, JsonValue> e : entries) {
                    if (!first) sb.append(',');
                    first = false;
                    newline(sb, indent, level + 1);
                    string(e.getKey(), sb);
                    sb.append(indent >= 0 ? ": " : ":");
                    write(e.getValue(), sb, canonical, indent, level + 1);
                }
                if (!first) newline(sb, indent, level);
                sb.append('}');
            }
            case JsonArray a -> {
                sb.append('[');
                boolean first = true;
                for (JsonValue item : a.items()) {
                    if (!first) sb.append(',');
                    first = false;
                    newline(sb, indent, level + 1);
                    write(item, sb, canonical, indent, level + 1);
                }
                if (!first) newline(sb, indent, level);
                sb.append(']');
            }
            case JsonString s -> string(s.value(), sb);
            case JsonNumber n -> sb.append(canonical ? EcmaNumber.format(n.asDouble()) : plain(n.value()));
            case JsonBool b -> sb.append(b.value());
            case JsonNull ignored -> sb.append("null");
        }
    }

    private static String plain(BigDecimal d) {
        BigDecimal stripped = d.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 400) return stripped.toPlainString();
        return d.toString();
    }

    private static void newline(StringBuilder sb, int indent, int level) {
        if (indent < 0) return;
        sb.append('\n');
        sb.append(" ".repeat(indent * level));
    }

    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /**
     * Over UTF-8 already checked by {@link #requireUtf8}: structure is ASCII, so it is read byte
     * by byte; a string without escapes becomes a String straight from its bytes. Valid UTF-8
     * encodes no surrogate, so only escapes can spell one, and those are checked.
     */
    private static final class Parser {
        private final byte[] s;
        private int pos;
        private long valuesLeft;
        private long containersLeft;

        Parser(byte[] s, long maxValues, long maxContainers) {
            this.s = s;
            this.valuesLeft = maxValues;
            this.containersLeft = maxContainers;
        }

        void skipWhitespace() {
            while (pos < s.length) {
                byte c = s[pos];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        JsonValue value(int depth) throws CodecException {
            if (pos >= s.length) throw new CodecException("unexpected end of JSON", pos);
            char c = (char) (s[pos] & 0xff);
            if (--valuesLeft < 0) throw new CodecException("more values than this document may hold", pos);
            if ((c == '{' || c == '[') && --containersLeft < 0) throw new CodecException("more objects and arrays than this document may hold", pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> new JsonString(string());
                case 't' -> literal("true", JsonBool.TRUE);
                case 'f' -> literal("false", JsonBool.FALSE);
                case 'n' -> literal("null", JsonNull.INSTANCE);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw new CodecException("unexpected character '" + printable(c) + "'", pos);
                }
            };
        }

        private boolean startsWith(String ascii, int at) {
            if (at + ascii.length() > s.length) return false;
            for (int i = 0; i < ascii.length(); i++) {
                if (s[at + i] != ascii.charAt(i)) return false;
            }
            return true;
        }

        private JsonValue literal(String word, JsonValue v) throws CodecException {
            if (!startsWith(word, pos)) throw new CodecException("invalid literal", pos);
            pos += word.length();
            return v;
        }

        private JsonObject object(int depth) throws CodecException {
            if (depth > MAX_DEPTH) throw new CodecException("nesting deeper than " + MAX_DEPTH, pos);
            pos++;
            LinkedHashMap<String, JsonValue> members = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return new JsonObject(members);
            }
            while (true) {
                skipWhitespace();
                int keyAt = pos;
                if (peek() != '"') throw new CodecException("expected a string key", pos);
                String key = string();
                if (members.containsKey(key)) throw new CodecException("duplicate key '" + key + "'", keyAt);
                skipWhitespace();
                if (peek() != ':') throw new CodecException("expected ':'", pos);
                pos++;
                skipWhitespace();
                members.put(key, value(depth));
                skipWhitespace();
                char c = peek();
                pos++;
                if (c == '}') return new JsonObject(members);
                if (c != ',') throw new CodecException("expected ',' or '}'", pos - 1);
            }
        }

        private JsonArray array(int depth) throws CodecException {
            if (depth > MAX_DEPTH) throw new CodecException("nesting deeper than " + MAX_DEPTH, pos);
            pos++;
            List<JsonValue> items = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return new JsonArray(items);
            }
            while (true) {
                skipWhitespace();
                items.add(value(depth));
                skipWhitespace();
                char c = peek();
                pos++;
                if (c == ']') return new JsonArray(items);
                if (c != ',') throw new CodecException("expected ',' or ']'", pos - 1);
            }
        }

        private char peek() throws CodecException {
            if (pos >= s.length) throw new CodecException("unexpected end of JSON", pos);
            return (char) (s[pos] & 0xff);
        }

        private String string() throws CodecException {
            int start = pos;
            pos++;
            // the common case: no escape before the closing quote, one String from the bytes
            int i = pos;
            while (i < s.length) {
                byte b = s[i];
                if (b == '"') {
                    String plain = text(pos, i - pos);
                    pos = i + 1;
                    return plain;
                }
                if (b == '\\') break;
                if (b >= 0 && b < 0x20) throw new CodecException("unescaped control character in string", i);
                i++;
            }
            if (i >= s.length) throw new CodecException("unterminated string", start);
            // escapes: the plain bytes so far, then byte runs and escapes in turn
            StringBuilder sb = new StringBuilder().append(text(pos, i - pos));
            pos = i;
            while (true) {
                if (pos >= s.length) throw new CodecException("unterminated string", start);
                byte b = s[pos];
                if (b == '"') {
                    pos++;
                    return sb.toString();
                }
                if (b >= 0 && b < 0x20) throw new CodecException("unescaped control character in string", pos);
                if (b == '\\') {
                    pos++;
                    char e = peek();
                    pos++;
                    switch (e) {
                        case '"' -> sb.append('"');
                        case '\\' -> sb.append('\\');
                        case '/' -> sb.append('/');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case 't' -> sb.append('\t');
                        case 'u' -> sb.append(escapedChar());
                        default -> throw new CodecException("invalid escape '\\" + printable(e) + "'", pos - 2);
                    }
                    continue;
                }
                int run = pos;
                while (run < s.length && s[run] != '"' && s[run] != '\\' && !(s[run] >= 0 && s[run] < 0x20)) run++;
                sb.append(text(pos, run - pos));
                pos = run;
            }
        }

        /**
         * The checked UTF-8 bytes {@code s[from, from + length)} as a String. A long run with
         * non-ASCII text is decoded into a char array of its exact length: the JDK's decoder sizes
         * its buffer for the worst case (two bytes a byte), which for a 64 MiB string of 3-byte
         * characters held 128 MiB at once beside the input.
         */
        private String text(int from, int length) {
            if (length < 1 << 16) return new String(s, from, length, StandardCharsets.UTF_8);
            int chars = 0;
            for (int i = from, end = from + length; i < end; i++) {
                int b = s[i] & 0xff;
                if ((b & 0xc0) != 0x80) chars += b >= 0xf0 ? 2 : 1; // a lead byte; four bytes make a surrogate pair
            }
            if (chars == length) return new String(s, from, length, StandardCharsets.ISO_8859_1); // all ASCII
            char[] out = new char[chars];
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(s, from, length), CharBuffer.wrap(out), true);
            return new String(out);
        }

        /** After "\\u": one BMP char, or a surrogate pair spelled as two escapes. */
        private String escapedChar() throws CodecException {
            int at = pos - 2;
            char c = hex4();
            if (Character.isLowSurrogate(c)) throw new CodecException("lone surrogate escape", at);
            if (!Character.isHighSurrogate(c)) return String.valueOf(c);
            if (!startsWith("\\u", pos)) throw new CodecException("lone surrogate escape", at);
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) throw new CodecException("lone surrogate escape", at);
            return new String(new char[] {c, low});
        }

        private char hex4() throws CodecException {
            if (pos + 4 > s.length) throw new CodecException("truncated \\u escape", pos);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                char h = (char) (s[pos + i] & 0xff);
                int d = Character.digit(h, 16);
                if (d < 0 || h > 'f') throw new CodecException("invalid hex digit in \\u escape", pos + i);
                v = v << 4 | d;
            }
            pos += 4;
            return (char) v;
        }

        private JsonNumber number() throws CodecException {
            int start = pos;
            if (peekOr(' ') == '-') pos++;
            if (peekOr(' ') == '0') {
                pos++;
                if (isDigit(peekOr(' '))) throw new CodecException("number with leading zero", start);
            } else if (isDigit(peekOr(' '))) {
                while (isDigit(peekOr(' '))) pos++;
            } else {
                throw new CodecException("invalid number", start);
            }
            if (peekOr(' ') == '.') {
                pos++;
                if (!isDigit(peekOr(' '))) throw new CodecException("digit expected after '.'", pos);
                while (isDigit(peekOr(' '))) pos++;
            }
            char e = peekOr(' ');
            if (e == 'e' || e == 'E') {
                pos++;
                char sign = peekOr(' ');
                if (sign == '+' || sign == '-') pos++;
                if (!isDigit(peekOr(' '))) throw new CodecException("digit expected in exponent", pos);
                while (isDigit(peekOr(' '))) pos++;
            }
            if (pos - start > MAX_NUMBER_LENGTH) throw new CodecException("number literal too long", start);
            BigDecimal d;
            try {
                d = new BigDecimal(new String(s, start, pos - start, StandardCharsets.US_ASCII));
            } catch (NumberFormatException | ArithmeticException ex) {
                throw new CodecException("number out of range", start);
            }
            // I-JSON (RFC 7493): numbers beyond an IEEE 754 double are not interoperable
            if (Math.abs((long) d.scale()) > 10_000 || Double.isInfinite(d.doubleValue())) {
                throw new CodecException("number out of range", start);
            }
            return new JsonNumber(d);
        }

        private char peekOr(char fallback) {
            return pos < s.length ? (char) (s[pos] & 0xff) : fallback;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static String printable(char c) {
            return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
        }
    }
}
