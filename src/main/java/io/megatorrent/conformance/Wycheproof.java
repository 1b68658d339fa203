package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.X25519;
import java.util.Arrays;

/**
 * Wycheproof files as published (testvectors_v1): aead_test_schema (ChaCha20-Poly1305),
 * xdh_comp_schema (X25519), eddsa_verify_schema (Ed25519). "valid" must pass, "invalid" must be
 * rejected, "acceptable" may go either way (both count as passed).
 */
final class Wycheproof {
    private Wycheproof() {}

    static void run(JsonObject root, Tally tally) throws CodecException {
        String schema = root.string("schema").replace("_v1.json", "").replace(".json", "");
        String algorithm = root.optString("algorithm").orElse("");
        int total = 0;
        for (JsonValue g : root.array("testGroups").items()) total += Conformance.vectorCount((JsonObject) g, "tests");
        Check check;
        switch (schema) {
            case "aead_test_schema" -> {
                if (!algorithm.equals("CHACHA20-POLY1305")) {
                    tally.failAll(total, "AEAD algorithm '" + algorithm + "' is not supported");
                    return;
                }
                check = Wycheproof::aead;
            }
            case "xdh_comp_schema" -> check = Wycheproof::xdh;
            case "eddsa_verify_schema" -> check = Wycheproof::eddsa;
            default -> {
                tally.failAll(total, "Wycheproof schema '" + root.string("schema") + "' is not supported");
                return;
            }
        }
        for (JsonValue gv : root.array("testGroups").items()) {
            JsonObject group = (JsonObject) gv;
            for (JsonValue tv : group.array("tests").items()) {
                JsonObject t = (JsonObject) tv;
                String id = "tcId " + t.integer("tcId") + t.optString("comment").map(c -> c.isEmpty() ? "" : " (" + c + ")").orElse("");
                String result = t.string("result");
                tally.check(id, () -> {
                    Boolean accepted = check.accepts(group, t);
                    switch (result) {
                        case "valid" -> Tally.require(accepted, "valid case rejected");
                        case "invalid" -> Tally.require(!accepted, "invalid case accepted");
                        case "acceptable" -> { }
                        default -> throw new AssertionError("unknown result '" + result + "'");
                    }
                });
            }
        }
    }

    @FunctionalInterface
    private interface Check {
        /** True when our implementation accepts the case and computes the expected output. */
        boolean accepts(JsonObject group, JsonObject test) throws Exception;
    }

    private static boolean aead(JsonObject group, JsonObject t) throws CodecException {
        byte[] key = Hex.decode(t.string("key"));
        byte[] iv = Hex.decode(t.string("iv"));
        if (key.length != ChaChaPoly.KEY_LENGTH || iv.length != ChaChaPoly.NONCE_LENGTH) return false;
        byte[] aad = Hex.decode(t.string("aad"));
        byte[] msg = Hex.decode(t.string("msg"));
        byte[] sealed = CryptoSuites.concat(Hex.decode(t.string("ct")), Hex.decode(t.string("tag")));
        if (sealed.length != msg.length + ChaChaPoly.TAG_LENGTH) return false;
        try {
            byte[] opened = ChaChaPoly.open(key, iv, aad, sealed);
            return Arrays.equals(opened, msg) && Arrays.equals(ChaChaPoly.seal(key, iv, aad, msg), sealed);
        } catch (CryptoException e) {
            return false;
        }
    }

    private static boolean xdh(JsonObject group, JsonObject t) throws CodecException {
        if (!group.string("curve").equals("curve25519")) throw new AssertionError("curve " + group.string("curve") + " not supported");
        byte[] priv = Hex.decode(t.string("private"));
        byte[] pub = Hex.decode(t.string("public"));
        if (priv.length != X25519.KEY_LENGTH || pub.length != X25519.KEY_LENGTH) return false;
        try {
            return Arrays.equals(X25519.compute(priv, pub), Hex.decode(t.string("shared")));
        } catch (CryptoException e) {
            return false;
        }
    }

    private static boolean eddsa(JsonObject group, JsonObject t) throws CodecException {
        JsonObject key = group.object("publicKey");
        if (!key.string("curve").equals("edwards25519")) throw new AssertionError("curve " + key.string("curve") + " not supported");
        return Ed25519.verify(Hex.decode(key.string("pk")), Hex.decode(t.string("msg")), Hex.decode(t.string("sig")));
    }
}
