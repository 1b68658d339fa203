package io.megatorrent.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 (RFC 8032) from the JDK, with strict verification: besides the JDK's own checks
 * (S below the group order, the cofactorless equation), non-canonical encodings of A and R and
 * points of small order are rejected, since a signature under such a key can be valid for many
 * messages and lenient verifiers differ on them.
 */
public final class Ed25519 {
    public static final int SEED_LENGTH = 32;
    public static final int PUBLIC_KEY_LENGTH = 32;
    public static final int SIGNATURE_LENGTH = 64;

    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** A keypair derived from a 32-byte seed (RFC 8032's private key). */
    public record KeyPair(byte[] seed, byte[] publicKey) {
        public KeyPair {
            seed = seed.clone();
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] seed() {
            return seed.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        public byte[] sign(byte[] message) {
            return Ed25519.sign(seed, message);
        }
    }

    private Ed25519() {}

    public static KeyPair generate() {
        byte[] seed = new byte[SEED_LENGTH];
        new SecureRandom().nextBytes(seed);
        return fromSeed(seed);
    }

    public static KeyPair fromSeed(byte[] seed) {
        requireLength(seed, SEED_LENGTH, "Ed25519 seed");
        try {
            // The JDK derives a key pair from the bytes its SecureRandom yields: hand it the seed.
            KeyPairGenerator gen = KeyPairGenerator.getInstance("Ed25519");
            gen.initialize(NamedParameterSpec.ED25519, new FixedRandom(seed));
            byte[] spki = gen.generateKeyPair().getPublic().getEncoded();
            return new KeyPair(seed, Arrays.copyOfRange(spki, spki.length - PUBLIC_KEY_LENGTH, spki.length));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks Ed25519", e);
        }
    }

    public static byte[] sign(byte[] seed, byte[] message) {
        requireLength(seed, SEED_LENGTH, "Ed25519 seed");
        try {
            PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(
                    new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /**
     * True only for a valid signature by the strict rules of PROTOCOL_FINAL.md section 2: the
     * cofactorless equation [S]B = R + [k]A (the JDK's), S below L, A and R canonically encoded
     * (y below p) and neither of small order. Each rule closes a case where two verifiers would
     * disagree, so a dishonest signer cannot make one node accept what another rejects.
     */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey.length != PUBLIC_KEY_LENGTH || signature.length != SIGNATURE_LENGTH) return false;
        byte[] r = Arrays.copyOf(signature, 32);
        if (!SmallOrder.isCanonical(publicKey) || !SmallOrder.isCanonical(r)) return false;
        if (SmallOrder.contains(publicKey) || SmallOrder.contains(r)) return false;
        try {
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(
                    new X509EncodedKeySpec(concat(SPKI_PREFIX, publicKey)));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (InvalidKeyException | SignatureException | java.security.spec.InvalidKeySpecException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks Ed25519", e);
        }
    }

    static void requireLength(byte[] b, int length, String what) {
        if (b.length != length) throw new IllegalArgumentException(what + " must be " + length + " bytes, got " + b.length);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final class FixedRandom extends SecureRandom {
        private final byte[] bytes;

        FixedRandom(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            System.arraycopy(bytes, 0, out, 0, Math.min(bytes.length, out.length));
        }
    }

    /**
     * The y-coordinates of the eight points of order dividing 8 (the torsion subgroup). A point's
     * order depends only on y up to the sign of x, so an encoded key is small-order exactly when
     * its y (taken mod p, which also catches non-canonical encodings) is one of these five values.
     * Computed once: [L]Q lies in the torsion subgroup for any curve point Q.
     */
    static final class SmallOrder {
        private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
        private static final BigInteger D = BigInteger.valueOf(-121665)
                .multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
        private static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
        private static final Set<BigInteger> TORSION_Y = torsionY();

        /** The encoded y (sign bit cleared) is below p: the one encoding of its point. */
        static boolean isCanonical(byte[] encoded) {
            byte[] be = new byte[32];
            for (int i = 0; i < 32; i++) be[i] = encoded[31 - i];
            be[0] &= 0x7f;
            return new BigInteger(1, be).compareTo(P) < 0;
        }

        static boolean contains(byte[] encoded) {
            byte[] be = new byte[32];
            for (int i = 0; i < 32; i++) be[i] = encoded[31 - i];
            be[0] &= 0x7f;
            return TORSION_Y.contains(new BigInteger(1, be).mod(P));
        }

        private static Set<BigInteger> torsionY() {
            java.util.HashSet<BigInteger> ys = new java.util.HashSet<>();
            for (int y0 = 2; ys.size() < 5 && y0 < 1000; y0++) {
                BigInteger x = recoverX(BigInteger.valueOf(y0));
                if (x == null) continue;
                BigInteger[] t = multiply(new BigInteger[] {x, BigInteger.valueOf(y0)}, L);
                BigInteger[] q = t;
                for (int k = 0; k < 8; k++) {
                    ys.add(q[1]);
                    q = add(q, t);
                }
            }
            if (ys.size() != 5) throw new IllegalStateException("torsion subgroup not found");
            return Set.copyOf(ys);
        }

        private static BigInteger recoverX(BigInteger y) {
            BigInteger y2 = y.multiply(y).mod(P);
            BigInteger u = y2.subtract(BigInteger.ONE).mod(P);
            BigInteger v = D.multiply(y2).add(BigInteger.ONE).mod(P);
            BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
            BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
            if (x.multiply(x).subtract(x2).mod(P).signum() != 0) x = x.multiply(SQRT_M1).mod(P);
            return x.multiply(x).subtract(x2).mod(P).signum() == 0 ? x : null;
        }

        // Affine twisted Edwards addition, a = -1; complete, so doubling and the identity need no cases.
        private static BigInteger[] add(BigInteger[] p1, BigInteger[] p2) {
            BigInteger x1 = p1[0], y1 = p1[1], x2 = p2[0], y2 = p2[1];
            BigInteger dxy = D.multiply(x1).multiply(x2).multiply(y1).multiply(y2).mod(P);
            BigInteger x3 = x1.multiply(y2).add(y1.multiply(x2)).multiply(BigInteger.ONE.add(dxy).modInverse(P)).mod(P);
            BigInteger y3 = y1.multiply(y2).add(x1.multiply(x2)).multiply(BigInteger.ONE.subtract(dxy).mod(P).modInverse(P)).mod(P);
            return new BigInteger[] {x3, y3};
        }

        private static BigInteger[] multiply(BigInteger[] point, BigInteger scalar) {
            BigInteger[] result = {BigInteger.ZERO, BigInteger.ONE};
            for (int i = scalar.bitLength() - 1; i >= 0; i--) {
                result = add(result, result);
                if (scalar.testBit(i)) result = add(result, point);
            }
            return result;
        }
    }
}
