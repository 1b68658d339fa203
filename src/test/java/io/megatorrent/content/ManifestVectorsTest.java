package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.Bep44;
import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Generates test-vectors/manifest.json and pointer.json from the implementation with fixed seeds
 * and nonces, checks the committed files are exactly what it generates, and runs the conformance
 * runner on them. Regenerate with {@code -Dmegatorrent.writeVectors=true}.
 */
class ManifestVectorsTest {
    private static final byte[] SEED = ManifestFixtures.bytes(32, 0x01);
    private static final Ed25519.KeyPair KEY = Ed25519.fromSeed(SEED);
    private static final byte[] READ_KEY = ManifestFixtures.bytes(32, 0x02);
    private static final byte[] NONCE = java.util.HexFormat.of().parseHex("000102030405060708090a0b");

    // ---- manifest vectors ----

    private static List<ManifestCollection> collections() {
        return List.of(
                new ManifestCollection("Season 1", List.of(
                        ManifestFixtures.file("e01.mkv", 1_500_000, 1),
                        ManifestFixtures.file("extras/notes.txt", 12, 2),
                        ManifestFixtures.file("empty", 0, 3))),
                new ManifestCollection("Musique été", List.of(ManifestFixtures.file("01 日本 🎵.flac", 3_000_000, 4))));
    }

    private static JsonObject vector(String name, Map<String, JsonValue> extra) {
        JsonObject.Builder b = JsonObject.builder().put("name", name);
        extra.forEach(b::put);
        return b.build();
    }

    private static JsonObject validManifest(String name, Manifest m, String text, byte[] readKey) throws Exception {
        Map<String, JsonValue> f = new LinkedHashMap<>();
        f.put("seed", new JsonString(Hex.encode(SEED)));
        if (readKey != null) f.put("readKey", new JsonString(Hex.encode(readKey)));
        f.put("manifest", new JsonString(text));
        f.put("canonical", new JsonString(new String(m.signedBytes(), StandardCharsets.UTF_8)));
        f.put("signature", new JsonString(Hex.encode(m.signature())));
        if (readKey != null) {
            byte[] pt = Json.canonical(JsonObject.builder().put("collections", Manifest.collectionsJson(m.collections(readKey))).build());
            f.put("plaintext", new JsonString(new String(pt, StandardCharsets.UTF_8)));
        }
        f.put("valid", JsonValue.JsonBool.TRUE);
        return vector(name, f);
    }

    private static JsonObject invalidManifest(String name, String text, String field, byte[] readKey) {
        Map<String, JsonValue> f = new LinkedHashMap<>();
        f.put("seed", new JsonString(Hex.encode(SEED)));
        if (readKey != null) f.put("readKey", new JsonString(Hex.encode(readKey)));
        f.put("manifest", new JsonString(text));
        f.put("valid", JsonValue.JsonBool.FALSE);
        f.put("field", new JsonString(field));
        return vector(name, f);
    }

    private static String text(JsonObject o) {
        return Json.write(o);
    }

    private static Map<String, JsonValue> members(Manifest m) throws Exception {
        return new LinkedHashMap<>(Json.parseObject(m.toBytes()).members());
    }

    private static String resigned(Map<String, JsonValue> m) {
        Map<String, JsonValue> copy = new LinkedHashMap<>(m);
        copy.remove("signature");
        copy.put("signature", new JsonString(Hex.encode(KEY.sign(Json.canonical(new JsonObject(without(copy)))))));
        return text(new JsonObject(copy));
    }

    private static Map<String, JsonValue> without(Map<String, JsonValue> m) {
        Map<String, JsonValue> copy = new LinkedHashMap<>(m);
        copy.remove("signature");
        return copy;
    }

