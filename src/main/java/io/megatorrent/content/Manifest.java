package io.megatorrent.content;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonBool;
import io.megatorrent.codec.JsonValue.JsonNumber;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.crypto.ChaChaPoly;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Ed25519;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * A channel's signed manifest: the one place its JSON is parsed, checked, serialized, signed and
 * (for a private channel) encrypted. PROTOCOL_FINAL.md 6.4-6.5 is the byte-exact description.
 *
 * <pre>
 * {"version": 1, "publicKey": HEX32, "seq": N, "timestamp": UNIX_SECONDS,
 *  "collections": [{"name": NAME, "items": [{"name", "size", "blobs", "key"}...]}...],
 *  "signature": HEX64}
 * </pre>
 * A private manifest carries {@code "encrypted": true, "nonce": HEX12, "ciphertext": BASE64}
 * instead of {@code collections}. The signature is Ed25519 over the RFC 8785 canonical form of
 * the object without {@code signature}.
 */
public record Manifest(byte[] publicKey, long seq, long timestamp, Content content, byte[] signature) {
    public static final int VERSION = 1;
    /** Largest serialized manifest accepted (bounds what a resolver fetches and parses). */
    public static final int MAX_MANIFEST_BYTES = 64 << 20;
    /** Most collections in one manifest. */
    public static final int MAX_COLLECTIONS = 1_000;
    /** Most items in one manifest, all collections together. */
    public static final int MAX_ITEMS = 100_000;
    public static final int READ_KEY_LENGTH = 32;
    /** Prefix of a private manifest's AAD; with the public key and seq it binds the ciphertext to its place. */
    static final byte[] AAD_PREFIX = "megatorrent manifest v1".getBytes(StandardCharsets.US_ASCII);

    private static final Set<String> PUBLIC_FIELDS = Set.of("version", "publicKey", "seq", "timestamp", "collections", "signature");
    private static final Set<String> PRIVATE_FIELDS =
            Set.of("version", "publicKey", "seq", "timestamp", "encrypted", "nonce", "ciphertext", "signature");
    private static final Set<String> COLLECTION_FIELDS = Set.of("name", "items");
    private static final Set<String> ITEM_FIELDS = Set.of("name", "size", "blobs", "key");
    private static final Set<String> PLAINTEXT_FIELDS = Set.of("collections");

    /** What the manifest lists: in the clear, or sealed with the channel's read key. */
    public sealed interface Content permits Plain, Encrypted {}

    public record Plain(List<ManifestCollection> collections) implements Content {
        public Plain {
            collections = List.copyOf(collections);
        }
    }

    /** ChaCha20-Poly1305 of the canonical {"collections": [...]} under the read key; ciphertext includes the tag. */
    public record Encrypted(byte[] nonce, byte[] ciphertext) implements Content {
        public Encrypted {
            if (nonce.length != ChaChaPoly.NONCE_LENGTH) throw new IllegalArgumentException("nonce must be 12 bytes");
            if (ciphertext.length < ChaChaPoly.TAG_LENGTH) throw new IllegalArgumentException("ciphertext shorter than its tag");
            nonce = nonce.clone();
            ciphertext = ciphertext.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public byte[] ciphertext() {
            return ciphertext.clone();
        }
    }

