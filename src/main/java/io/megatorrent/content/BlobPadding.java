package io.megatorrent.content;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Padding bytes (PROTOCOL_FINAL.md 6.1): the ChaCha20 keystream (RFC 8439, counter from 0)
 * under a 32-byte seed with nonce uint32be(0) || uint64be(chunk index). Ingest draws the seed
 * from SecureRandom once per file, so padding is unpredictable without SecureRandom's cost per
 * byte; the conformance vectors give the seed, so anyone can rebuild a vector's blob.
 * Not thread-safe: one per worker.
 */
public final class BlobPadding {
    public static final int SEED_LENGTH = 32;

    private final SecretKeySpec seed;
    private final Cipher cipher;

    public BlobPadding(byte[] seed) {
        if (seed.length != SEED_LENGTH) throw new IllegalArgumentException("padding seed must be 32 bytes");
        this.seed = new SecretKeySpec(seed, "ChaCha20");
        try {
            this.cipher = Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks ChaCha20", e);
        }
    }

    /** A fresh random seed. */
    public static byte[] randomSeed(SecureRandom random) {
        byte[] s = new byte[SEED_LENGTH];
        random.nextBytes(s);
        return s;
    }

    /** Fills {@code out[off, off+len)} with the first {@code len} keystream bytes for {@code chunkIndex}. */
    public void fill(long chunkIndex, byte[] out, int off, int len) {
        java.util.Arrays.fill(out, off, off + len, (byte) 0);
        try {
            // The JDK refuses a second init with the same key and nonce on one Cipher; a
            // vector may legitimately ask twice, so a fresh cipher handles that rare case.
            Cipher c = cipher;
            try {
                c.init(Cipher.ENCRYPT_MODE, seed, new ChaCha20ParameterSpec(Blob.nonce(chunkIndex), 0));
            } catch (java.security.InvalidKeyException repeated) {
                c = Cipher.getInstance("ChaCha20");
                c.init(Cipher.ENCRYPT_MODE, seed, new ChaCha20ParameterSpec(Blob.nonce(chunkIndex), 0));
            }
            c.doFinal(out, off, len, out, off);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20 keystream failed", e);
        }
    }
}
