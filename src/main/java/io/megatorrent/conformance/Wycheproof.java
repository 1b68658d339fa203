package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.MlKem768;
import io.megatorrent.crypto.X25519;
import java.util.Arrays;

/**
 * Wycheproof files as published (testvectors_v1): aead_test_schema (ChaCha20-Poly1305),
 * xdh_comp_schema (X25519), eddsa_verify_schema (Ed25519), and ML-KEM-768's mlkem_test_schema
 * (KeyGen from the seed d || z, then Decaps; or Encaps groups), mlkem_encaps_test_schema
 * (Encaps_internal with m, with FIPS 203's encapsulation-key check) and mlkem_decaps_test_schema
 * and mlkem_semi_expanded_decaps_test_schema (Decaps with a full 2400-byte decapsulation key,
 * with its input checks; the expected K when given), mlkem_keygen_seed_test_schema (ek and dk
 * from d || z). "valid" must pass, "invalid"
 * must be rejected, "acceptable" may go either way (both count as passed).
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
            case "mlkem_test_schema", "mlkem_encaps_test_schema", "mlkem_decaps_test_schema", "mlkem_semi_expanded_decaps_test_schema",
                    "mlkem_keygen_seed_test_schema" -> check = Wycheproof::mlkem;
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

    private static boolean mlkem(JsonObject group, JsonObject t) throws CodecException {
        String set = group.string("parameterSet");
        if (!set.equals("ML-KEM-768")) throw new AssertionError("ML-KEM parameter set " + set + " not supported (only ML-KEM-768)");
        String type = group.optString("type").orElse("");
        try {
            switch (type) {
                case "MLKEMTest" -> {
                    byte[] seed = Hex.decode(t.string("seed"));
                    if (seed.length != MlKem768.SEED_LENGTH) return false;
                    MlKem768.KeyPair kp = MlKem768.fromSeed(seed);
                    return Arrays.equals(kp.publicKey(), Hex.decode(t.string("ek")))
                            && Arrays.equals(kp.decapsulate(Hex.decode(t.string("c"))), Hex.decode(t.string("K")));
                }
                case "MLKEMEncapsTest" -> {
                    byte[] m = Hex.decode(t.string("m"));
                    if (m.length != MlKem768.MESSAGE_LENGTH) return false;
                    MlKem768.Encapsulation e = MlKem768.encapsulate(Hex.decode(t.string("ek")), m);
                    return Arrays.equals(e.ciphertext(), Hex.decode(t.string("c"))) && Arrays.equals(e.sharedSecret(), Hex.decode(t.string("K")));
                }
                case "MLKEMDecapsValidationTest" -> {
                    byte[] k = MlKem768.decapsulate(Hex.decode(t.string("dk")), Hex.decode(t.string("c")));
                    return !t.has("K") || Arrays.equals(k, Hex.decode(t.string("K")));
                }
                case "MLKEMKeyGen" -> {
                    byte[] seed = Hex.decode(t.string("seed"));
                    if (seed.length != MlKem768.SEED_LENGTH) return false;
                    return Arrays.equals(MlKem768.fromSeed(seed).publicKey(), Hex.decode(t.string("ek")))
                            && Arrays.equals(MlKem768.decapsulationKey(seed), Hex.decode(t.string("dk")));
                }
                default -> throw new AssertionError("ML-KEM test group type '" + type + "' not supported");
            }
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
