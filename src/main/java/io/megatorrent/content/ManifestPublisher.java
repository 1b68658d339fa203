package io.megatorrent.content;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.List;

/**
 * The publish walk from a list of collections to a DHT item: sign (and for a private channel
 * encrypt) the manifest, store its bytes as blobs, store an index when the blob ids do not fit
 * inline, and sign the pointer as a BEP 44 mutable item. Nothing here touches the network.
 */
public final class ManifestPublisher {
    /** Everything a publish made: the node announces the blobs of both files and puts the item. */
    public record Publication(Manifest manifest, FileEntry manifestFile, FileEntry indexFile, ManifestPointer pointer,
            SignedPointer item) {
        /** Blob ids the node must hold and announce for subscribers to resolve this publication. */
        public List<String> blobIds() {
            if (indexFile == null) return manifestFile.blobIds();
            var all = new java.util.ArrayList<>(manifestFile.blobIds());
            all.addAll(indexFile.blobIds());
            return List.copyOf(all);
        }
    }

    private ManifestPublisher() {}

    public static Publication publish(ChannelIdentity identity, long seq, long timestamp, List<ManifestCollection> collections,
            ManifestStore store, SecureRandom random) throws ManifestException, IOException {
        Manifest manifest = identity.isPrivate()
                ? Manifest.signPrivate(identity.keyPair(), identity.readKey(), seq, timestamp, collections, random)
                : Manifest.signPublic(identity.keyPair(), seq, timestamp, collections);
        byte[] bytes = manifest.toBytes();
        FileEntry manifestFile = store.store(bytes);
        checkStored(manifestFile, bytes.length);
        FileEntry indexFile = null;
        if (ManifestPointer.needsIndex(manifestFile.blobIds().size())) {
            byte[] index = ManifestPointer.indexBytes(manifestFile.blobIds());
            indexFile = store.store(index);
            checkStored(indexFile, index.length);
        }
        ManifestPointer pointer = ManifestPointer.of(manifestFile, indexFile);
        return new Publication(manifest, manifestFile, indexFile, pointer, SignedPointer.sign(identity.keyPair(), seq, pointer));
    }

    private static void checkStored(FileEntry file, long size) throws IOException {
        if (file.size() != size) throw new IOException("store returned a file of " + file.size() + " bytes for " + size);
    }
}
