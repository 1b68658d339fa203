package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.crypto.Ed25519;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestTest {
    private static final Ed25519.KeyPair KEY = ManifestFixtures.key(7);

    private static Manifest signed() throws ManifestException {
        return Manifest.signPublic(KEY, 42, 1_764_000_000L, ManifestFixtures.small());
    }

    private static JsonObject json(Manifest m) throws Exception {
        return Json.parseObject(m.toBytes());
    }

    /** Re-serializes with one member changed (or removed when value is null), signature untouched. */
    private static byte[] with(JsonObject o, String key, JsonValue value) {
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        if (value == null) m.remove(key);
        else m.put(key, value);
        return Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8);
    }

    /** As {@link #with} and then signed again, so only the rule under test can fail. */
    private static byte[] withResigned(JsonObject o, String key, JsonValue value) throws Exception {
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        if (value == null) m.remove(key);
        else m.put(key, value);
        m.remove("signature");
        byte[] sig = KEY.sign(Json.canonical(new JsonObject(m)));
        m.put("signature", new JsonString(Hex.encode(sig)));
        return Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8);
    }

    private static String fieldOf(byte[] manifest) {
        return assertThrows(ManifestException.class, () -> Manifest.parse(manifest)).field();
    }

    @Test
    void signParseRoundTrip() throws Exception {
        Manifest m = signed();
        Manifest back = Manifest.parse(m.toBytes());
        assertEquals(m, back);
        assertArrayEquals(m.toBytes(), back.toBytes());
        assertEquals(42, back.seq());
        assertEquals(1_764_000_000L, back.timestamp());
        assertFalse(back.isEncrypted());
        assertEquals(ManifestFixtures.text(ManifestFixtures.small()), ManifestFixtures.text(back.collections()));
        assertArrayEquals(KEY.publicKey(), back.publicKey());
        assertTrue(Ed25519.verify(KEY.publicKey(), back.signedBytes(), back.signature()));
        // The serialized form is canonical: signed bytes plus the signature member.
        assertArrayEquals(Json.canonical(Json.parse(m.toBytes())), m.toBytes());
    }

    @Test
    void memberOrderAndWhitespaceDoNotMatter() throws Exception {
        JsonObject o = json(signed());
        List<Map.Entry<String, JsonValue>> entries = new ArrayList<>(o.members().entrySet());
        Collections.reverse(entries);
        Map<String, JsonValue> reversed = new LinkedHashMap<>();
        for (var e : entries) reversed.put(e.getKey(), e.getValue());
        byte[] text = Json.writePretty(new JsonObject(reversed)).getBytes(StandardCharsets.UTF_8);
        assertEquals(signed(), Manifest.parse(text));
    }

    @Test
    void tamperingBreaksTheSignature() throws Exception {
        JsonObject o = json(signed());
        assertEquals("signature", fieldOf(with(o, "seq", JsonValue.JsonNumber.of(43))));
        assertEquals("signature", fieldOf(with(o, "timestamp", JsonValue.JsonNumber.of(1))));
        JsonObject coll = (JsonObject) o.array("collections").items().get(0);
        JsonObject renamed = new JsonObject(new LinkedHashMap<>(Map.of("name", new JsonString("Season 2"), "items", coll.array("items"))));
        List<JsonValue> cols = new ArrayList<>(o.array("collections").items());
        cols.set(0, renamed);
        assertEquals("signature", fieldOf(with(o, "collections", new JsonArray(cols))));
        // Another key's signature over the same bytes.
        byte[] other = ManifestFixtures.key(8).sign(signed().signedBytes());
        assertEquals("signature", fieldOf(with(o, "signature", new JsonString(Hex.encode(other)))));
        // Another public key with the original signature.
        assertEquals("signature", fieldOf(with(o, "publicKey", new JsonString(Hex.encode(ManifestFixtures.key(8).publicKey())))));
    }

    @Test
    void errorsNameTheFirstBadField() throws Exception {
        JsonObject o = json(signed());
        assertEquals("version", fieldOf(withResigned(o, "version", JsonValue.JsonNumber.of(2))));
        assertEquals("version", fieldOf(withResigned(o, "version", null)));
        assertEquals("version", fieldOf(withResigned(o, "version", new JsonString("1"))));
        // An unknown version is reported before anything else is wrong.
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        m.put("version", JsonValue.JsonNumber.of(99));
        m.put("seq", new JsonString("x"));
        assertEquals("version", fieldOf(Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8)));
        assertEquals("extra", fieldOf(withResigned(o, "extra", JsonValue.JsonBool.TRUE)));
        assertEquals("publicKey", fieldOf(withResigned(o, "publicKey", new JsonString("abcd"))));
        assertEquals("publicKey", fieldOf(withResigned(o, "publicKey", new JsonString(Hex.encode(KEY.publicKey()).toUpperCase()))));
        assertEquals("seq", fieldOf(withResigned(o, "seq", JsonValue.JsonNumber.of(-1))));
        assertEquals("seq", fieldOf(withResigned(o, "seq", new JsonValue.JsonNumber(new java.math.BigDecimal("1.5")))));
        assertEquals("seq", fieldOf(withResigned(o, "seq", new JsonValue.JsonNumber(new java.math.BigDecimal("9007199254740992")))));
        assertEquals("timestamp", fieldOf(withResigned(o, "timestamp", null)));
        assertEquals("collections", fieldOf(withResigned(o, "collections", new JsonString("none"))));
        assertEquals("collections", fieldOf(withResigned(o, "collections", null)));
        assertEquals("signature", fieldOf(with(o, "signature", null)));
        assertEquals("signature", fieldOf(with(o, "signature", new JsonString("00"))));
        assertEquals("manifest", fieldOf("[1]".getBytes(StandardCharsets.UTF_8)));
        assertEquals("manifest", fieldOf("{\"version\":1,\"version\":1}".getBytes(StandardCharsets.UTF_8)));

        // Fields inside items are named by their path.
        assertEquals("collections[0].items[1].size", itemField(o, 0, 1, "size", JsonValue.JsonNumber.of(-5)));
        assertEquals("collections[0].items[1].blobs", itemField(o, 0, 1, "size", JsonValue.JsonNumber.of(5_000_000)));
        assertEquals("collections[0].items[0].blobs[1]", itemField(o, 0, 0, "blobs",
                new JsonArray(List.of(new JsonString(ManifestFixtures.blobId(1)), new JsonString("XYZ")))));
        assertEquals("collections[1].items[0].key", itemField(o, 1, 0, "key", new JsonString("00")));
        assertEquals("collections[1].items[0].name", itemField(o, 1, 0, "name", new JsonString("../../etc/passwd")));
        assertEquals("collections[1].items[0].name", itemField(o, 1, 0, "name", JsonValue.JsonNumber.of(3)));
        assertEquals("collections[1].items[0].mode", itemField(o, 1, 0, "mode", JsonValue.JsonNumber.of(3)));
        assertEquals("collections[0].items[2].name", itemField(o, 0, 2, "name", new JsonString("e01.mkv")));
    }

    /** Changes one item field (in a re-signed manifest) and returns the field the parser names. */
    private static String itemField(JsonObject o, int c, int i, String key, JsonValue value) throws Exception {
        List<JsonValue> cols = new ArrayList<>(o.array("collections").items());
        JsonObject coll = (JsonObject) cols.get(c);
        List<JsonValue> items = new ArrayList<>(coll.array("items").items());
        Map<String, JsonValue> item = new LinkedHashMap<>(((JsonObject) items.get(i)).members());
        item.put(key, value);
        items.set(i, new JsonObject(item));
        Map<String, JsonValue> cm = new LinkedHashMap<>(coll.members());
        cm.put("items", new JsonArray(items));
        cols.set(c, new JsonObject(cm));
        return fieldOf(withResigned(o, "collections", new JsonArray(cols)));
    }

    @Test
    void signingChecksTheCollectionsAsAParserWould() {
        var dup = List.of(new ManifestCollection("c", List.of(ManifestFixtures.file("a", 1, 1), ManifestFixtures.file("a", 2, 2))));
        var e = assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, dup));
        assertEquals("collections[0].items[1].name", e.field());
        var dupCollections = List.of(new ManifestCollection("c", List.of()), new ManifestCollection("c", List.of()));
        assertEquals("collections[1].name", assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, dupCollections)).field());
        var folderClash = List.of(new ManifestCollection("c", List.of(ManifestFixtures.file("a/b", 1, 1), ManifestFixtures.file("a", 2, 2))));
        assertEquals("collections[0].items[1].name", assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, folderClash)).field());
        var badCollection = List.of(new ManifestCollection("/abs", List.of()));
        assertEquals("collections[0].name", assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, badCollection)).field());
        assertEquals("seq", assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, -1, 1, List.of())).field());
    }

    @Test
    void itemCountIsBounded() throws Exception {
        List<ManifestCollection> tooMany = ManifestFixtures.many(Manifest.MAX_ITEMS + 1, 0);
        var e = assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, tooMany));
        assertEquals("collections[0].items", e.field());
        List<ManifestCollection> cols = new ArrayList<>();
        for (int i = 0; i <= Manifest.MAX_COLLECTIONS; i++) cols.add(new ManifestCollection("c" + i, List.of()));
        assertEquals("collections", assertThrows(ManifestException.class, () -> Manifest.signPublic(KEY, 1, 1, cols)).field());
        byte[] huge = new byte[Manifest.MAX_MANIFEST_BYTES + 1];
        assertEquals("manifest", fieldOf(huge));
    }

    @Test
    void fileEntryTakesExactlyItsMembersAndLowercaseHex() throws Exception {
        FileEntry e = ManifestFixtures.file("a.txt", 5, 1);
        String text = Json.write(e.toJson());
        assertEquals(e.name(), FileEntry.fromJson(Json.parseObject(text.getBytes(StandardCharsets.UTF_8))).name());
        String key = Hex.encode(e.fileKey());
        String upper = text.replace(key, key.toUpperCase());
        assertTrue(!upper.equals(text));
        var bad = assertThrows(io.megatorrent.codec.CodecException.class, () -> FileEntry.fromJson(Json.parseObject(upper.getBytes(StandardCharsets.UTF_8))));
        assertTrue(bad.getMessage().contains("field 'key'"), bad.getMessage());
        String extra = text.substring(0, text.length() - 1) + ",\"note\":1}";
        bad = assertThrows(io.megatorrent.codec.CodecException.class, () -> FileEntry.fromJson(Json.parseObject(extra.getBytes(StandardCharsets.UTF_8))));
        assertTrue(bad.getMessage().contains("field 'note'"), bad.getMessage());
    }

    @Test
    void emptyManifestIsValid() throws Exception {
        Manifest m = Manifest.signPublic(KEY, 0, 0, List.of());
        assertEquals(List.of(), Manifest.parse(m.toBytes()).collections());
    }
}
