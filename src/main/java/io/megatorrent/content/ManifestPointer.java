package io.megatorrent.content;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.BValue.BInt;
import io.megatorrent.codec.BValue.BList;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.dht.Bep44;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The value of a channel's BEP 44 mutable item: a small bencoded dictionary that, with the
 * channel URI, is enough to fetch and decrypt the manifest, which travels as ordinary blobs.
 * The one place its bytes are made and read; PROTOCOL_FINAL.md 6.6 is the byte-exact layout.
 *
 * <pre>
 * direct: d 1:b l 32:ID ... e  1:k 32:KEY  1:n i SIZE e  1:v i 1 e e
 * index:  d 1:i 32:ID  1:k 32:KEY  1:n i SIZE e  1:v i 1 e  1:x 32:INDEXKEY e
 * </pre>
 * {@code b}: the manifest's blob ids (raw 32-byte SHA-256) in order; {@code i}: the blob id of an
 * index file, encrypted under {@code x}, whose content is those ids concatenated; {@code k}: the
 * manifest file's key; {@code n}: the serialized manifest's length in bytes; {@code v}: 1.
 */
public record ManifestPointer(long size, byte[] manifestKey, Locator locator) {
    public static final int VERSION = 1;
    /** Publishers list the blob ids inline up to this many (a manifest of 8 MiB), and use an index beyond. */
    public static final int MAX_DIRECT_BLOBS = 8;
    /** Length of a raw blob id in the pointer and the index. */
    public static final int BLOB_ID_LENGTH = 32;
    public static final int KEY_LENGTH = FileEntry.FILE_KEY_LENGTH;
    /** Name given to the manifest and index files handed to a {@link ManifestStore}; not on the wire. */
    static final String MANIFEST_FILE_NAME = "manifest.json";
    static final String INDEX_FILE_NAME = "manifest.index";

    private static final Set<String> KEYS = Set.of("b", "i", "k", "n", "v", "x");

    /** Where the manifest's blob ids are. */
    public sealed interface Locator permits Direct, Index {}

    /** The blob ids inline, as 64-digit lowercase hex. */
    public record Direct(List<String> blobIds) implements Locator {
        public Direct {
            blobIds = List.copyOf(blobIds);
            for (String id : blobIds) {
                if (!FileEntry.isBlobId(id)) throw new IllegalArgumentException("not a blob id: " + id);
            }
        }
    }

    /** The id of one blob, encrypted under {@code key}, that lists the manifest's blob ids. */
    public record Index(String blobId, byte[] key) implements Locator {
        public Index {
            if (!FileEntry.isBlobId(blobId)) throw new IllegalArgumentException("not a blob id: " + blobId);
            if (key.length != KEY_LENGTH) throw new IllegalArgumentException("index key must be 32 bytes");
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }
    }

    public ManifestPointer {
        if (size < 1 || size > Manifest.MAX_MANIFEST_BYTES) throw new IllegalArgumentException("manifest size out of range: " + size);
        if (manifestKey.length != KEY_LENGTH) throw new IllegalArgumentException("manifest key must be 32 bytes");
        if (locator instanceof Direct d && d.blobIds().size() != FileEntry.chunkCount(size)) {
            throw new IllegalArgumentException("a manifest of " + size + " bytes has " + FileEntry.chunkCount(size) + " blobs");
        }
        manifestKey = manifestKey.clone();
    }

    @Override
    public byte[] manifestKey() {
        return manifestKey.clone();
    }

    /** Number of blobs the manifest file is cut into. */
    public int blobCount() {
        return (int) FileEntry.chunkCount(size);
    }

    /** A pointer to the stored manifest file: inline ids when few, else via the stored index file. */
    public static ManifestPointer of(FileEntry manifestFile, FileEntry indexFile) {
        if (indexFile == null) return new ManifestPointer(manifestFile.size(), manifestFile.fileKey(), new Direct(manifestFile.blobIds()));
        if (indexFile.blobIds().size() != 1) throw new IllegalArgumentException("the index must be one blob");
        return new ManifestPointer(manifestFile.size(), manifestFile.fileKey(), new Index(indexFile.blobIds().get(0), indexFile.fileKey()));
    }

    /** Whether a manifest file of {@code blobCount} blobs needs an index. */
    public static boolean needsIndex(long blobCount) {
        return blobCount > MAX_DIRECT_BLOBS;
    }

    /** The index file's content for a manifest file: its blob ids, raw, concatenated. */
    public static byte[] indexBytes(List<String> blobIds) {
        byte[] out = new byte[blobIds.size() * BLOB_ID_LENGTH];
        for (int i = 0; i < blobIds.size(); i++) {
            System.arraycopy(HexFormat.of().parseHex(blobIds.get(i)), 0, out, i * BLOB_ID_LENGTH, BLOB_ID_LENGTH);
        }
        return out;
    }

    /** The index file to fetch (Index form only): one blob holding 32 bytes per manifest blob. */
    public FileEntry indexFile() {
        if (!(locator instanceof Index x)) throw new IllegalStateException("pointer lists the blob ids inline");
        return new FileEntry(INDEX_FILE_NAME, (long) blobCount() * BLOB_ID_LENGTH, List.of(x.blobId()), x.key);
    }

