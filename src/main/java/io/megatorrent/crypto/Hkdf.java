package io.megatorrent.crypto;

import java.io.ByteArrayOutputStream;

/** HKDF (RFC 5869) over HMAC-SHA-256 or HMAC-BLAKE2b. */
public final class Hkdf {
    private Hkdf() {}

    public static byte[] extract(HashFunction h, byte[] salt, byte[] inputKeyMaterial) {
        byte[] s = salt == null || salt.length == 0 ? new byte[h.hashLength()] : salt;
        return h.hmac(s, inputKeyMaterial);
    }

    public static byte[] expand(HashFunction h, byte[] pseudoRandomKey, byte[] info, int length) {
        if (length < 0 || length > 255 * h.hashLength()) throw new IllegalArgumentException("HKDF length out of range: " + length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        byte[] t = new byte[0];
        for (int i = 1; out.size() < length; i++) {
            t = h.hmac(pseudoRandomKey, t, info, new byte[] {(byte) i});
            out.writeBytes(t);
        }
        byte[] okm = out.toByteArray();
        return okm.length == length ? okm : java.util.Arrays.copyOf(okm, length);
    }

    public static byte[] derive(HashFunction h, byte[] salt, byte[] inputKeyMaterial, byte[] info, int length) {
        return expand(h, extract(h, salt, inputKeyMaterial), info, length);
    }
}
