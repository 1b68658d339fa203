package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Blake2b;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.X25519;
import java.util.Arrays;

/** Our own primitive suites: ed25519, x25519, chacha20poly1305, blake2b (formats in PROTOCOL_FINAL.md). */
final class CryptoSuites implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        switch (suiteName) {
            case "ed25519" -> ed25519(v);
            case "x25519" -> x25519(v);
            case "chacha20poly1305" -> chacha(v);
            case "blake2b" -> blake2b(v);
            default -> throw new AssertionError("no such crypto suite " + suiteName);
        }
    }

    private static boolean valid(JsonObject v) throws CodecException {
        return !v.has("valid") || v.bool("valid");
    }

    private static void ed25519(JsonObject v) throws CodecException {
        byte[] message = Hex.decode(v.string("message"));
        byte[] signature = Hex.decode(v.string("signature"));
        byte[] publicKey = Hex.decode(v.string("public"));
        if (v.has("seed")) {
            Ed25519.KeyPair kp = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
            Tally.requireEqualHex(v.string("public"), Hex.encode(kp.publicKey()), "public key");
            if (valid(v)) Tally.requireEqualHex(v.string("signature"), Hex.encode(kp.sign(message)), "signature");
        }
        boolean ok = Ed25519.verify(publicKey, message, signature);
        Tally.require(ok == valid(v), valid(v) ? "valid signature rejected" : "invalid signature accepted");
    }

    private static void x25519(JsonObject v) throws CodecException, CryptoException {
        if (v.has("iterations")) {
            long n = v.integer("iterations");
            byte[] k = new byte[32];
            k[0] = 9;
            byte[] u = k.clone();
            for (long i = 0; i < n; i++) {
                byte[] next = X25519.compute(k, u);
                u = k;
                k = next;
            }
            Tally.requireEqualHex(v.string("output"), Hex.encode(k), "output after " + n + " iterations");
            return;
        }
        byte[] scalar = Hex.decode(v.string("scalar"), 32, "scalar");
        byte[] u = Hex.decode(v.string("u"), 32, "u");
        if (!valid(v)) {
            try {
                X25519.compute(scalar, u);
            } catch (CryptoException expected) {
                return;
            }
            throw new AssertionError("invalid input accepted");
        }
        Tally.requireEqualHex(v.string("output"), Hex.encode(X25519.compute(scalar, u)), "output");
    }

    private static void chacha(JsonObject v) throws CodecException {
        byte[] key = Hex.decode(v.string("key"), 32, "key");
        byte[] nonce = Hex.decode(v.string("nonce"), 12, "nonce");
        byte[] aad = Hex.decode(v.string("aad"));
        byte[] plaintext = Hex.decode(v.string("plaintext"));
        byte[] sealed = concat(Hex.decode(v.string("ciphertext")), Hex.decode(v.string("tag")));
        try {
            byte[] opened = ChaChaPoly.open(key, nonce, aad, sealed);
            Tally.require(valid(v), "tampered ciphertext accepted");
            Tally.require(Arrays.equals(opened, plaintext), "decryption differs from plaintext");
            Tally.requireEqualHex(Hex.encode(sealed), Hex.encode(ChaChaPoly.seal(key, nonce, aad, plaintext)), "ciphertext||tag");
        } catch (CryptoException e) {
            Tally.require(!valid(v), "valid ciphertext rejected: " + e.getMessage());
        }
    }

    private static void blake2b(JsonObject v) throws CodecException {
        byte[] input = Hex.decode(v.string("input"));
        byte[] key = Hex.decode(v.string("key"));
        int outlen = (int) v.integer("outlen");
        Tally.requireEqualHex(v.string("hash"), Hex.encode(Blake2b.hash(key, outlen, input)), "hash");
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