    /** Reads a fetched index file's content into the manifest's blob ids; checks its length. */
    public List<String> parseIndex(byte[] index) throws ManifestException {
        if (index.length != blobCount() * BLOB_ID_LENGTH) {
            throw new ManifestException("pointer.i", "index is " + index.length + " bytes, a manifest of " + size + " bytes needs " + blobCount() * BLOB_ID_LENGTH);
        }
        List<String> ids = new ArrayList<>(blobCount());
        for (int i = 0; i < blobCount(); i++) {
            ids.add(HexFormat.of().formatHex(index, i * BLOB_ID_LENGTH, (i + 1) * BLOB_ID_LENGTH));
        }
        return ids;
    }

    /** The manifest file, given its blob ids (inline, or read from the index). */
    public FileEntry manifestFile(List<String> blobIds) {
        return new FileEntry(MANIFEST_FILE_NAME, size, blobIds, manifestKey);
    }

    // ---- bencoding ----

    public BDict toBencode() {
        BDict.Builder b = BDict.builder()
                .put("k", manifestKey)
                .put("n", size)
                .put("v", VERSION);
        switch (locator) {
            case Direct d -> {
                List<BValue> ids = new ArrayList<>();
                for (String id : d.blobIds()) ids.add(new BBytes(HexFormat.of().parseHex(id)));
                b.put("b", new BList(ids));
            }
            case Index x -> b.put("i", HexFormat.of().parseHex(x.blobId())).put("x", x.key);
        }
        return b.build();
    }

    public byte[] encode() {
        return Bencode.encode(toBencode());
    }

    /**
     * Decodes a pointer strictly: canonical bencode, at most {@link Bep44#MAX_VALUE_LENGTH} bytes,
     * version first, no unknown keys, exactly one of b / i, counts agreeing with n. The exception
     * names the key as {@code pointer.KEY}.
     */
    public static ManifestPointer decode(byte[] value) throws ManifestException {
        if (value.length > Bep44.MAX_VALUE_LENGTH) {
            throw new ManifestException("pointer", value.length + " bytes, a BEP 44 value holds at most " + Bep44.MAX_VALUE_LENGTH);
        }
        BDict d;
        try {
            d = Bencode.decodeDict(value);
        } catch (CodecException e) {
            throw new ManifestException("pointer", "not a canonical bencoded dictionary: " + e.getMessage());
        }
        long version = integer(d, "v");
        if (version != VERSION) throw new ManifestException("pointer.v", "unknown pointer version " + version + " (this node reads " + VERSION + ")");
        for (BBytes key : d.entries().keySet()) {
            if (!KEYS.contains(key.utf8())) throw new ManifestException("pointer." + key.utf8(), "unknown key");
        }
        long size = integer(d, "n");
        if (size < 1 || size > Manifest.MAX_MANIFEST_BYTES) {
            throw new ManifestException("pointer.n", "manifest size " + size + " outside 1.." + Manifest.MAX_MANIFEST_BYTES);
        }
        byte[] key = bytes(d, "k", KEY_LENGTH);
        long count = FileEntry.chunkCount(size);
        Locator locator;
        if (d.has("b")) {
            if (d.has("i")) throw new ManifestException("pointer.i", "present together with 'b'");
            if (d.has("x")) throw new ManifestException("pointer.x", "present together with 'b' (an index key without an index)");
            if (!(d.entries().get(BBytes.of("b")) instanceof BList list)) throw new ManifestException("pointer.b", "not a list");
            if (list.items().size() != count) {
                throw new ManifestException("pointer.b", list.items().size() + " blob ids, a manifest of " + size + " bytes has " + count);
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < list.items().size(); i++) {
                if (!(list.items().get(i) instanceof BBytes id) || id.length() != BLOB_ID_LENGTH) {
                    throw new ManifestException("pointer.b[" + i + "]", "not a 32-byte blob id");
                }
                ids.add(Hex.encode(id.bytes()));
            }
            locator = new Direct(ids);
        } else if (d.has("i")) {
            byte[] index = bytes(d, "i", BLOB_ID_LENGTH);
            byte[] indexKey = bytes(d, "x", KEY_LENGTH);
            locator = new Index(Hex.encode(index), indexKey);
        } else if (d.has("x")) {
            throw new ManifestException("pointer.x", "an index key without 'i' (and no 'b')");
        } else {
            throw new ManifestException("pointer.b", "missing (neither 'b' nor 'i' present)");
        }
        return new ManifestPointer(size, key, locator);
    }

    private static long integer(BDict d, String key) throws ManifestException {
        BValue v = d.entries().get(BBytes.of(key));
        if (v == null) throw new ManifestException("pointer." + key, "missing");
        if (!(v instanceof BInt i)) throw new ManifestException("pointer." + key, "not an integer");
        return i.value();
    }

    private static byte[] bytes(BDict d, String key, int length) throws ManifestException {
        BValue v = d.entries().get(BBytes.of(key));
        if (v == null) throw new ManifestException("pointer." + key, "missing");
        if (!(v instanceof BBytes b) || b.length() != length) throw new ManifestException("pointer." + key, "not a " + length + "-byte string");
        return b.bytes();
    }
}
