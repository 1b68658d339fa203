package io.megatorrent.content;

import java.io.IOException;

/**
 * Where manifests (and their index) are kept as ordinary encrypted files: the seam between the
 * manifest code and the blob store. The node implements it over the blob store's byte-array
 * ingest and reassembly (and, on a subscriber, over fetching missing blobs from peers).
 */
public interface ManifestStore {
    /**
     * Stores {@code bytes} as one file in the blob format (1 MiB chunks, padded, encrypted under a
     * fresh random file key) and returns its entry: size, blob ids in order, file key.
     */
    FileEntry store(byte[] bytes) throws IOException;

    /** The exact bytes of a stored file, each blob verified and decrypted; a missing blob is an IOException naming it. */
    byte[] load(FileEntry file) throws IOException;
}
