package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.Blob;
import io.megatorrent.content.BlobPadding;
import io.megatorrent.content.FileEntry;
import io.megatorrent.crypto.Hashes;
import java.util.Arrays;

/**
 * {@code blob} (PROTOCOL_FINAL.md 6.1, A.1): {"key", "index", "plaintext" or
 * "plaintextSeed"+"plaintextLength", "paddingSeed", "blobKey", "nonce", "blobId", "blobHead",
 * "blobTail", "valid"}. The blob is built from the chunk and the padding generator's output for
 * the seed; valid vectors must match every given value and open back to the chunk; invalid ones
 * carry a blob id that the chunk must NOT produce.
 */
final class BlobSuite implements Suite {
    /** Bytes of the blob's start and end carried by a vector. */
    static final int HEAD_LENGTH = 64;
    static final int TAIL_LENGTH = 32;

    @Override
    public void check(String suiteName, JsonObject v) throws Exception {
        check(v);
    }

    private static void check(JsonObject v) throws Exception {
        boolean valid = !v.has("valid") || v.bool("valid");
        byte[] fileKey = Hex.decode(v.string("key"), FileEntry.FILE_KEY_LENGTH, "key");
        long index = v.integer("index");
        Tally.require(index >= 0, "index must not be negative");
        byte[] plaintext = plaintext(v);
        byte[] blob = new byte[Blob.BLOB_SIZE];
        System.arraycopy(plaintext, 0, blob, 0, plaintext.length);
        new BlobPadding(Hex.decode(v.string("paddingSeed"), BlobPadding.SEED_LENGTH, "paddingSeed"))
                .fill(index, blob, plaintext.length, Blob.CHUNK_SIZE - plaintext.length);
        new Blob.Sealer(fileKey).seal(index, blob);
        String id = Blob.id(blob, Hashes.sha256());
        if (!valid) {
            Tally.require(!id.equals(v.string("blobId")), "tampered vector: the chunk produced the given blob id");
            return;
        }
        Tally.requireEqualHex(v.string("blobKey"), Hex.encode(Blob.blobKey(fileKey)), "blob key");
        Tally.requireEqualHex(v.string("nonce"), Hex.encode(Blob.nonce(index)), "nonce");
        Tally.requireEqualHex(v.string("blobId"), id, "blob id");
        Tally.requireEqualHex(v.string("blobHead"), Hex.encode(Arrays.copyOf(blob, HEAD_LENGTH)), "blob head");
        Tally.requireEqualHex(v.string("blobTail"), Hex.encode(Arrays.copyOfRange(blob, Blob.BLOB_SIZE - TAIL_LENGTH, Blob.BLOB_SIZE)), "blob tail");
        new Blob.Sealer(fileKey).open(index, blob);
        Tally.require(Arrays.equals(plaintext, Arrays.copyOf(blob, plaintext.length)), "blob does not open to the chunk");
    }

    /** The chunk: given as hex, or as the generator's first plaintextLength bytes for plaintextSeed at index 0. */
    static byte[] plaintext(JsonObject v) throws CodecException {
        if (v.has("plaintext")) {
            byte[] p = Hex.decode(v.string("plaintext"));
            if (p.length > Blob.CHUNK_SIZE) throw new CodecException("plaintext longer than a chunk", 0);
            return p;
        }
        long length = v.integer("plaintextLength");
        if (length < 0 || length > Blob.CHUNK_SIZE) throw new CodecException("plaintextLength out of 0.." + Blob.CHUNK_SIZE, 0);
        byte[] p = new byte[(int) length];
        new BlobPadding(Hex.decode(v.string("plaintextSeed"), BlobPadding.SEED_LENGTH, "plaintextSeed")).fill(0, p, 0, p.length);
        return p;
    }

}