    /** A manifest whose item {@code name} is replaced, signed again so only the name rule can fail. */
    private static String withItemName(Manifest m, String name) throws Exception {
        Map<String, JsonValue> o = members(m);
        JsonArray cols = (JsonArray) o.get("collections");
        JsonObject c0 = (JsonObject) cols.items().get(0);
        List<JsonValue> items = new ArrayList<>(((JsonArray) c0.members().get("items")).items());
        Map<String, JsonValue> item = new LinkedHashMap<>(((JsonObject) items.get(0)).members());
        item.put("name", new JsonString(name));
        items.set(0, new JsonObject(item));
        Map<String, JsonValue> c = new LinkedHashMap<>(c0.members());
        c.put("items", new JsonArray(items));
        List<JsonValue> newCols = new ArrayList<>(cols.items());
        newCols.set(0, new JsonObject(c));
        o.put("collections", new JsonArray(newCols));
        return resigned(o);
    }

    /** A manifest whose collection {@code i} is changed by {@code edit}, signed again. */
    private static String withCollection(Manifest m, int i, java.util.function.Consumer<Map<String, JsonValue>> edit) throws Exception {
        Map<String, JsonValue> o = members(m);
        List<JsonValue> cols = new ArrayList<>(((JsonArray) o.get("collections")).items());
        Map<String, JsonValue> c = new LinkedHashMap<>(((JsonObject) cols.get(i)).members());
        edit.accept(c);
        cols.set(i, new JsonObject(c));
        o.put("collections", new JsonArray(cols));
        return resigned(o);
    }

    /** A manifest whose item {@code j} of collection 0 is changed by {@code edit}, signed again. */
    private static String withItem(Manifest m, int j, java.util.function.Consumer<Map<String, JsonValue>> edit) throws Exception {
        return withCollection(m, 0, c -> {
            List<JsonValue> items = new ArrayList<>(((JsonArray) c.get("items")).items());
            Map<String, JsonValue> item = new LinkedHashMap<>(((JsonObject) items.get(j)).members());
            edit.accept(item);
            items.set(j, new JsonObject(item));
            c.put("items", new JsonArray(items));
        });
    }

    private static String withItemName(Manifest m, int j, String name) throws Exception {
        return withItem(m, j, item -> item.put("name", new JsonString(name)));
    }

    /** A signed private manifest (seq 8, fixed nonce) whose plaintext is exactly {@code plaintext}. */
    private static String privateWithPlaintext(String plaintext) {
        byte[] ct = io.megatorrent.crypto.ChaChaPoly.seal(READ_KEY, NONCE, Manifest.aad(KEY.publicKey(), 8), plaintext.getBytes(StandardCharsets.UTF_8));
        Map<String, JsonValue> o = new LinkedHashMap<>();
        o.put("version", JsonValue.JsonNumber.of(1));
        o.put("publicKey", new JsonString(Hex.encode(KEY.publicKey())));
        o.put("seq", JsonValue.JsonNumber.of(8));
        o.put("timestamp", JsonValue.JsonNumber.of(1_764_201_700L));
        o.put("encrypted", JsonValue.JsonBool.TRUE);
        o.put("nonce", new JsonString(Hex.encode(NONCE)));
        o.put("ciphertext", new JsonString(Base64.getEncoder().encodeToString(ct)));
        return resigned(o);
    }