    public Manifest {
        if (publicKey.length != Ed25519.PUBLIC_KEY_LENGTH) throw new IllegalArgumentException("public key must be 32 bytes");
        if (signature.length != Ed25519.SIGNATURE_LENGTH) throw new IllegalArgumentException("signature must be 64 bytes");
        if (seq < 0 || seq > JsonValue.MAX_SAFE_INTEGER) throw new IllegalArgumentException("seq out of range: " + seq);
        if (timestamp < 0 || timestamp > JsonValue.MAX_SAFE_INTEGER) throw new IllegalArgumentException("timestamp out of range");
        publicKey = publicKey.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    public boolean isEncrypted() {
        return content instanceof Encrypted;
    }

    // ---- signing ----

    /** Signs a public manifest; the collections are checked as a parser would check them. */
    public static Manifest signPublic(Ed25519.KeyPair key, long seq, long timestamp, List<ManifestCollection> collections)
            throws ManifestException {
        checkHeader(seq, timestamp);
        parseCollections(collectionsJson(collections), "collections");
        return sign(key, seq, timestamp, new Plain(collections));
    }

    /** Signs a private manifest whose collections are sealed with {@code readKey} under a random nonce. */
    public static Manifest signPrivate(Ed25519.KeyPair key, byte[] readKey, long seq, long timestamp,
            List<ManifestCollection> collections, SecureRandom random) throws ManifestException {
        byte[] nonce = new byte[ChaChaPoly.NONCE_LENGTH];
        random.nextBytes(nonce);
        return signPrivate(key, readKey, seq, timestamp, collections, nonce);
    }

    /** As above with a given nonce: for test vectors only; a nonce must never repeat under one read key. */
    public static Manifest signPrivate(Ed25519.KeyPair key, byte[] readKey, long seq, long timestamp,
            List<ManifestCollection> collections, byte[] nonce) throws ManifestException {
        requireReadKey(readKey);
        checkHeader(seq, timestamp);
        JsonArray cols = collectionsJson(collections);
        parseCollections(cols, "collections");
        byte[] plaintext = Json.canonical(JsonObject.builder().put("collections", cols).build());
        byte[] ciphertext = ChaChaPoly.seal(readKey, nonce, aad(key.publicKey(), seq), plaintext);
        return sign(key, seq, timestamp, new Encrypted(nonce, ciphertext));
    }

    private static Manifest sign(Ed25519.KeyPair key, long seq, long timestamp, Content content) throws ManifestException {
        byte[] unsigned = Json.canonical(unsignedJson(key.publicKey(), seq, timestamp, content));
        if (unsigned.length + 200 > MAX_MANIFEST_BYTES) {
            throw new ManifestException("collections", "manifest would exceed " + MAX_MANIFEST_BYTES + " bytes");
        }
        return new Manifest(key.publicKey(), seq, timestamp, content, key.sign(unsigned));
    }

    private static void checkHeader(long seq, long timestamp) throws ManifestException {
        if (seq < 0 || seq > JsonValue.MAX_SAFE_INTEGER) throw new ManifestException("seq", "must be 0 .. 2^53-1, got " + seq);
        if (timestamp < 0 || timestamp > JsonValue.MAX_SAFE_INTEGER) {
            throw new ManifestException("timestamp", "must be 0 .. 2^53-1, got " + timestamp);
        }
    }

    /** AAD of a private manifest: "megatorrent manifest v1" || public key (32) || uint64be(seq). */
    static byte[] aad(byte[] publicKey, long seq) {
        return ByteBuffer.allocate(AAD_PREFIX.length + 32 + 8).put(AAD_PREFIX).put(publicKey).putLong(seq).array();
    }

    private static void requireReadKey(byte[] readKey) {
        if (readKey == null || readKey.length != READ_KEY_LENGTH) throw new IllegalArgumentException("read key must be 32 bytes");
    }

    // ---- reading ----

    /**
     * The collections: as they are for a public manifest, decrypted and checked for a private one.
     * @throws ManifestException field "readKey" if the manifest is private and no key (or the
     *     wrong key) is given; a field under "ciphertext." if the plaintext breaks the rules.
     */
    public List<ManifestCollection> collections(byte[] readKey) throws ManifestException {
        return switch (content) {
            case Plain p -> p.collections();
            case Encrypted e -> {
                if (readKey == null) throw new ManifestException("encrypted", "private manifest: a read key is needed");
                requireReadKey(readKey);
                byte[] plaintext;
                try {
                    plaintext = ChaChaPoly.open(readKey, e.nonce, aad(publicKey, seq), e.ciphertext);
                } catch (CryptoException x) {
                    throw new ManifestException("ciphertext", "does not open with this read key (wrong key or tampered)");
                }
                JsonObject o;
                try {
                    o = parseBounded(plaintext);
                } catch (CodecException x) {
                    throw new ManifestException("ciphertext", "plaintext is not a JSON object: " + x.getMessage());
                }
                // One byte string per meaning: the plaintext is exactly its canonical form (6.5).
                if (!java.util.Arrays.equals(plaintext, Json.canonical(o))) {
                    throw new ManifestException("ciphertext", "plaintext is not in RFC 8785 canonical form");
                }
                requireOnly(o, PLAINTEXT_FIELDS, "ciphertext.");
                if (!(o.get("collections").orElse(null) instanceof JsonArray a)) {
                    throw new ManifestException("ciphertext.collections", "missing or not an array");
                }
                yield parseCollections(a, "ciphertext.collections");
            }
        };
    }

    /**
     * Values a valid manifest of {@code length} bytes can hold at most: the fixed members, three
     * per collection and five per item (their limits bound both), and one per blob id (each at
     * least 66 bytes of text). Parsing stops beyond it, so a manifest of empty objects costs no
     * more heap than a valid manifest of its size.
     */
    static long maxValues(int length) {
        return 16 + 3L * MAX_COLLECTIONS + 5L * MAX_ITEMS + length / 66;
    }

    /** Objects and arrays a valid manifest holds at most: the top level, two per collection and two per item. */
    static final long MAX_CONTAINERS = 2 + 2L * MAX_COLLECTIONS + 2L * MAX_ITEMS;

    private static JsonObject parseBounded(byte[] json) throws CodecException {
        if (Json.parse(json, maxValues(json.length), MAX_CONTAINERS) instanceof JsonObject o) return o;
        throw new CodecException("expected a JSON object", 0);
    }

    /**
     * A subscription's default byte budget (the lead's {@code subscribe --max-size} overrides it):
     * a manifest listing more is reported, not fetched.
     */
    public static final long DEFAULT_SUBSCRIPTION_BUDGET = 64L << 30;

    /** Bytes of all files the collections list together. */
    public static long totalBytes(List<ManifestCollection> collections) {
        long total = 0;
        for (ManifestCollection c : collections) for (FileEntry f : c.items()) total = Math.addExact(total, f.size());
        return total;
    }

    /**
     * Checks the collections against a subscription's byte budget before anything is fetched;
     * the exception says how much the manifest lists and what the budget is.
     */
    public static void requireWithin(List<ManifestCollection> collections, long budgetBytes) throws ManifestException {
        long total;
        try {
            total = totalBytes(collections);
        } catch (ArithmeticException e) {
            total = Long.MAX_VALUE;
        }
        if (total > budgetBytes) {
            throw new ManifestException("collections", "lists " + total + " bytes, over this subscription's budget of " + budgetBytes + " bytes");
        }
    }

    /** Collections of a public manifest; fails for a private one. */
    public List<ManifestCollection> collections() throws ManifestException {
        return collections(null);
    }

    /**
     * Parses a serialized manifest and checks every rule, the signature included; the exception
     * names the first bad field in the order version, (unknown fields), publicKey, seq,
     * timestamp, collections | encrypted, nonce, ciphertext, signature.
     */
    public static Manifest parse(byte[] json) throws ManifestException {
        if (json.length > MAX_MANIFEST_BYTES) {
            throw new ManifestException("manifest", json.length + " bytes, limit " + MAX_MANIFEST_BYTES);
        }
        JsonObject o;
        try {
            o = parseBounded(json);
        } catch (CodecException e) {
            throw new ManifestException("manifest", "not a JSON object: " + e.getMessage());
        }
        return fromJson(o);
    }

    public static Manifest fromJson(JsonObject o) throws ManifestException {
        long version = integer(o, "version", "version");
        if (version != VERSION) throw new ManifestException("version", "unknown manifest version " + version + " (this node reads " + VERSION + ")");
        boolean encrypted = o.has("encrypted");
        requireOnly(o, encrypted ? PRIVATE_FIELDS : PUBLIC_FIELDS, "");
        byte[] publicKey = hex(o, "publicKey", Ed25519.PUBLIC_KEY_LENGTH);
        long seq = integer(o, "seq", "seq");
        if (seq < 0) throw new ManifestException("seq", "must not be negative");
        long timestamp = integer(o, "timestamp", "timestamp");
        if (timestamp < 0) throw new ManifestException("timestamp", "must not be negative");
        Content content;
        if (encrypted) {
            if (!(o.members().get("encrypted") instanceof JsonBool b) || !b.value()) {
                throw new ManifestException("encrypted", "must be true when present");
            }
            byte[] nonce = hex(o, "nonce", ChaChaPoly.NONCE_LENGTH);
            byte[] ciphertext = base64(o, "ciphertext");
            if (ciphertext.length < ChaChaPoly.TAG_LENGTH) throw new ManifestException("ciphertext", "shorter than the 16-byte tag");
            content = new Encrypted(nonce, ciphertext);
        } else {
            if (!(o.members().get("collections") instanceof JsonArray a)) {
                throw new ManifestException("collections", o.has("collections") ? "must be an array" : "missing (or give \"encrypted\")");
            }
            content = new Plain(parseCollections(a, "collections"));
        }
        byte[] signature = hex(o, "signature", Ed25519.SIGNATURE_LENGTH);
        if (!Ed25519.verify(publicKey, Json.canonical(withoutSignature(o)), signature)) {
            throw new ManifestException("signature", "does not verify under publicKey");
        }
        return new Manifest(publicKey, seq, timestamp, content, signature);
    }

    /** What the signature covers: the object as parsed (any member order), minus the signature. */
    private static JsonObject withoutSignature(JsonObject o) {
        var m = new java.util.LinkedHashMap<>(o.members());
        m.remove("signature");
        return new JsonObject(m);
    }

    // ---- writing ----

    /** The manifest as JSON, members in schema order. */
    public JsonObject toJson() {
        JsonObject unsigned = unsignedJson(publicKey, seq, timestamp, content);
        var m = new java.util.LinkedHashMap<>(unsigned.members());
        m.put("signature", new JsonString(Hex.encode(signature)));
        return new JsonObject(m);
    }

    /** The serialized manifest: its RFC 8785 canonical form, signature included. */
    public byte[] toBytes() {
        return Json.canonical(toJson());
    }

    /** The bytes the signature covers: the canonical form without {@code signature}. */
    public byte[] signedBytes() {
        return Json.canonical(unsignedJson(publicKey, seq, timestamp, content));
    }

    private static JsonObject unsignedJson(byte[] publicKey, long seq, long timestamp, Content content) {
        JsonObject.Builder b = JsonObject.builder()
                .put("version", VERSION)
                .put("publicKey", Hex.encode(publicKey))
                .put("seq", seq)
                .put("timestamp", timestamp);
        switch (content) {
            case Plain p -> b.put("collections", collectionsJson(p.collections()));
            case Encrypted e -> b.put("encrypted", true)
                    .put("nonce", Hex.encode(e.nonce))
                    .put("ciphertext", Base64.getEncoder().encodeToString(e.ciphertext));
        }
        return b.build();
    }

    static JsonArray collectionsJson(List<ManifestCollection> collections) {
        List<JsonValue> out = new ArrayList<>(collections.size());
        for (ManifestCollection c : collections) {
            List<JsonValue> items = new ArrayList<>(c.items().size());
            for (FileEntry f : c.items()) items.add(f.toJson());
            out.add(JsonObject.builder().put("name", c.name()).put("items", new JsonArray(items)).build());
        }
        return new JsonArray(out);
    }

    // ---- strict field readers ----

    static List<ManifestCollection> parseCollections(JsonArray a, String field) throws ManifestException {
        if (a.items().size() > MAX_COLLECTIONS) {
            throw new ManifestException(field, a.items().size() + " collections, limit " + MAX_COLLECTIONS);
        }
        List<ManifestCollection> out = new ArrayList<>(a.items().size());
        List<String> names = new ArrayList<>();
        int itemCount = 0;
        for (int i = 0; i < a.items().size(); i++) {
            String cf = field + "[" + i + "]";
            if (!(a.items().get(i) instanceof JsonObject c)) throw new ManifestException(cf, "must be an object");
            requireOnly(c, COLLECTION_FIELDS, cf + ".");
            String name = string(c, "name", cf + ".name");
            ItemName.check(name, cf + ".name");
            if (!(c.members().get("items") instanceof JsonArray items)) throw new ManifestException(cf + ".items", "missing or not an array");
            itemCount += items.items().size();
            if (itemCount > MAX_ITEMS) throw new ManifestException(cf + ".items", "more than " + MAX_ITEMS + " items in the manifest");
            List<FileEntry> entries = new ArrayList<>(items.items().size());
            List<String> itemNames = new ArrayList<>(items.items().size());
            for (int j = 0; j < items.items().size(); j++) {
                String itf = cf + ".items[" + j + "]";
                if (!(items.items().get(j) instanceof JsonObject item)) throw new ManifestException(itf, "must be an object");
                FileEntry e = parseItem(item, itf);
                entries.add(e);
                itemNames.add(e.name());
            }
            ItemName.checkDistinct(itemNames, j -> cf + ".items[" + j + "].name");
            names.add(name);
            out.add(new ManifestCollection(name, entries));
        }
        ItemName.checkDistinct(names, i -> field + "[" + i + "].name");
        return out;
    }

    private static FileEntry parseItem(JsonObject item, String f) throws ManifestException {
        requireOnly(item, ITEM_FIELDS, f + ".");
        String name = string(item, "name", f + ".name");
        ItemName.check(name, f + ".name");
        long size = integer(item, "size", f + ".size");
        if (size < 0) throw new ManifestException(f + ".size", "must not be negative");
        if (!(item.members().get("blobs") instanceof JsonArray blobs)) throw new ManifestException(f + ".blobs", "missing or not an array");
        if (blobs.items().size() != FileEntry.chunkCount(size)) {
            throw new ManifestException(f + ".blobs", blobs.items().size() + " ids, a file of " + size + " bytes has " + FileEntry.chunkCount(size));
        }
        List<String> ids = new ArrayList<>(blobs.items().size());
        for (int k = 0; k < blobs.items().size(); k++) {
            if (!(blobs.items().get(k) instanceof JsonString s) || !FileEntry.isBlobId(s.value())) {
                throw new ManifestException(f + ".blobs[" + k + "]", "not a blob id (64 lowercase hex digits)");
            }
            ids.add(s.value());
        }
        byte[] key = hex(item, "key", FileEntry.FILE_KEY_LENGTH, f + ".key");
        return new FileEntry(name, size, ids, key);
    }

    static void requireOnly(JsonObject o, Set<String> allowed, String prefix) throws ManifestException {
        for (String k : o.members().keySet()) {
            if (!allowed.contains(k)) throw new ManifestException(prefix + k, "unknown field");
        }
    }

    private static long integer(JsonObject o, String key, String field) throws ManifestException {
        JsonValue v = o.members().get(key);
        if (v == null) throw new ManifestException(field, "missing");
        if (!(v instanceof JsonNumber n)) throw new ManifestException(field, "must be an integer");
        try {
            return n.asLong(field);
        } catch (CodecException e) {
            throw new ManifestException(field, "must be an integer within +-(2^53-1), got " + n.value());
        }
    }

    private static String string(JsonObject o, String key, String field) throws ManifestException {
        JsonValue v = o.members().get(key);
        if (v == null) throw new ManifestException(field, "missing");
        if (!(v instanceof JsonString s)) throw new ManifestException(field, "must be a string");
        return s.value();
    }

    private static byte[] hex(JsonObject o, String key, int length) throws ManifestException {
        return hex(o, key, length, key);
    }

    private static byte[] hex(JsonObject o, String key, int length, String field) throws ManifestException {
        String s = string(o, key, field);
        if (s.length() != 2 * length) throw new ManifestException(field, "must be " + 2 * length + " lowercase hex digits, got " + s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new ManifestException(field, "not lowercase hex at char " + i);
            }
        }
        try {
            return Hex.decode(s);
        } catch (CodecException e) {
            throw new ManifestException(field, e.getMessage());
        }
    }

    /** Standard base64 (RFC 4648 section 4) with padding, nothing else: the canonical encoding only. */
    private static byte[] base64(JsonObject o, String key) throws ManifestException {
        String s = string(o, key, key);
        byte[] b;
        try {
            b = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new ManifestException(key, "not base64: " + e.getMessage());
        }
        if (!Base64.getEncoder().encodeToString(b).equals(s)) throw new ManifestException(key, "not canonical padded base64");
        return b;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Manifest m && Arrays.equals(toBytes(), m.toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "Manifest[" + Hex.encode(publicKey) + " seq " + seq + (isEncrypted() ? " encrypted" : "") + "]";
    }
}
