package io.megatorrent.conformance;

import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.Bep44;
import java.util.Arrays;

/**
 * {@code bep44}: mutable items {"seed" or "public", "salt", "seq", "v", "signature", "target"},
 * immutable items {"v", "target"}; "valid": false marks a tampered item that must be rejected.
 */
final class Bep44Suite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        check(v);
    }

    private static void check(JsonObject v) throws CodecException {
        byte[] value = Hex.decode(v.string("v"));
        boolean valid = !v.has("valid") || v.bool("valid");
        byte[] canonical = Bencode.encode(Bencode.decode(value));
        Tally.require(Arrays.equals(canonical, value), "v is not canonical bencode");
        if (!v.has("signature")) {
            Tally.requireEqualHex(v.string("target"), Hex.encode(Bep44.immutableTarget(value)), "immutable target");
            return;
        }
        byte[] salt = Hex.decode(v.string("salt"));
        long seq = v.integer("seq");
        byte[] publicKey;
        byte[] buffer = Bep44.signedBuffer(salt, seq, value);
        if (v.has("seed")) {
            Ed25519.KeyPair kp = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
            publicKey = kp.publicKey();
            if (valid) Tally.requireEqualHex(v.string("signature"), Hex.encode(kp.sign(buffer)), "signature");
        } else {
            publicKey = Hex.decode(v.string("public"), 32, "public");
        }
        Tally.requireEqualHex(v.string("target"), Hex.encode(Bep44.mutableTarget(publicKey, salt)), "mutable target");
        boolean verified = salt.length <= Bep44.MAX_SALT_LENGTH && value.length <= Bep44.MAX_VALUE_LENGTH
                && Ed25519.verify(publicKey, buffer, Hex.decode(v.string("signature")));
        Tally.require(verified == valid, valid ? "valid item rejected" : "tampered item accepted");
    }
}
