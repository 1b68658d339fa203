package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.HashFunction;
import io.megatorrent.crypto.X25519;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NoiseTest {
    @Test
    void protocolNamesParse() {
        assertEquals(new Noise.Protocol(Noise.Pattern.IK, HashFunction.SHA256), Noise.Protocol.parse("Noise_IK_25519_ChaChaPoly_SHA256"));
        assertEquals("Noise_XX_25519_ChaChaPoly_BLAKE2b", Connection.XX.name());
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_XX_448_ChaChaPoly_BLAKE2b"));
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_KK_25519_ChaChaPoly_BLAKE2b"));
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_XX_25519_AESGCM_SHA256"));
        Noise.Protocol hfs = Noise.Protocol.parse("Noise_IKhfs_25519+MLKEM768_ChaChaPoly_SHA256");
        assertEquals(new Noise.Protocol(Noise.Pattern.IKhfs, HashFunction.SHA256), hfs);
        assertEquals("Noise_IKhfs_25519+MLKEM768_ChaChaPoly_SHA256", hfs.name());
        assertEquals("Noise_XXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2b", Connection.XX_HFS.name());
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_XXhfs_25519_ChaChaPoly_SHA256"), "hfs needs a KEM");
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_XX_25519+MLKEM768_ChaChaPoly_SHA256"), "a KEM needs hfs");
        assertThrows(IllegalArgumentException.class, () -> Noise.Protocol.parse("Noise_XXhfs_25519+Kyber1024_ChaChaPoly_SHA256"));
    }

    @Test
    void nonceIsZeroThenLittleEndianCounter() throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 7);
        long n = 0x0102030405060708L;
        byte[] ct = new Noise.CipherState(key, n).encryptWithAd(new byte[0], new byte[] {1, 2, 3});
        byte[] nonce = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
        assertArrayEquals(ChaChaPoly.seal(key, nonce, new byte[0], new byte[] {1, 2, 3}), ct);
    }

    @Test
    void rekeyFollowsTheSpecAndKeepsTheCounter() throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 3);
        Noise.CipherState c = new Noise.CipherState(key, 41);
        c.rekey();
        assertEquals(41, c.nonce());
        byte[] maxNonce = {0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1};
        byte[] next = Arrays.copyOf(ChaChaPoly.seal(key, maxNonce, new byte[0], new byte[32]), 32);
        assertArrayEquals(new Noise.CipherState(next, 41).encryptWithAd(null, new byte[5]), c.encryptWithAd(null, new byte[5]));
    }

    @Test
    void nonceTwoToTheSixtyFourMinusOneIsRefused() throws Exception {
        Noise.CipherState c = new Noise.CipherState(new byte[32], -2L); // 2^64 - 2
        c.encryptWithAd(null, new byte[1]);
        assertEquals(-1L, c.nonce());
        assertThrows(CryptoException.class, () -> c.encryptWithAd(null, new byte[1]));
        Noise.CipherState d = new Noise.CipherState(new byte[32], -1L);
        assertThrows(CryptoException.class, () -> d.decryptWithAd(null, new byte[17]));
    }

    @Test
    void badTagLeavesTheNonceUnchanged() throws Exception {
        Noise.CipherState c = new Noise.CipherState(new byte[32], 5);
        assertThrows(CryptoException.class, () -> c.decryptWithAd(null, new byte[20]));
        assertEquals(5, c.nonce());
    }

    @Test
    void framingRekeysEveryTwoToTheSixteenFrames() throws Exception {
        byte[] key = new byte[32];
        Noise.CipherState send = new Noise.CipherState(key, Framing.REKEY_INTERVAL - 1);
        Noise.CipherState recv = new Noise.CipherState(key, Framing.REKEY_INTERVAL - 1);
        Framing.Sealer sealer = new Framing.Sealer(send);
        byte[] m1 = Message.encode(new Message.Ok(1));
        byte[] w1 = sealer.seal(m1);
        byte[] w2 = sealer.seal(m1);
        assertEquals(Framing.REKEY_INTERVAL + 1, send.nonce());
        // Without the rekey the second frame would be sealed under the original key.
        byte[] unrekeyed = new Framing.Sealer(new Noise.CipherState(key, Framing.REKEY_INTERVAL)).seal(m1);
        assertFalse(Arrays.equals(unrekeyed, w2));
        Framing.Opener opener = new Framing.Opener(recv);
        ByteArrayInputStream in = new ByteArrayInputStream(concat(w1, w2));
        assertArrayEquals(m1, opener.read(in));
        assertArrayEquals(m1, opener.read(in));
    }

    @Test
    void handshakeOutOfTurnIsRefused() throws Exception {
        var s = X25519.generate();
        Noise.HandshakeState init = new Noise.HandshakeState(Connection.XX, true, new byte[0], s, null, null);
        assertThrows(IllegalStateException.class, () -> init.readMessage(new byte[32]));
        init.writeMessage(new byte[0]);
        assertThrows(IllegalStateException.class, () -> init.writeMessage(new byte[0]));
        assertThrows(IllegalStateException.class, init::split);
    }

    @Test
    void truncatedHandshakeMessageIsRejected() throws Exception {
        var rs = X25519.generate();
        Noise.HandshakeState resp = new Noise.HandshakeState(Connection.IK, false, new byte[0], rs, null, null);
        byte[] shortMessage = Arrays.copyOf(X25519.generate().publicKey(), 40); // e, then 8 of the 48 bytes of s
        CryptoException e = assertThrows(CryptoException.class, () -> resp.readMessage(shortMessage));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void smallOrderEphemeralIsRejected() throws Exception {
        var rs = X25519.generate();
        Noise.HandshakeState resp = new Noise.HandshakeState(Connection.XX, false, new byte[0], rs, null, null);
        resp.readMessage(new byte[32]); // an all-zero "ephemeral key" is only hashed at this point
        assertThrows(CryptoException.class, () -> resp.writeMessage(new byte[0]), "ee with a small-order point must fail");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
