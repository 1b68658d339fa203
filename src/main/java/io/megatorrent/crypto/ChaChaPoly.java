package io.megatorrent.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439: 256-bit key, 96-bit nonce, 128-bit tag) from the JDK.
 * An instance holds one JDK cipher and is not thread-safe; the static methods make a fresh one.
 */
public final class ChaChaPoly {
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;

    private final Cipher cipher;
    private final SecretKeySpec key;

    public ChaChaPoly(byte[] key) {
        if (key.length != KEY_LENGTH) throw new IllegalArgumentException("ChaCha20-Poly1305 key must be 32 bytes");
        this.key = new SecretKeySpec(key, "ChaCha20");
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks ChaCha20-Poly1305", e);
        }
    }

    public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
        return new ChaChaPoly(key).seal(nonce, aad, plaintext);
    }

    public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertextAndTag) throws CryptoException {
        return new ChaChaPoly(key).open(nonce, aad, ciphertextAndTag);
    }

    /** Returns ciphertext || tag. */
    public byte[] seal(byte[] nonce, byte[] aad, byte[] plaintext) {
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        seal(nonce, aad, plaintext, 0, plaintext.length, out, 0);
        return out;
    }

    /** Encrypts {@code in[inOff, inOff+len)} into {@code out} at {@code outOff}; writes len + 16 bytes. */
    public int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            init(Cipher.ENCRYPT_MODE, nonce);
            if (aad != null && aad.length > 0) cipher.updateAAD(aad);
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (ShortBufferException e) {
            throw new IllegalArgumentException("output buffer too small", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    public byte[] open(byte[] nonce, byte[] aad, byte[] ciphertextAndTag) throws CryptoException {
        if (ciphertextAndTag.length < TAG_LENGTH) throw new CryptoException("ciphertext shorter than the 16-byte tag");
        byte[] out = new byte[ciphertextAndTag.length - TAG_LENGTH];
        open(nonce, aad, ciphertextAndTag, 0, ciphertextAndTag.length, out, 0);
        return out;
    }

    /** Decrypts and authenticates {@code in[inOff, inOff+len)} (ciphertext || tag); writes len - 16 bytes. */
    public int open(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) throws CryptoException {
        if (len < TAG_LENGTH) throw new CryptoException("ciphertext shorter than the 16-byte tag");
        try {
            init(Cipher.DECRYPT_MODE, nonce);
            if (aad != null && aad.length > 0) cipher.updateAAD(aad);
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            throw new CryptoException("authentication tag mismatch");
        } catch (ShortBufferException e) {
            throw new IllegalArgumentException("output buffer too small", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("ChaCha20-Poly1305 decryption failed: " + e.getMessage(), e);
        }
    }

    /**
     * The JDK refuses to encrypt twice in a row with the same key and nonce on one instance; that
     * guard stays: a caller that needs the same (key, nonce) twice (test vectors) uses the static
     * methods, which make a fresh instance.
     */
    private void init(int mode, byte[] nonce) throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (nonce.length != NONCE_LENGTH) throw new IllegalArgumentException("nonce must be 12 bytes, got " + nonce.length);
        try {
            cipher.init(mode, key, new IvParameterSpec(nonce));
        } catch (InvalidKeyException e) {
            if (mode == Cipher.ENCRYPT_MODE) throw new IllegalStateException("refusing to encrypt twice under one key and nonce", e);
            throw e;
        }
    }

}
