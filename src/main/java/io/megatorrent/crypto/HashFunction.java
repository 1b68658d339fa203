package io.megatorrent.crypto;

/**
 * The hash functions of the Noise spec (section 4.3), with HMAC and the Noise HKDF over them
 * (section 4.3, "HMAC-HASH" and "HKDF"), which the handshake and {@link Hkdf} share.
 */
public enum HashFunction {
    SHA256("SHA256", 32, 64),
    BLAKE2B("BLAKE2b", 64, 128);

    private final String noiseName;
    private final int hashLength;
    private final int blockLength;

    HashFunction(String noiseName, int hashLength, int blockLength) {
        this.noiseName = noiseName;
        this.hashLength = hashLength;
        this.blockLength = blockLength;
    }

    /** The name used in Noise protocol names, e.g. "BLAKE2b". */
    public String noiseName() {
        return noiseName;
    }

    public int hashLength() {
        return hashLength;
    }

    public int blockLength() {
        return blockLength;
    }

    public byte[] hash(byte[]... parts) {
        return switch (this) {
            case SHA256 -> Hashes.sha256(parts);
            case BLAKE2B -> Blake2b.hash512(parts);
        };
    }

    /** HMAC (RFC 2104) keyed with {@code key}, over the concatenation of {@code parts}. */
    public byte[] hmac(byte[] key, byte[]... parts) {
        byte[] k = key.length > blockLength ? hash(key) : key;
        byte[] ipad = new byte[blockLength];
        byte[] opad = new byte[blockLength];
        for (int i = 0; i < blockLength; i++) {
            byte kb = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (kb ^ 0x36);
            opad[i] = (byte) (kb ^ 0x5c);
        }
        byte[][] inner = new byte[parts.length + 1][];
        inner[0] = ipad;
        System.arraycopy(parts, 0, inner, 1, parts.length);
        return hash(opad, hash(inner));
    }

    /** Noise's HKDF(chaining_key, input_key_material, num_outputs), num_outputs 2 or 3. */
    public byte[][] noiseHkdf(byte[] chainingKey, byte[] inputKeyMaterial, int outputs) {
        if (outputs != 2 && outputs != 3) throw new IllegalArgumentException("Noise HKDF makes 2 or 3 outputs");
        byte[] tempKey = hmac(chainingKey, inputKeyMaterial);
        byte[] out1 = hmac(tempKey, new byte[] {1});
        byte[] out2 = hmac(tempKey, out1, new byte[] {2});
        if (outputs == 2) return new byte[][] {out1, out2};
        byte[] out3 = hmac(tempKey, out2, new byte[] {3});
        return new byte[][] {out1, out2, out3};
    }
}
