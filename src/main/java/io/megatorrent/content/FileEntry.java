package io.megatorrent.content;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import java.util.ArrayList;
import java.util.List;

/**
 * One ingested file: what `megatorrent ingest --json` prints, what reassembly reads, and the
 * item a manifest lists. JSON: {"name": TEXT, "size": BYTES, "blobs": [BLOB ID HEX...], "key": HEX}.
 * The name is not checked here: a manifest checks the names it carries (they are untrusted).
 */
public record FileEntry(String name, long size, List<String> blobIds, byte[] fileKey) {
    public static final int CHUNK_SIZE = 1 << 20;
    public static final int FILE_KEY_LENGTH = 32;
    /** Largest file size representable: 2^53 - 1 (exact in every JSON implementation). */
    public static final long MAX_SIZE = JsonValue.MAX_SAFE_INTEGER;

    public FileEntry {
        blobIds = List.copyOf(blobIds);
        fileKey = fileKey.clone();
        if (size < 0 || size > MAX_SIZE) throw new IllegalArgumentException("size out of range: " + size);
        if (fileKey.length != FILE_KEY_LENGTH) throw new IllegalArgumentException("file key must be 32 bytes");
        if (blobIds.size() != chunkCount(size)) {
            throw new IllegalArgumentException("a file of " + size + " bytes has " + chunkCount(size) + " blobs, not " + blobIds.size());
        }
        for (String id : blobIds) {
            if (!isBlobId(id)) throw new IllegalArgumentException("not a blob id (64 lowercase hex digits): " + id);
        }
    }

    @Override
    public byte[] fileKey() {
        return fileKey.clone();
    }

    /** Number of 1 MiB chunks (and so blobs) a file of {@code size} bytes is cut into; 0 for an empty file. */
    public static long chunkCount(long size) {
        return (size + CHUNK_SIZE - 1) / CHUNK_SIZE;
    }

    public static boolean isBlobId(String id) {
        if (id.length() != 64) return false;
        for (int i = 0; i < 64; i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    public JsonObject toJson() {
        List<JsonValue> ids = new ArrayList<>();
        for (String id : blobIds) ids.add(new JsonString(id));
        return JsonObject.builder()
                .put("name", name)
                .put("size", size)
                .put("blobs", new JsonArray(ids))
                .put("key", Hex.encode(fileKey))
                .build();
    }

    /** Parses and checks an entry; the error names the first bad field. */
    public static FileEntry fromJson(JsonObject o) throws CodecException {
        for (String member : o.members().keySet()) {
            if (!member.equals("name") && !member.equals("size") && !member.equals("blobs") && !member.equals("key")) {
                throw new CodecException("field '" + member + "' is not a member of a file entry", 0);
            }
        }
        String name = o.string("name");
        long size = o.integer("size");
        if (size < 0) throw new CodecException("field 'size' must not be negative", 0);
        List<String> ids = new ArrayList<>();
        for (JsonValue v : o.array("blobs").items()) {
            if (!(v instanceof JsonString s) || !isBlobId(s.value())) {
                throw new CodecException("field 'blobs' entry " + ids.size() + " is not a blob id (64 lowercase hex digits)", 0);
            }
            ids.add(s.value());
        }
        if (ids.size() != chunkCount(size)) {
            throw new CodecException("field 'blobs' has " + ids.size() + " ids, a file of " + size + " bytes needs " + chunkCount(size), 0);
        }
        String keyHex = o.string("key");
        if (keyHex.length() != 2 * FILE_KEY_LENGTH || !keyHex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new CodecException("field 'key' must be 64 lowercase hex digits (a 32-byte file key)", 0);
        }
        byte[] key = Hex.decode(keyHex, FILE_KEY_LENGTH, "field 'key'");
        return new FileEntry(name, size, ids, key);
    }
}
