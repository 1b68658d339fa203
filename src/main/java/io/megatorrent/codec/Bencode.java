package io.megatorrent.codec;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.BValue.BInt;
import io.megatorrent.codec.BValue.BList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Strict, canonical bencode (BEP 3). Decoding accepts exactly the canonical encoding of a value:
 * no leading zeros, no "-0", sorted and unique dictionary keys, no trailing bytes, integers within
 * a signed 64-bit range, nesting at most {@link #MAX_DEPTH}. So decode-then-encode returns the input.
 */
public final class Bencode {
    /** Deepest nesting of lists and dictionaries accepted; KRPC needs 3. */
    public static final int MAX_DEPTH = 64;

    private Bencode() {}

    public static BValue decode(byte[] input) throws CodecException {
        Decoder d = new Decoder(input, 0, input.length);
        BValue v = d.value(0);
        if (d.pos != input.length) throw new CodecException("trailing bytes after value", d.pos);
        return v;
    }

    /** Decodes a value that must be a dictionary (as every KRPC message is). */
    public static BDict decodeDict(byte[] input) throws CodecException {
        if (decode(input) instanceof BDict d) return d;
        throw new CodecException("expected a dictionary", 0);
    }

    public static byte[] encode(BValue value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(value, out);
        return out.toByteArray();
    }

    private static void write(BValue value, ByteArrayOutputStream out) {
        switch (value) {
            case BBytes b -> {
                byte[] raw = b.raw();
                out.writeBytes(Integer.toString(raw.length).getBytes(StandardCharsets.US_ASCII));
                out.write(':');
                out.writeBytes(raw);
            }
            case BInt i -> {
                out.write('i');
                out.writeBytes(Long.toString(i.value()).getBytes(StandardCharsets.US_ASCII));
                out.write('e');
            }
            case BList l -> {
                out.write('l');
                for (BValue item : l.items()) write(item, out);
                out.write('e');
            }
            case BDict d -> {
                out.write('d');
                d.entries().forEach((k, v) -> {
                    write(k, out);
                    write(v, out);
                });
                out.write('e');
            }
        }
    }

    private static final class Decoder {
        private final byte[] in;
        private final int end;
        private int pos;

        Decoder(byte[] in, int start, int end) {
            this.in = in;
            this.pos = start;
            this.end = end;
        }

        BValue value(int depth) throws CodecException {
            if (pos >= end) throw new CodecException("unexpected end of input", pos);
            byte c = in[pos];
            if (c == 'i') return new BInt(integer());
            if (c >= '0' && c <= '9') return bytes();
            if (c == 'l' || c == 'd') {
                if (depth >= MAX_DEPTH) throw new CodecException("nesting deeper than " + MAX_DEPTH, pos);
                return c == 'l' ? list(depth + 1) : dict(depth + 1);
            }
            throw new CodecException("unexpected byte 0x" + Integer.toHexString(c & 0xff), pos);
        }

        private long integer() throws CodecException {
            int start = pos++;
            boolean negative = pos < end && in[pos] == '-';
            if (negative) pos++;
            int digitsStart = pos;
            long value = 0;
            while (pos < end && in[pos] >= '0' && in[pos] <= '9') {
                int digit = in[pos] - '0';
                // accumulate negatively so Long.MIN_VALUE fits
                if (value < (Long.MIN_VALUE + digit) / 10) throw new CodecException("integer out of 64-bit range", start);
                value = value * 10 - digit;
                pos++;
            }
            int digits = pos - digitsStart;
            if (digits == 0) throw new CodecException("integer without digits", digitsStart);
            if (pos >= end) throw new CodecException("unterminated integer", pos);
            if (in[pos] != 'e') throw new CodecException("unexpected byte in integer", pos);
            if (in[digitsStart] == '0' && digits > 1) throw new CodecException("integer with leading zero", digitsStart);
            if (negative && value == 0) throw new CodecException("negative zero", start);
            pos++;
            if (negative) return value;
            if (value == Long.MIN_VALUE) throw new CodecException("integer out of 64-bit range", start);
            return -value;
        }

        private BBytes bytes() throws CodecException {
            int start = pos;
            long length = 0;
            while (pos < end && in[pos] >= '0' && in[pos] <= '9') {
                length = length * 10 + (in[pos] - '0');
                if (length > end) throw new CodecException("string length exceeds input", start);
                pos++;
            }
            if (pos >= end || in[pos] != ':') throw new CodecException("expected ':' after string length", pos);
            if (in[start] == '0' && pos - start > 1) throw new CodecException("string length with leading zero", start);
            pos++;
            if (length > end - pos) throw new CodecException("string length exceeds input", start);
            byte[] b = new byte[(int) length];
            System.arraycopy(in, pos, b, 0, b.length);
            pos += b.length;
            return new BBytes(b);
        }

        private BList list(int depth) throws CodecException {
            pos++;
            List<BValue> items = new ArrayList<>();
            while (true) {
                if (pos >= end) throw new CodecException("unterminated list", pos);
                if (in[pos] == 'e') {
                    pos++;
                    return new BList(items);
                }
                items.add(value(depth));
            }
        }

        private BDict dict(int depth) throws CodecException {
            pos++;
            TreeMap<BBytes, BValue> map = new TreeMap<>();
            BBytes previous = null;
            while (true) {
                if (pos >= end) throw new CodecException("unterminated dictionary", pos);
                if (in[pos] == 'e') {
                    pos++;
                    return new BDict(map);
                }
                int keyAt = pos;
                if (in[pos] < '0' || in[pos] > '9') throw new CodecException("dictionary key is not a string", pos);
                BBytes key = bytes();
                if (previous != null) {
                    int cmp = previous.compareTo(key);
                    if (cmp == 0) throw new CodecException("duplicate dictionary key", keyAt);
                    if (cmp > 0) throw new CodecException("dictionary keys not sorted", keyAt);
                }
                previous = key;
                map.put(key, value(depth));
            }
        }
    }
}
