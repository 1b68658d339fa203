package io.megatorrent.content;

import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.MessageDigest;

/**
 * {@link ManifestStore} over the node's {@link BlobStore}: manifests and their index are ingested
 * as ordinary files (the same padded 1 MiB blobs as any content, so an observer cannot tell them
 * apart) and read back blob by blob, each verified by hash and opened with the file key.
 */
public final class ManifestBlobStore implements ManifestStore {
    private final BlobStore store;

    public ManifestBlobStore(BlobStore store) {
        this.store = store;
    }

    @Override
    public FileEntry store(byte[] bytes) throws IOException {
        if (bytes.length > Manifest.MAX_MANIFEST_BYTES) throw new IOException("manifest of " + bytes.length + " bytes exceeds " + Manifest.MAX_MANIFEST_BYTES);
        try {
            return Ingest.bytes(bytes, ManifestPointer.MANIFEST_FILE_NAME, store);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing a manifest");
        }
    }

    /**
     * Reads the file into memory: bounded by {@link Manifest#MAX_MANIFEST_BYTES}, which the
     * pointer's size has already been checked against. A missing blob is a
     * {@link MissingBlobException}, a corrupt one a {@link CorruptBlobException} (and quarantined).
     */
    @Override
    public byte[] load(FileEntry file) throws IOException {
        if (file.size() > Manifest.MAX_MANIFEST_BYTES) throw new IOException("file of " + file.size() + " bytes is no manifest (limit " + Manifest.MAX_MANIFEST_BYTES + ")");
        byte[] out = new byte[(int) file.size()];
        byte[] buf = new byte[Blob.BLOB_SIZE];
        Blob.Sealer sealer = new Blob.Sealer(file.fileKey());
        MessageDigest sha = Hashes.sha256();
        for (int i = 0; i < file.blobIds().size(); i++) {
            String id = file.blobIds().get(i);
            store.read(id, buf, sha);
            try {
                sealer.open(i, buf);
            } catch (CryptoException e) {
                throw new CorruptBlobException(id, null, "blob " + id + " (chunk " + i + " of a manifest file) does not open with its key at that position");
            }
            int offset = i * FileEntry.CHUNK_SIZE;
            System.arraycopy(buf, 0, out, offset, Math.min(FileEntry.CHUNK_SIZE, out.length - offset));
        }
        return out;
    }
}
