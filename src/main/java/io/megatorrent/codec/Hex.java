package io.megatorrent.codec;

import java.util.HexFormat;

/** Lowercase hex, strict on input: even length, [0-9a-fA-F] only. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {}

    public static String encode(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] decode(String hex) throws CodecException {
        if ((hex.length() & 1) != 0) throw new CodecException("odd number of hex digits", hex.length());
        for (int i = 0; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0) throw new CodecException("not a hex digit", i);
        }
        return HEX.parseHex(hex);
    }

    /** Decodes hex that must encode exactly {@code length} bytes; {@code what} names it in the error. */
    public static byte[] decode(String hex, int length, String what) throws CodecException {
        byte[] b = decode(hex);
        if (b.length != length) {
            throw new CodecException(what + " must be " + length + " bytes (" + 2 * length + " hex digits), got " + b.length, 0);
        }
        return b;
    }
}
