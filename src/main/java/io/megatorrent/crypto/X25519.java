package io.megatorrent.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/** X25519 (RFC 7748) from the JDK. A shared secret of all zeros (a small-order peer key) is an error. */
public final class X25519 {
    public static final int KEY_LENGTH = 32;
    private static final byte[] BASE_POINT = new byte[32];

    static {
        BASE_POINT[0] = 9;
    }

    /** A static or ephemeral key: the 32-byte private scalar and its public key. */
    public record KeyPair(byte[] privateKey, byte[] publicKey) {
        public KeyPair {
            privateKey = privateKey.clone();
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] privateKey() {
            return privateKey.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }
    }

    private X25519() {}

    public static KeyPair generate() {
        byte[] k = new byte[KEY_LENGTH];
        new SecureRandom().nextBytes(k);
        return fromPrivate(k);
    }

    public static KeyPair fromPrivate(byte[] privateKey) {
        try {
            return new KeyPair(privateKey, compute(privateKey, BASE_POINT));
        } catch (CryptoException e) {
            throw new IllegalStateException("X25519 with the base point cannot fail", e);
        }
    }

    /** X25519(scalar, u). Throws when the result is all zeros. */
    public static byte[] compute(byte[] scalar, byte[] u) throws CryptoException {
        Ed25519.requireLength(scalar, KEY_LENGTH, "X25519 scalar");
        if (u.length != KEY_LENGTH) throw new CryptoException("X25519 public key must be 32 bytes, got " + u.length);
        byte[] be = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) be[i] = u[KEY_LENGTH - 1 - i];
        be[0] &= 0x7f; // RFC 7748 section 5: the top bit of u is ignored
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            var priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
            var pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(priv);
            ka.doPhase(pub, true);
            byte[] shared = ka.generateSecret();
            if (isZero(shared)) throw new CryptoException("X25519 shared secret is all zeros (small-order public key)");
            return shared;
        } catch (InvalidKeyException e) {
            throw new CryptoException("X25519 rejected the key: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks X25519", e);
        }
    }

    private static boolean isZero(byte[] b) {
        int acc = 0;
        for (byte x : b) acc |= x;
        return acc == 0;
    }
}
