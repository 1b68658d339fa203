package io.megatorrent.node;

import io.megatorrent.content.Blob;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.Manifest;
import io.megatorrent.content.ManifestStore;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.List;

/**
 * The {@link ManifestStore} of a node: manifests (and their index) are stored as ordinary
 * blobs in the node's store, and loading first makes the missing blobs present through
 * {@code supply} (a subscriber fetches them from peers; a publisher already has them).
 */
public final class BlobManifestStore implements ManifestStore {
    /** Makes the given blobs present in the store, or fails naming one that could not be got. */
    @FunctionalInterface
    public interface Supply {
        void ensure(List<String> blobIds) throws IOException, InterruptedException;
    }

    private final LocalBlobs blobs;
    private final Supply supply;

    public BlobManifestStore(LocalBlobs blobs, Supply supply) {
        this.blobs = blobs;
        this.supply = supply;
    }

    /** A store that only reads what is already held. */
    public static BlobManifestStore local(LocalBlobs blobs) {
        return new BlobManifestStore(blobs, ids -> {});
    }

    @Override
    public FileEntry store(byte[] bytes) throws IOException {
        try {
            FileEntry entry = Ingest.bytes(bytes, "manifest", blobs.store());
            blobs.indexAll(entry.blobIds());
            return entry;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing a manifest");
        }
    }

    @Override
    public byte[] load(FileEntry file) throws IOException {
        // The pointer bounds n, but this seam may be handed any entry: never allocate past the manifest limit.
        if (file.size() > Manifest.MAX_MANIFEST_BYTES) {
            throw new IOException("file of " + file.size() + " bytes is larger than a manifest may be (" + Manifest.MAX_MANIFEST_BYTES + ")");
        }
        try {
            supply.ensure(file.blobIds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching manifest blobs");
        }
        byte[] out = new byte[(int) file.size()];
        byte[] buf = new byte[Blob.BLOB_SIZE];
        MessageDigest sha = Hashes.sha256();
        Blob.Sealer sealer = new Blob.Sealer(file.fileKey());
        List<String> ids = file.blobIds();
        for (int i = 0; i < ids.size(); i++) {
            blobs.store().read(ids.get(i), buf, sha);
            try {
                sealer.open(i, buf);
            } catch (CryptoException e) {
                throw new CorruptBlobException(ids.get(i), null, "blob " + ids.get(i) + " (chunk " + i + ") does not open with the pointer's key");
            }
            int at = i * FileEntry.CHUNK_SIZE;
            System.arraycopy(buf, 0, out, at, (int) Math.min(FileEntry.CHUNK_SIZE, file.size() - at));
        }
        return out;
    }
}
