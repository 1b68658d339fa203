package io.megatorrent.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CryptoTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void ed25519SignsAndVerifiesAndRejectsSmallOrderKeys() {
        Ed25519.KeyPair kp = Ed25519.fromSeed(new byte[32]);
        byte[] sig = kp.sign("hello".getBytes());
        assertTrue(Ed25519.verify(kp.publicKey(), "hello".getBytes(), sig));
        assertFalse(Ed25519.verify(kp.publicKey(), "hellO".getBytes(), sig));
        // the identity point, encoded canonically and non-canonically (y = 1 + p)
        byte[] identity = new byte[32];
        identity[0] = 1;
        assertTrue(Ed25519.SmallOrder.contains(identity));
        byte[] identityPlusP = HEX.parseHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        assertTrue(Ed25519.SmallOrder.contains(identityPlusP));
        // a known order-8 point (y from the torsion subgroup)
        assertTrue(Ed25519.SmallOrder.contains(HEX.parseHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")));
        assertTrue(Ed25519.SmallOrder.contains(HEX.parseHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")));
        assertFalse(Ed25519.SmallOrder.contains(kp.publicKey()));
        byte[] forged = new byte[64];
        forged[0] = 1; // R = identity, S = 0: "valid" for every message under the identity key, if it were accepted
        assertFalse(Ed25519.verify(identity, "anything".getBytes(), forged));
    }

    @Test
    void x25519RejectsAllZeroSharedSecret() {
        byte[] scalar = new byte[32];
        scalar[0] = 9;
        CryptoException e = assertThrows(CryptoException.class, () -> X25519.compute(scalar, new byte[32]));
        assertTrue(e.getMessage().contains("small"), e.getMessage());
        X25519.KeyPair a = X25519.generate();
        X25519.KeyPair b = X25519.generate();
        assertThrows(IllegalArgumentException.class, () -> X25519.compute(new byte[31], b.publicKey()));
        assertDoesNotThrowEqual(a, b);
    }

    private static void assertDoesNotThrowEqual(X25519.KeyPair a, X25519.KeyPair b) {
        try {
            assertArrayEquals(X25519.compute(a.privateKey(), b.publicKey()), X25519.compute(b.privateKey(), a.publicKey()));
        } catch (CryptoException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void chachaPolyOpensWhatItSealsAndDetectsTampering() throws CryptoException {
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        ChaChaPoly aead = new ChaChaPoly(key);
        byte[] sealed = aead.seal(nonce, "ad".getBytes(), "secret".getBytes());
        assertEquals(6 + 16, sealed.length);
        // a repeated key+nonce on one instance is refused (the JDK's guard against nonce reuse)...
        assertThrows(IllegalStateException.class, () -> aead.seal(nonce, "ad".getBytes(), "secret".getBytes()));
        // ...while a fresh instance (as for test vectors) gives the same bytes
        assertArrayEquals(sealed, ChaChaPoly.seal(key, nonce, "ad".getBytes(), "secret".getBytes()));
        assertArrayEquals("secret".getBytes(), aead.open(nonce, "ad".getBytes(), sealed));
        sealed[0] ^= 1;
        assertThrows(CryptoException.class, () -> aead.open(nonce, "ad".getBytes(), sealed));
        assertThrows(CryptoException.class, () -> aead.open(nonce, null, new byte[15]));
    }

    @Test
    void hmacSha256MatchesRfc4231() {
        // RFC 4231 test case 2
        byte[] mac = HashFunction.SHA256.hmac("Jefe".getBytes(), "what do ya want for nothing?".getBytes());
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", HEX.formatHex(mac));
        // test case 6: a key longer than the block is hashed first
        byte[] longKey = new byte[131];
        java.util.Arrays.fill(longKey, (byte) 0xaa);
        mac = HashFunction.SHA256.hmac(longKey, "Test Using Larger Than Block-Size Key - Hash Key First".getBytes());
        assertEquals("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", HEX.formatHex(mac));
    }

    @Test
    void hkdfSha256MatchesRfc5869() {
        // RFC 5869 test case 1
        byte[] okm = Hkdf.derive(HashFunction.SHA256, HEX.parseHex("000102030405060708090a0b0c"),
                HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", HEX.formatHex(okm));
    }

    @Test
    void noiseHkdfIsHmacChained() {
        byte[] ck = new byte[64];
        byte[] ikm = "ikm".getBytes();
        byte[][] out = HashFunction.BLAKE2B.noiseHkdf(ck, ikm, 3);
        byte[] temp = HashFunction.BLAKE2B.hmac(ck, ikm);
        assertArrayEquals(HashFunction.BLAKE2B.hmac(temp, new byte[] {1}), out[0]);
        assertArrayEquals(HashFunction.BLAKE2B.hmac(temp, out[0], new byte[] {2}), out[1]);
        assertArrayEquals(HashFunction.BLAKE2B.hmac(temp, out[1], new byte[] {3}), out[2]);
        assertEquals(64, out[2].length);
    }

    @Test
    void blake2bKeyedAndShort() {
        assertEquals(20, Blake2b.hash(new byte[64], 20, new byte[0]).length);
        assertThrows(IllegalArgumentException.class, () -> Blake2b.hash(new byte[65], 64, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> Blake2b.hash(null, 0, new byte[0]));
    }
}
