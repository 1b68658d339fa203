package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.content.Manifest;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestPointer;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.Ed25519;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code manifest}: {"seed", "manifest" (JSON text), "canonical" (text), "signature", "readKey"?,
 * "plaintext"?, "valid", "field"?}. {@code pointer}: {"seed" | "public", "salt", "seq",
 * "pointer" {size, key, blobs | index, indexKey}, "v", "signature", "target", "valid", "field"?}.
 * PROTOCOL_FINAL.md Appendix A states the checks.
 */
final class ManifestSuite implements Suite {
    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        if (suiteName.equals("pointer")) checkPointer(v);
        else checkManifest(v);
    }

    private static void checkManifest(JsonObject v) throws Exception {
        byte[] text = v.string("manifest").getBytes(StandardCharsets.UTF_8);
        boolean valid = !v.has("valid") || v.bool("valid");
        byte[] readKey = v.has("readKey") ? Hex.decode(v.string("readKey"), 32, "readKey") : null;
        if (!valid) {
            try {
                Manifest m = Manifest.parse(text);
                if (readKey != null) m.collections(readKey);
            } catch (ManifestException e) {
                if (v.has("field")) Tally.require(e.field().equals(v.string("field")), "rejected for field '" + e.field() + "', expected '" + v.string("field") + "': " + e.getMessage());
                return;
            }
            throw new AssertionError("invalid manifest accepted");
        }
        Manifest m = Manifest.parse(text);
        byte[] canonical = v.string("canonical").getBytes(StandardCharsets.UTF_8);
        Tally.require(Arrays.equals(canonical, m.signedBytes()), "canonical form differs: " + new String(m.signedBytes(), StandardCharsets.UTF_8));
        Ed25519.KeyPair key = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
        Tally.requireEqualHex(Hex.encode(key.publicKey()), Hex.encode(m.publicKey()), "publicKey");
        Tally.requireEqualHex(v.string("signature"), Hex.encode(key.sign(canonical)), "signature of the canonical form");
        Tally.requireEqualHex(v.string("signature"), Hex.encode(m.signature()), "signature in the manifest");
        if (readKey != null) {
            List<ManifestCollection> cols = m.collections(readKey);
            byte[] plaintext = Json.canonical(JsonObject.builder().put("collections", collectionsJson(cols)).build());
            Tally.require(Arrays.equals(v.string("plaintext").getBytes(StandardCharsets.UTF_8), plaintext), "decrypted plaintext differs");
        }
    }

    private static JsonArray collectionsJson(List<ManifestCollection> cols) {
        List<JsonValue> out = new ArrayList<>();
        for (ManifestCollection c : cols) {
            List<JsonValue> items = new ArrayList<>();
            c.items().forEach(f -> items.add(f.toJson()));
            out.add(JsonObject.builder().put("name", c.name()).put("items", new JsonArray(items)).build());
        }
        return new JsonArray(out);
    }

    private static void checkPointer(JsonObject v) throws Exception {
        boolean valid = !v.has("valid") || v.bool("valid");
        byte[] salt = Hex.decode(v.string("salt"));
        Tally.require(Arrays.equals(salt, SignedPointer.SALT), "salt must be \"megatorrent\"");
        long seq = v.integer("seq");
        byte[] value = Hex.decode(v.string("v"));
        byte[] signature = Hex.decode(v.string("signature"), 64, "signature");
        byte[] publicKey = v.has("seed")
                ? Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed")).publicKey()
                : Hex.decode(v.string("public"), 32, "public");
        if (v.has("target")) Tally.requireEqualHex(v.string("target"), Hex.encode(SignedPointer.target(publicKey)), "target");
        SignedPointer item = new SignedPointer(publicKey, seq, value, signature);
        if (!valid) {
            try {
                item.verify(publicKey);
            } catch (ManifestException e) {
                if (v.has("field")) Tally.require(e.field().equals(v.string("field")), "rejected for field '" + e.field() + "', expected '" + v.string("field") + "': " + e.getMessage());
                return;
            }
            throw new AssertionError("invalid pointer accepted");
        }
        ManifestPointer expected = pointer(v.object("pointer"));
        Tally.requireEqualHex(v.string("v"), Hex.encode(expected.encode()), "bencoded pointer");
        ManifestPointer decoded = item.verify(publicKey);
        Tally.requireEqualHex(v.string("v"), Hex.encode(decoded.encode()), "re-encoded pointer");
        Ed25519.KeyPair key = Ed25519.fromSeed(Hex.decode(v.string("seed"), 32, "seed"));
        Tally.requireEqualHex(v.string("signature"), Hex.encode(SignedPointer.sign(key, seq, expected).signature()), "signature");
    }

    private static ManifestPointer pointer(JsonObject p) throws CodecException {
        long size = p.integer("size");
        byte[] key = Hex.decode(p.string("key"), 32, "pointer key");
        if (p.has("blobs")) {
            List<String> ids = new ArrayList<>();
            for (JsonValue id : p.array("blobs").items()) {
                if (!(id instanceof JsonString s)) throw new CodecException("pointer blob id is not a string", 0);
                ids.add(s.value());
            }
            return new ManifestPointer(size, key, new ManifestPointer.Direct(ids));
        }
        return new ManifestPointer(size, key, new ManifestPointer.Index(p.string("index"), Hex.decode(p.string("indexKey"), 32, "indexKey")));
    }
}
