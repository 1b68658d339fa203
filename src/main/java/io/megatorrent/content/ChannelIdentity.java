package io.megatorrent.content;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.SecretFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A channel's secrets: the Ed25519 key that signs its manifests and pointers, and for a private
 * channel the read key that encrypts its manifests. On disk as identity.json (PROTOCOL_FINAL.md
 * 6.8): {"version": 1, "seed": HEX32, "publicKey": HEX32[, "readKey": HEX32]}, mode 0600.
 */
public record ChannelIdentity(Ed25519.KeyPair keyPair, byte[] readKey) {
    public static final int VERSION = 1;
    public static final String DEFAULT_FILE_NAME = "identity.json";
    /** Largest identity file read: a real one is under 300 bytes. */
    static final int MAX_FILE_BYTES = 4096;
    private static final Set<String> FIELDS = Set.of("version", "seed", "publicKey", "readKey");

    public ChannelIdentity {
        if (readKey != null && readKey.length != Manifest.READ_KEY_LENGTH) throw new IllegalArgumentException("read key must be 32 bytes");
        readKey = readKey == null ? null : readKey.clone();
    }

    public static ChannelIdentity generate(boolean withReadKey, SecureRandom random) {
        byte[] seed = new byte[Ed25519.SEED_LENGTH];
        random.nextBytes(seed);
        byte[] readKey = null;
        if (withReadKey) {
            readKey = new byte[Manifest.READ_KEY_LENGTH];
            random.nextBytes(readKey);
        }
        return new ChannelIdentity(Ed25519.fromSeed(seed), readKey);
    }

    @Override
    public byte[] readKey() {
        return readKey == null ? null : readKey.clone();
    }

    public byte[] publicKey() {
        return keyPair.publicKey();
    }

    public boolean isPrivate() {
        return readKey != null;
    }

    /** The channel's URI without the read key: lets anyone verify, and (if public) read. */
    public ChannelUri uri() {
        return ChannelUri.publicChannel(keyPair.publicKey());
    }

    /** The URI with the read key, for subscribers allowed to read a private channel. */
    public ChannelUri privateUri() {
        if (readKey == null) throw new IllegalStateException("not a private channel");
        return new ChannelUri(keyPair.publicKey(), readKey, List.of());
    }

    public JsonObject toJson() {
        JsonObject.Builder b = JsonObject.builder()
                .put("version", VERSION)
                .put("seed", Hex.encode(keyPair.seed()))
                .put("publicKey", Hex.encode(keyPair.publicKey()));
        if (readKey != null) b.put("readKey", Hex.encode(readKey));
        return b.build();
    }

    /** Parses identity.json; checks the public key matches the seed. The error names the field. */
    public static ChannelIdentity fromJson(JsonObject o) throws CodecException {
        long version = o.integer("version");
        if (version != VERSION) throw new CodecException("field 'version': unknown identity version " + version, 0);
        for (String k : o.members().keySet()) {
            if (!FIELDS.contains(k)) throw new CodecException("field '" + k + "': unknown field", 0);
        }
        Ed25519.KeyPair kp = Ed25519.fromSeed(Hex.decode(o.string("seed"), Ed25519.SEED_LENGTH, "field 'seed'"));
        byte[] pub = Hex.decode(o.string("publicKey"), Ed25519.PUBLIC_KEY_LENGTH, "field 'publicKey'");
        if (!Arrays.equals(pub, kp.publicKey())) throw new CodecException("field 'publicKey': does not match the seed", 0);
        byte[] readKey = o.has("readKey") ? Hex.decode(o.string("readKey"), Manifest.READ_KEY_LENGTH, "field 'readKey'") : null;
        return new ChannelIdentity(kp, readKey);
    }

    public static ChannelIdentity load(Path file) throws IOException {
        try {
            return fromJson(Json.parseObject(SecretFile.read(file, MAX_FILE_BYTES)));
        } catch (CodecException e) {
            throw new IOException(file + ": not a valid identity file: " + e.getMessage(), e);
        }
    }

    /**
     * Writes identity.json: mode 0600 from creation, complete or not at all.
     * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists and {@code overwrite} is false
     */
    public void save(Path file, boolean overwrite) throws IOException {
        SecretFile.write(file, (Json.writePretty(toJson()) + "\n").getBytes(StandardCharsets.UTF_8), overwrite);
    }

    @Override
    public String toString() {
        return "ChannelIdentity[" + Hex.encode(keyPair.publicKey()) + (readKey != null ? ", private" : "") + "]";
    }
}
