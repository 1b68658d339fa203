package io.megatorrent.crypto;

import org.bouncycastle.crypto.digests.Blake2bDigest;

/** BLAKE2b (RFC 7693), keyed or not, any output length 1..64; BouncyCastle, the JDK has none. */
public final class Blake2b {
    public static final int MAX_OUTPUT = 64;
    public static final int MAX_KEY = 64;

    private Blake2b() {}

    public static byte[] hash(byte[] key, int outputLength, byte[]... parts) {
        if (outputLength < 1 || outputLength > MAX_OUTPUT) {
            throw new IllegalArgumentException("BLAKE2b output length must be 1..64, got " + outputLength);
        }
        if (key != null && key.length > MAX_KEY) {
            throw new IllegalArgumentException("BLAKE2b key must be at most 64 bytes, got " + key.length);
        }
        Blake2bDigest d = new Blake2bDigest(key == null || key.length == 0 ? null : key, outputLength, null, null);
        for (byte[] p : parts) d.update(p, 0, p.length);
        byte[] out = new byte[outputLength];
        d.doFinal(out, 0);
        return out;
    }

    public static byte[] hash512(byte[]... parts) {
        return hash(null, MAX_OUTPUT, parts);
    }
}