    static JsonObject manifestVectors() throws Exception {
        List<JsonValue> v = new ArrayList<>();
        Manifest pub = Manifest.signPublic(KEY, 7, 1_764_201_600L, collections());
        String pubText = new String(pub.toBytes(), StandardCharsets.UTF_8);
        v.add(validManifest("public manifest, canonical text", pub, pubText, null));

        List<Map.Entry<String, JsonValue>> entries = new ArrayList<>(members(pub).entrySet());
        Collections.reverse(entries);
        Map<String, JsonValue> reversed = new LinkedHashMap<>();
        for (var e : entries) reversed.put(e.getKey(), e.getValue());
        v.add(validManifest("members reversed and pretty-printed: same canonical form, still valid", pub,
                Json.writePretty(new JsonObject(reversed)), null));
        Manifest empty = Manifest.signPublic(KEY, 0, 0, List.of());
        v.add(validManifest("no collections", empty, new String(empty.toBytes(), StandardCharsets.UTF_8), null));

        Map<String, JsonValue> m = members(pub);
        m.put("seq", JsonValue.JsonNumber.of(8));
        v.add(invalidManifest("seq changed after signing", text(new JsonObject(m)), "signature", null));
        m = members(pub);
        m.put("timestamp", JsonValue.JsonNumber.of(1_764_201_601L));
        v.add(invalidManifest("timestamp changed after signing", text(new JsonObject(m)), "signature", null));
        v.add(invalidManifest("item name changed after signing", pubText.replace("e01.mkv", "e02.mkv"), "signature", null));
        String sig = Hex.encode(pub.signature());
        String flipped = (sig.charAt(0) == '0' ? "1" : "0") + sig.substring(1);
        v.add(invalidManifest("signature changed", pubText.replace(sig, flipped), "signature", null));
        v.add(invalidManifest("signature missing", text(new JsonObject(without(members(pub)))), "signature", null));
        m = members(pub);
        m.put("version", JsonValue.JsonNumber.of(2));
        v.add(invalidManifest("unknown version 2 (signed)", resigned(m), "version", null));
        m = members(pub);
        m.put("comment", new JsonString("hi"));
        v.add(invalidManifest("unknown field (signed)", resigned(m), "comment", null));
        m = members(pub);
        m.put("publicKey", new JsonString(Hex.encode(KEY.publicKey()).toUpperCase()));
        v.add(invalidManifest("upper-case hex public key", resigned(m), "publicKey", null));
        String name = "collections[0].items[0].name";
        v.add(invalidManifest("item name '..' (signed)", withItemName(pub, "a/../../etc/passwd"), name, null));
        v.add(invalidManifest("absolute item name (signed)", withItemName(pub, "/etc/passwd"), name, null));
        v.add(invalidManifest("backslash in item name (signed)", withItemName(pub, "..\\x"), name, null));
        v.add(invalidManifest("NUL in item name (signed)", withItemName(pub, "a\u0000b"), name, null));
        v.add(invalidManifest("control character in item name (signed)", withItemName(pub, "a\u001b[2J"), name, null));
        v.add(invalidManifest("right-to-left override U+202E in item name (signed)", withItemName(pub, "invoice\u202Efdp.exe"), name, null));
        v.add(invalidManifest("zero-width space U+200B in item name (signed)", withItemName(pub, "setup\u200B.exe"), name, null));
        v.add(invalidManifest("empty component in item name (signed)", withItemName(pub, "a//b"), name, null));
        v.add(invalidManifest("256-byte component (signed)", withItemName(pub, "x".repeat(256)), name, null));
        v.add(invalidManifest("duplicate item name (signed)", withItemName(pub, "empty"), "collections[0].items[2].name", null));
        v.add(invalidManifest("file 'extras' clashes with folder 'extras/' (signed)", withItemName(pub, "extras"),
                "collections[0].items[1].name", null));

        Manifest priv = Manifest.signPrivate(KEY, READ_KEY, 8, 1_764_201_700L, collections(), NONCE);
        String privText = new String(priv.toBytes(), StandardCharsets.UTF_8);
        v.add(validManifest("private manifest, opened with the read key", priv, privText, READ_KEY));
        v.add(invalidManifest("private manifest, wrong read key", privText, "ciphertext", ManifestFixtures.bytes(32, 0x03)));
        m = members(priv);
        byte[] ct = Base64.getDecoder().decode(((JsonString) m.get("ciphertext")).value());
        ct[5] ^= 0x40;
        m.put("ciphertext", new JsonString(Base64.getEncoder().encodeToString(ct)));
        v.add(invalidManifest("private manifest, ciphertext changed after signing", text(new JsonObject(m)), "signature", READ_KEY));
        v.add(invalidManifest("private manifest, ciphertext changed and signed again: tag fails", resigned(m), "ciphertext", READ_KEY));
        m = members(priv);
        m.put("seq", JsonValue.JsonNumber.of(9));
        v.add(invalidManifest("private manifest moved to another seq and signed again: AAD fails", resigned(m), "ciphertext", READ_KEY));

        // Error fields of 6.4.4: missing members, unknown members below the top level, clashes.
        m = members(pub);
        m.remove("timestamp");
        v.add(invalidManifest("member 'timestamp' missing (signed)", resigned(m), "timestamp", null));
        m = members(pub);
        m.remove("version");
        v.add(invalidManifest("member 'version' missing (signed)", resigned(m), "version", null));
        v.add(invalidManifest("item member 'key' missing (signed)", withItem(pub, 0, item -> item.remove("key")), "collections[0].items[0].key", null));
        v.add(invalidManifest("unknown member in a collection (signed)", withCollection(pub, 0, c -> c.put("note", new JsonString("x"))),
                "collections[0].note", null));
        v.add(invalidManifest("unknown member in an item (signed)", withItem(pub, 1, item -> item.put("note", new JsonString("x"))),
                "collections[0].items[1].note", null));
        v.add(invalidManifest("upper-case hex file key in an item (signed)",
                withItem(pub, 0, item -> item.put("key", new JsonString(((JsonString) item.get("key")).value().toUpperCase()))),
                "collections[0].items[0].key", null));
        v.add(invalidManifest("upper-case hex blob id in an item (signed)",
                withItem(pub, 0, item -> item.put("blobs", new JsonArray(List.of(new JsonString(
                        ((JsonString) ((JsonArray) item.get("blobs")).items().get(0)).value().toUpperCase()), ((JsonArray) item.get("blobs")).items().get(1))))),
                "collections[0].items[0].blobs[0]", null));
        v.add(invalidManifest("a later item named like an earlier item's folder: the later one is named (signed)", withItemName(pub, 2, "extras"),
                "collections[0].items[2].name", null));
        v.add(invalidManifest("two collections of one name: the later one is named (signed)",
                withCollection(pub, 1, c -> c.put("name", new JsonString("Season 1"))), "collections[1].name", null));

        m = members(priv);
        m.put("collections", new JsonArray(List.of()));
        v.add(invalidManifest("private manifest with 'collections' beside 'encrypted' (signed)", resigned(m), "collections", null));
        String canonicalPlain = new String(Json.canonical(JsonObject.builder().put("collections", Manifest.collectionsJson(collections())).build()),
                StandardCharsets.UTF_8);
        v.add(invalidManifest("private manifest whose plaintext has an extra member (signed)",
                privateWithPlaintext(canonicalPlain.substring(0, canonicalPlain.length() - 1) + ",\"note\":\"x\"}"), "ciphertext.note", READ_KEY));
        v.add(invalidManifest("private manifest whose plaintext is not canonical: whitespace (signed)",
                privateWithPlaintext("{ \"collections\": " + Json.write(Manifest.collectionsJson(collections())) + " }"), "ciphertext", READ_KEY));
        v.add(invalidManifest("private manifest whose plaintext is not canonical: a number spelled 1.0 (signed)",
                privateWithPlaintext("{\"collections\":[{\"items\":[{\"blobs\":[],\"key\":\"" + "00".repeat(32) + "\",\"name\":\"a\",\"size\":0.0}],\"name\":\"c\"}]}"),
                "ciphertext", READ_KEY));
        v.add(validManifest("private manifest whose plaintext is canonical, built by hand", Manifest.parse(privateWithPlaintext(canonicalPlain).getBytes(StandardCharsets.UTF_8)),
                privateWithPlaintext(canonicalPlain), READ_KEY));

        return JsonObject.builder()
                .put("suite", "manifest")
                .put("source", "generated by ManifestVectorsTest from io.megatorrent.content.Manifest (seed 01*32, read key 02*32, nonce 000102..0b)")
                .put("vectors", new JsonArray(v))
                .build();
    }

