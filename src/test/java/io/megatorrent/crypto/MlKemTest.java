package io.megatorrent.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bouncycastle.pqc.crypto.mlkem.MLKEMParameters;
import org.bouncycastle.pqc.crypto.mlkem.MLKEMPrivateKeyParameters;
import org.junit.jupiter.api.Test;

/** ML-KEM-768 behind the facade: the JDK's and BouncyCastle's agree both ways; the seeded path is deterministic; input checks. */
class MlKemTest {
    private static byte[] seed(int x) {
        byte[] s = new byte[MlKem768.SEED_LENGTH];
        for (int i = 0; i < s.length; i++) s[i] = (byte) (x + i);
        return s;
    }

    @Test
    void theJdkRunsWhereItHasMlKem() {
        boolean jdkHasIt = Runtime.version().feature() >= 24;
        assertEquals(jdkHasIt, MlKem768.usesJdk(), MlKem768.provider());
        assertTrue(MlKem768.provider().contains(jdkHasIt ? "JDK" : "BouncyCastle"), MlKem768.provider());
    }

    @Test
    void randomizedAndSeededImplementationsInteroperate() throws Exception {
        MlKem768.KeyPair fresh = MlKem768.generate(); // the JDK's on 24+
        assertEquals(MlKem768.PUBLIC_KEY_LENGTH, fresh.publicKey().length);
        MlKem768.Encapsulation toFresh = MlKem768.encapsulate(fresh.publicKey(), new byte[32]); // BouncyCastle, seeded
        assertEquals(MlKem768.CIPHERTEXT_LENGTH, toFresh.ciphertext().length);
        assertArrayEquals(toFresh.sharedSecret(), fresh.decapsulate(toFresh.ciphertext()));

        MlKem768.KeyPair seeded = MlKem768.fromSeed(seed(3)); // BouncyCastle
        MlKem768.Encapsulation toSeeded = MlKem768.encapsulate(seeded.publicKey()); // the JDK's on 24+
        assertArrayEquals(toSeeded.sharedSecret(), seeded.decapsulate(toSeeded.ciphertext()));
        byte[] dk = new MLKEMPrivateKeyParameters(MLKEMParameters.ml_kem_768, seed(3)).getEncoded();
        assertArrayEquals(toSeeded.sharedSecret(), MlKem768.decapsulate(dk, toSeeded.ciphertext()), "expanded 2400-byte key");
    }

    @Test
    void seededOperationsAreDeterministic() throws Exception {
        assertArrayEquals(MlKem768.fromSeed(seed(1)).publicKey(), MlKem768.fromSeed(seed(1)).publicKey());
        assertFalse(java.util.Arrays.equals(MlKem768.fromSeed(seed(1)).publicKey(), MlKem768.fromSeed(seed(2)).publicKey()));
        byte[] ek = MlKem768.fromSeed(seed(1)).publicKey();
        byte[] m = new byte[32];
        assertArrayEquals(MlKem768.encapsulate(ek, m).ciphertext(), MlKem768.encapsulate(ek, m).ciphertext());
    }

    @Test
    void inputChecks() throws Exception {
        byte[] ek = MlKem768.fromSeed(seed(1)).publicKey();
        byte[] bad = ek.clone();
        bad[1151] = (byte) 0xFF; // the last coefficient of t: 0xFF0 | ... >= q
        assertThrows(CryptoException.class, () -> MlKem768.encapsulate(bad));
        assertThrows(CryptoException.class, () -> MlKem768.encapsulate(java.util.Arrays.copyOf(ek, 1183)));
        MlKem768.KeyPair kp = MlKem768.generate();
        assertThrows(CryptoException.class, () -> kp.decapsulate(new byte[1087]));
        // Implicit rejection: a wrong ciphertext of the right length decapsulates to another secret, no error.
        MlKem768.Encapsulation e = MlKem768.encapsulate(kp.publicKey());
        byte[] flipped = e.ciphertext();
        flipped[7] ^= 1;
        assertFalse(java.util.Arrays.equals(e.sharedSecret(), kp.decapsulate(flipped)));
    }
}
