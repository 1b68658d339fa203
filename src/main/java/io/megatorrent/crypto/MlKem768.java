package io.megatorrent.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.KEM;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMExtractor;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMGenerator;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPublicKeyParameters;

/**
 * ML-KEM-768 (FIPS 203) for the hybrid handshake.
 *
 * <p>Which implementation runs: fresh key pairs and encapsulations with fresh randomness come from
 * the JDK's {@code javax.crypto.KEM} "ML-KEM" with a "ML-KEM-768" key pair, when the running JDK has
 * it (JDK 24 and later, JEP 496); on JDK 21-23 the algorithm name is unknown and BouncyCastle's
 * ML-KEM ({@code org.bouncycastle.pqc.crypto.mlkem}) does the same work. The project prefers JDK
 * crypto where it exists; the choice is made once, by asking the JDK for the algorithm by name,
 * so nothing here refers at compile time to an API newer than JDK 21 ({@code KEM} itself is in 21).
 * {@link #provider()} says which one runs.
 *
 * <p>The deterministic entry points, FIPS 203's internal ML-KEM.KeyGen_internal(d, z) and
 * ML-KEM.Encaps_internal(m) ({@link #fromSeed}, {@link #encapsulate(byte[], byte[])}), and
 * decapsulation with a raw 2400-byte key ({@link #decapsulate(byte[], byte[])}) always run on
 * BouncyCastle: the JDK offers no way to feed them fixed inputs. Only test vectors use them, and
 * both implementations are checked against each other by the tests.
 */
public final class MlKem768 {
    public static final int PUBLIC_KEY_LENGTH = 1184;
    public static final int CIPHERTEXT_LENGTH = 1088;
    public static final int SHARED_SECRET_LENGTH = 32;
    /** d || z of KeyGen_internal. */
    public static final int SEED_LENGTH = 64;
    /** m of Encaps_internal. */
    public static final int MESSAGE_LENGTH = 32;
    public static final int DECAPSULATION_KEY_LENGTH = 2400;
    private static final int K = 3;
    private static final int POLY_BYTES = 384;
    private static final int Q = 3329;

    private static final Jdk JDK = Jdk.load();

    private MlKem768() {}

    /** An ML-KEM-768 key pair: the encapsulation key goes on the wire, the other part decapsulates. */
    public interface KeyPair {
        /** The 1184-byte encapsulation key. */
        byte[] publicKey();

        /** The 32-byte shared secret for a 1088-byte ciphertext (FIPS 203 implicit rejection: a bad ciphertext yields a random-looking secret). */
        byte[] decapsulate(byte[] ciphertext) throws CryptoException;
    }

    /** A ciphertext and the shared secret it carries. */
    public record Encapsulation(byte[] ciphertext, byte[] sharedSecret) {}

    /** Which implementation runs randomized operations, and why. */
    public static String provider() {
        return JDK != null
                ? "JDK javax.crypto.KEM ML-KEM-768 (" + JDK.providerName + ", Java " + Runtime.version().feature() + ")"
                : "BouncyCastle ML-KEM-768 (this JDK " + Runtime.version().feature() + " has no ML-KEM; the JDK has it from 24)";
    }

    /** Whether the JDK's ML-KEM runs the randomized operations. */
    public static boolean usesJdk() {
        return JDK != null;
    }

    /** A fresh key pair. */
    public static KeyPair generate() {
        if (JDK != null) return JDK.generate();
        byte[] seed = new byte[SEED_LENGTH];
        new SecureRandom().nextBytes(seed);
        return fromSeed(seed);
    }