    // ---- pointer vectors ----

    private static JsonObject validPointer(String name, long seq, ManifestPointer p) {
        SignedPointer item = SignedPointer.sign(KEY, seq, p);
        JsonObject.Builder fields = JsonObject.builder().put("size", p.size()).put("key", Hex.encode(p.manifestKey()));
        switch (p.locator()) {
            case ManifestPointer.Direct d -> {
                List<JsonValue> ids = new ArrayList<>();
                d.blobIds().forEach(id -> ids.add(new JsonString(id)));
                fields.put("blobs", new JsonArray(ids));
            }
            case ManifestPointer.Index x -> fields.put("index", x.blobId()).put("indexKey", Hex.encode(x.key()));
        }
        return JsonObject.builder()
                .put("name", name)
                .put("seed", Hex.encode(SEED))
                .put("salt", Hex.encode(SignedPointer.SALT))
                .put("seq", seq)
                .put("pointer", fields.build())
                .put("v", Hex.encode(item.value()))
                .put("signature", Hex.encode(item.signature()))
                .put("target", Hex.encode(item.target()))
                .put("valid", true)
                .build();
    }

    /** An item whose value is {@code value}, properly signed unless {@code signature} is given. */
    private static JsonObject invalidPointer(String name, long seq, byte[] value, byte[] signature, String field) {
        byte[] sig = signature != null ? signature : KEY.sign(Bep44.signedBuffer(SignedPointer.SALT, seq, value));
        return JsonObject.builder()
                .put("name", name)
                .put("seed", Hex.encode(SEED))
                .put("salt", Hex.encode(SignedPointer.SALT))
                .put("seq", seq)
                .put("v", Hex.encode(value))
                .put("signature", Hex.encode(sig))
                .put("target", Hex.encode(SignedPointer.target(KEY.publicKey())))
                .put("valid", false)
                .put("field", field)
                .build();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static JsonObject pointerVectors() throws Exception {
        List<JsonValue> v = new ArrayList<>();
        byte[] k = ManifestFixtures.bytes(32, 0x11);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) ids.add(Hex.encode(io.megatorrent.crypto.Hashes.sha256(new byte[] {(byte) i})));
        ManifestPointer direct = new ManifestPointer(2_149_205, k, new ManifestPointer.Direct(ids));
        v.add(validPointer("direct: a 10,000-file manifest of 3 blobs", 1, direct));
        List<String> eight = new ArrayList<>();
        for (int i = 0; i < 8; i++) eight.add(Hex.encode(io.megatorrent.crypto.Hashes.sha256(new byte[] {(byte) (10 + i)})));
        v.add(validPointer("direct: the largest inline list, 8 blobs", 2,
                new ManifestPointer(8L * 1_048_576, k, new ManifestPointer.Direct(eight))));
        ManifestPointer index = new ManifestPointer(9_560_302, k,
                new ManifestPointer.Index(Hex.encode(io.megatorrent.crypto.Hashes.sha256(new byte[] {99})), ManifestFixtures.bytes(32, 0x44)));
        v.add(validPointer("index: a 9.5 MB manifest of 10 blobs listed by an index blob", 3, index));
        v.add(validPointer("index: the largest manifest, 64 MiB", (1L << 53) - 1,
                new ManifestPointer(Manifest.MAX_MANIFEST_BYTES, k, new ManifestPointer.Index(ids.get(0), ManifestFixtures.bytes(32, 0x45)))));

        SignedPointer item = SignedPointer.sign(KEY, 1, direct);
        byte[] badSig = item.signature();
        badSig[0] ^= 1;
        v.add(invalidPointer("signature changed", 1, direct.encode(), badSig, "signature"));
        v.add(invalidPointer("seq changed after signing", 2, direct.encode(), item.signature(), "signature"));
        byte[] body = direct.encode();
        String s = new String(body, StandardCharsets.ISO_8859_1);
        v.add(invalidPointer("unknown pointer version 2", 1, ascii(s.replace("1:vi1e", "1:vi2e")), null, "pointer.v"));
        v.add(invalidPointer("unknown key 'z'", 1, ascii(s.substring(0, s.length() - 1) + "1:zi0ee"), null, "pointer.z"));
        v.add(invalidPointer("size disagrees with the blob count", 1, ascii(s.replace("1:ni2149205e", "1:ni1048576e")), null, "pointer.b"));
        v.add(invalidPointer("size zero", 1, ascii(s.replace("1:ni2149205e", "1:ni0e")), null, "pointer.n"));
        v.add(invalidPointer("size beyond 64 MiB", 1, ascii(s.replace("1:ni2149205e", "1:ni67108865e")), null, "pointer.n"));
        String si = new String(index.encode(), StandardCharsets.ISO_8859_1);
        v.add(invalidPointer("index without its key 'x'", 3, ascii(si.substring(0, si.indexOf("1:x32:")) + "e"), null, "pointer.x"));
        String blist = s.substring(s.indexOf("1:bl"), s.indexOf("e1:k32:") + 1);
        String xpart = si.substring(si.indexOf("1:x32:"), si.length() - 1);
        String ipart = si.substring(si.indexOf("1:i32:"), si.indexOf("1:k32:"));
        String kn = s.substring(s.indexOf("1:k32:"), s.length() - 1); // k, n, v
        v.add(invalidPointer("both 'b' and 'i'", 1, ascii("d" + blist + ipart + kn + "e"), null, "pointer.i"));
        v.add(invalidPointer("both 'b' and 'i', with 'x'", 1, ascii("d" + blist + ipart + kn + xpart + "e"), null, "pointer.i"));
        v.add(invalidPointer("'b' with an index key 'x'", 1, ascii("d" + blist + kn + xpart + "e"), null, "pointer.x"));
        v.add(invalidPointer("neither 'b' nor 'i'", 1, ascii("d" + kn + "e"), null, "pointer.b"));
        v.add(invalidPointer("'x' alone, without 'i' or 'b'", 1, ascii("d" + kn + xpart + "e"), null, "pointer.x"));
        v.add(invalidPointer("the wrapped form: the pointer's encoding as a byte string, not the dictionary itself", 1,
                ascii(body.length + ":" + s), null, "pointer"));
        v.add(invalidPointer("not canonical: keys out of order", 1,
                ascii("d1:k32:" + "\u0011".repeat(32) + "1:bl" + ids.stream().map(id -> "32:" + new String(java.util.HexFormat.of().parseHex(id), StandardCharsets.ISO_8859_1)).reduce("", String::concat)
                        + "e1:ni2149205e1:vi1ee"), null, "pointer"));
        v.add(invalidPointer("longer than BEP 44's 1000 bytes", 1,
                ascii(s.substring(0, s.length() - 1) + "1:z990:" + "z".repeat(990) + "e"), null, "pointer"));

        return JsonObject.builder()
                .put("suite", "pointer")
                .put("source", "generated by ManifestVectorsTest from io.megatorrent.content.ManifestPointer and SignedPointer (seed 01*32)")
                .put("vectors", new JsonArray(v))
                .build();
    }

    private static void compareOrWrite(String file, JsonObject vectors) throws Exception {
        Path path = Peers.projectDir().resolve("test-vectors").resolve(file);
        String generated = Json.writePretty(vectors) + "\n";
        if (Boolean.getBoolean("megatorrent.writeVectors")) {
            Files.createDirectories(path.getParent());
            Files.writeString(path, generated);
        }
        assertTrue(Files.exists(path), path + " is missing: run with -Dmegatorrent.writeVectors=true");
        assertEquals(generated, Files.readString(path), path + " is not what the implementation generates");
        Conformance.FileResult r = Conformance.runFile(path);
        assertEquals(List.of(), r.failures());
        assertEquals(((JsonArray) vectors.members().get("vectors")).items().size(), r.passed());
    }

    @Test
    void manifestVectorsAreGeneratedAndPass() throws Exception {
        compareOrWrite("manifest.json", manifestVectors());
    }

    @Test
    void pointerVectorsAreGeneratedAndPass() throws Exception {
        compareOrWrite("pointer.json", pointerVectors());
    }
}
