package io.megatorrent.content;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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
        if (Files.size(file) > MAX_FILE_BYTES) throw new IOException(file + ": larger than " + MAX_FILE_BYTES + " bytes, not an identity file");
        try {
            return fromJson(Json.parseObject(Files.readAllBytes(file)));
        } catch (CodecException e) {
            throw new IOException(file + ": not a valid identity file: " + e.getMessage(), e);
        }
    }

    /**
     * Writes identity.json atomically: a temporary file created with mode 0600 (never readable
     * by others, not even for an instant), flushed to disk, then linked or renamed into place.
     * @throws FileAlreadyExistsException if {@code file} exists and {@code overwrite} is false
     */
    public void save(Path file, boolean overwrite) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dir)) {
            if (posix) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            else Files.createDirectories(dir);
        }
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) throw new FileAlreadyExistsException(target.toString());
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, ".identity-", ".tmp", attrs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap((Json.writePretty(toJson()) + "\n").getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            if (overwrite) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                try {
                    // link(2) fails if the target exists: no window where another writer is overwritten.
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw e;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    Files.move(tmp, target);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some systems cannot open or sync a folder; the file itself is already on disk.
        }
    }

    @Override
    public String toString() {
        return "ChannelIdentity[" + Hex.encode(keyPair.publicKey()) + (readKey != null ? ", private" : "") + "]";
    }
}