    /** ML-KEM.KeyGen_internal(d, z) with {@code seed} = d || z (64 bytes). */
    public static KeyPair fromSeed(byte[] seed) {
        if (seed.length != SEED_LENGTH) throw new IllegalArgumentException("ML-KEM seed must be 64 bytes (d || z)");
        return new BcKeyPair(new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed));
    }

    /** The FIPS 203 2400-byte decapsulation key (dk_PKE || ek || H(ek) || z) of KeyGen_internal(d, z). */
    public static byte[] decapsulationKey(byte[] seed) {
        if (seed.length != SEED_LENGTH) throw new IllegalArgumentException("ML-KEM seed must be 64 bytes (d || z)");
        return new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed).getEncoded();
    }

    /** Encapsulates a fresh secret to {@code publicKey}; rejects a key that fails FIPS 203's input checks. */
    public static Encapsulation encapsulate(byte[] publicKey) throws CryptoException {
        checkEncapsulationKey(publicKey);
        if (JDK != null) return JDK.encapsulate(publicKey);
        byte[] m = new byte[MESSAGE_LENGTH];
        new SecureRandom().nextBytes(m);
        return encapsulate(publicKey, m);
    }

    /** ML-KEM.Encaps_internal(ek, m), after FIPS 203's input checks of ek. */
    public static Encapsulation encapsulate(byte[] publicKey, byte[] m) throws CryptoException {
        checkEncapsulationKey(publicKey);
        if (m.length != MESSAGE_LENGTH) throw new IllegalArgumentException("ML-KEM message m must be 32 bytes");
        MLKEMPublicKeyParameters ek = new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_768, publicKey);
        SecretWithEncapsulation s = new MLKEMGenerator(null).internalGenerateEncapsulated(ek, m.clone());
        return new Encapsulation(s.getEncapsulation(), s.getSecret());
    }

    /** ML-KEM.Decaps with a raw 2400-byte decapsulation key, after FIPS 203's input checks (lengths, hash of ek). */
    public static byte[] decapsulate(byte[] decapsulationKey, byte[] ciphertext) throws CryptoException {
        if (decapsulationKey.length != DECAPSULATION_KEY_LENGTH) {
            throw new CryptoException("ML-KEM-768 decapsulation key must be 2400 bytes, got " + decapsulationKey.length);
        }
        requireCiphertextLength(ciphertext);
        int ekAt = K * POLY_BYTES;
        byte[] ek = Arrays.copyOfRange(decapsulationKey, ekAt, ekAt + PUBLIC_KEY_LENGTH);
        byte[] h = Arrays.copyOfRange(decapsulationKey, ekAt + PUBLIC_KEY_LENGTH, ekAt + PUBLIC_KEY_LENGTH + 32);
        if (!MessageDigest.isEqual(sha3(ek), h)) throw new CryptoException("ML-KEM-768 decapsulation key: H(ek) does not match");
        byte[] z = Arrays.copyOfRange(decapsulationKey, ekAt + PUBLIC_KEY_LENGTH + 32, DECAPSULATION_KEY_LENGTH);
        MLKEMPrivateKeyParameters dk = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768,
                Arrays.copyOfRange(decapsulationKey, 0, ekAt), h, z,
                Arrays.copyOfRange(ek, 0, ekAt), Arrays.copyOfRange(ek, ekAt, PUBLIC_KEY_LENGTH));
        return new MLKEMExtractor(dk).extractSecret(ciphertext);
    }

    /** FIPS 203 7.2 input checks: 1184 bytes, and every 12-bit coefficient of t is below q. */
    public static void checkEncapsulationKey(byte[] ek) throws CryptoException {
        if (ek.length != PUBLIC_KEY_LENGTH) throw new CryptoException("ML-KEM-768 encapsulation key must be 1184 bytes, got " + ek.length);
        for (int i = 0; i < K * POLY_BYTES; i += 3) {
            int b0 = ek[i] & 0xFF;
            int b1 = ek[i + 1] & 0xFF;
            int b2 = ek[i + 2] & 0xFF;
            if ((b0 | (b1 & 0x0F) << 8) >= Q || (b1 >>> 4 | b2 << 4) >= Q) {
                throw new CryptoException("ML-KEM-768 encapsulation key: coefficient at byte " + i + " is not below q (modulus check)");
            }
        }
    }

    private static void requireCiphertextLength(byte[] ciphertext) throws CryptoException {
        if (ciphertext.length != CIPHERTEXT_LENGTH) throw new CryptoException("ML-KEM-768 ciphertext must be 1088 bytes, got " + ciphertext.length);
    }

    private static byte[] sha3(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA3-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks SHA3-256", e);
        }
    }

    private record BcKeyPair(MLKEMPrivateKeyParameters key) implements KeyPair {
        @Override
        public byte[] publicKey() {
            return key.getPublicKey();
        }

        @Override
        public byte[] decapsulate(byte[] ciphertext) throws CryptoException {
            requireCiphertextLength(ciphertext);
            return new MLKEMExtractor(key).extractSecret(ciphertext);
        }
    }

    /**
     * The JDK's ML-KEM (JDK 24+), reached only by algorithm names so the code compiles and runs on
     * 21. Every lookup after the first names the provider that answered it: {@code KEM.getInstance}
     * without one walks every installed provider, which would load (and verify the signature of)
     * BouncyCastle's JCE provider from the class path, seconds of work inside a handshake deadline.
     */
    private static final class Jdk {
        final Provider provider;
        final String providerName;
        /** The X.509 SubjectPublicKeyInfo header before the raw 1184-byte key (fixed for ML-KEM-768). */
        final byte[] spkiPrefix;

        private Jdk(Provider provider, byte[] spkiPrefix) {
            this.provider = provider;
            this.providerName = provider.getName();
            this.spkiPrefix = spkiPrefix;
        }

        static Jdk load() {
            // Asked of SunJCE, which holds ML-KEM from JDK 24 on, not of every provider: on 21-23 a
            // search by algorithm name alone would load every provider before failing.
            Provider p = Security.getProvider("SunJCE");
            if (p == null) return null;
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("ML-KEM-768", p);
                KEM.getInstance("ML-KEM", p);
                KeyFactory.getInstance("ML-KEM", p);
                byte[] spki = g.generateKeyPair().getPublic().getEncoded();
                if (spki.length <= PUBLIC_KEY_LENGTH) return null;
                return new Jdk(p, Arrays.copyOf(spki, spki.length - PUBLIC_KEY_LENGTH));
            } catch (NoSuchAlgorithmException e) {
                return null; // JDK 21-23: BouncyCastle runs instead
            }
        }

        KeyPair generate() {
            try {
                java.security.KeyPair kp = KeyPairGenerator.getInstance("ML-KEM-768", provider).generateKeyPair();
                byte[] spki = kp.getPublic().getEncoded();
                byte[] raw = Arrays.copyOfRange(spki, spki.length - PUBLIC_KEY_LENGTH, spki.length);
                return new JdkKeyPair(raw, kp.getPrivate(), provider);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("JDK ML-KEM-768 key generation failed", e);
            }
        }

        Encapsulation encapsulate(byte[] raw) throws CryptoException {
            byte[] spki = Arrays.copyOf(spkiPrefix, spkiPrefix.length + raw.length);
            System.arraycopy(raw, 0, spki, spkiPrefix.length, raw.length);
            try {
                PublicKey pk = KeyFactory.getInstance("ML-KEM", provider).generatePublic(new X509EncodedKeySpec(spki));
                KEM.Encapsulated e = KEM.getInstance("ML-KEM", provider).newEncapsulator(pk).encapsulate();
                return new Encapsulation(e.encapsulation(), e.key().getEncoded());
            } catch (java.security.InvalidKeyException | java.security.spec.InvalidKeySpecException e) {
                throw new CryptoException("ML-KEM-768 encapsulation key rejected: " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("JDK ML-KEM-768 encapsulation failed", e);
            }
        }
    }

    private record JdkKeyPair(byte[] raw, PrivateKey key, Provider provider) implements KeyPair {
        @Override
        public byte[] publicKey() {
            return raw.clone();
        }

        @Override
        public byte[] decapsulate(byte[] ciphertext) throws CryptoException {
            requireCiphertextLength(ciphertext);
            try {
                return KEM.getInstance("ML-KEM", provider).newDecapsulator(key).decapsulate(ciphertext).getEncoded();
            } catch (javax.crypto.DecapsulateException e) {
                throw new CryptoException("ML-KEM-768 ciphertext rejected: " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("JDK ML-KEM-768 decapsulation failed", e);
            }
        }
    }
}
