package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.crypto.Ed25519;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrivateChannelTest {
    private static final Ed25519.KeyPair KEY = ManifestFixtures.key(9);
    private static final byte[] READ_KEY = ManifestFixtures.bytes(32, 0x42);

    private static Manifest sealed() throws ManifestException {
        return Manifest.signPrivate(KEY, READ_KEY, 3, 1_700_000_000L, ManifestFixtures.small(), new SecureRandom());
    }

    @Test
    void withTheReadKeyTheCollectionsOpen() throws Exception {
        Manifest m = Manifest.parse(sealed().toBytes());
        assertTrue(m.isEncrypted());
        assertEquals(ManifestFixtures.text(ManifestFixtures.small()), ManifestFixtures.text(m.collections(READ_KEY)));
    }

    @Test
    void withoutTheKeyOnlySignerAndSeqAreKnown() throws Exception {
        byte[] bytes = sealed().toBytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertFalse(text.contains("e01.mkv"), "item names must not appear in the clear");
        assertFalse(text.contains("Season"), "collection names must not appear in the clear");
        assertFalse(text.contains("collections"));
        // The signature still checks without the key (parse verifies it).
        Manifest m = Manifest.parse(bytes);
        assertArrayEquals(KEY.publicKey(), m.publicKey());
        assertEquals(3, m.seq());
        assertEquals("encrypted", assertThrows(ManifestException.class, m::collections).field());
        assertEquals("ciphertext", assertThrows(ManifestException.class, () -> m.collections(ManifestFixtures.bytes(32, 1))).field());
    }

    @Test
    void noncesAreFreshEachTime() throws Exception {
        Manifest a = sealed();
        Manifest b = sealed();
        assertFalse(Hex.encode(((Manifest.Encrypted) a.content()).nonce()).equals(Hex.encode(((Manifest.Encrypted) b.content()).nonce())));
    }

    @Test
    void tamperedCiphertextFailsTheSignature() throws Exception {
        JsonObject o = Json.parseObject(sealed().toBytes());
        byte[] ct = Base64.getDecoder().decode(o.string("ciphertext"));
        ct[0] ^= 1;
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        m.put("ciphertext", new JsonString(Base64.getEncoder().encodeToString(ct)));
        var e = assertThrows(ManifestException.class, () -> Manifest.parse(Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8)));
        assertEquals("signature", e.field());
    }

    /** The signer cannot be fooled into, nor can anyone, move a ciphertext to another seq: the AAD binds it. */
    @Test
    void ciphertextIsBoundToKeyAndSeq() throws Exception {
        JsonObject o = Json.parseObject(sealed().toBytes());
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        m.put("seq", JsonValue.JsonNumber.of(4));
        m.put("signature", new JsonString(Hex.encode(KEY.sign(Json.canonical(without(m))))));
        Manifest moved = Manifest.parse(Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8));
        assertEquals(4, moved.seq());
        assertEquals("ciphertext", assertThrows(ManifestException.class, () -> moved.collections(READ_KEY)).field());
    }

    private static JsonObject without(Map<String, JsonValue> m) {
        Map<String, JsonValue> copy = new LinkedHashMap<>(m);
        copy.remove("signature");
        return new JsonObject(copy);
    }

    @Test
    void privateFieldsAreStrict() throws Exception {
        JsonObject o = Json.parseObject(sealed().toBytes());
        assertEquals("encrypted", resigned(o, "encrypted", JsonValue.JsonBool.FALSE));
        assertEquals("nonce", resigned(o, "nonce", new JsonString("00")));
        assertEquals("ciphertext", resigned(o, "ciphertext", new JsonString("not base64!")));
        assertEquals("ciphertext", resigned(o, "ciphertext", new JsonString("AAAA")));
        String ct = o.string("ciphertext");
        assertEquals("ciphertext", resigned(o, "ciphertext", new JsonString(ct.replace("=", ""))));
        assertEquals("collections", resigned(o, "collections", new JsonValue.JsonArray(java.util.List.of())));
    }

    private static String resigned(JsonObject o, String key, JsonValue value) {
        Map<String, JsonValue> m = new LinkedHashMap<>(o.members());
        m.put(key, value);
        m.remove("signature");
        m.put("signature", new JsonString(Hex.encode(KEY.sign(Json.canonical(new JsonObject(m))))));
        byte[] text = Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8);
        return assertThrows(ManifestException.class, () -> Manifest.parse(text)).field();
    }

    @Test
    void malformedPlaintextIsNamedUnderCiphertext() throws Exception {
        // A signer who seals a plaintext that breaks the rules: the subscriber names the field.
        byte[] nonce = new byte[12];
        byte[] plaintext = "{\"collections\":[{\"items\":[],\"name\":\"../x\"}]}".getBytes(StandardCharsets.UTF_8); // canonical (6.5)
        byte[] ct = io.megatorrent.crypto.ChaChaPoly.seal(READ_KEY, nonce, Manifest.aad(KEY.publicKey(), 1), plaintext);
        Map<String, JsonValue> m = new LinkedHashMap<>();
        m.put("version", JsonValue.JsonNumber.of(1));
        m.put("publicKey", new JsonString(Hex.encode(KEY.publicKey())));
        m.put("seq", JsonValue.JsonNumber.of(1));
        m.put("timestamp", JsonValue.JsonNumber.of(1));
        m.put("encrypted", JsonValue.JsonBool.TRUE);
        m.put("nonce", new JsonString(Hex.encode(nonce)));
        m.put("ciphertext", new JsonString(Base64.getEncoder().encodeToString(ct)));
        m.put("signature", new JsonString(Hex.encode(KEY.sign(Json.canonical(new JsonObject(m))))));
        Manifest parsed = Manifest.parse(Json.write(new JsonObject(m)).getBytes(StandardCharsets.UTF_8));
        assertEquals("ciphertext.collections[0].name", assertThrows(ManifestException.class, () -> parsed.collections(READ_KEY)).field());
    }
}
