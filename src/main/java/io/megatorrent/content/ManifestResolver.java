package io.megatorrent.content;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The subscribe walk from a DHT item to a verified manifest: check the item's signature under
 * the URI's key, read the pointer, load the index (if any) and the manifest file from the store,
 * then check the manifest's signature, key and sequence, and decrypt it when the URI has the
 * read key. Fetching missing blobs from peers is the store's business (the node's, really).
 */
public final class ManifestResolver {
    /**
     * A verified manifest. {@code collections} is null when the channel is private and the URI
     * carries no read key: the subscriber then knows only who signed what sequence.
     */
    public record Resolved(Manifest manifest, List<ManifestCollection> collections) {
        public boolean readable() {
            return collections != null;
        }
    }

    private ManifestResolver() {}

    /**
     * @param lastSeq the newest sequence already accepted for this channel, or -1: an item older
     *     than it is refused (a replay of an old pointer), equal is accepted (a re-fetch)
     * @throws ManifestException naming what failed: publicKey, signature, seq, pointer.*, the
     *     manifest's own fields, or ciphertext (wrong read key)
     */
    public static Resolved resolve(ChannelUri uri, SignedPointer item, long lastSeq, ManifestStore store)
            throws ManifestException, IOException {
        if (item.seq() < lastSeq) throw new ManifestException("seq", "item seq " + item.seq() + " is older than " + lastSeq + " already seen");
        ManifestPointer pointer = item.verify(uri.publicKey());
        List<String> blobIds = switch (pointer.locator()) {
            case ManifestPointer.Direct d -> d.blobIds();
            case ManifestPointer.Index x -> pointer.parseIndex(store.load(pointer.indexFile()));
        };
        byte[] bytes = store.load(pointer.manifestFile(blobIds));
        if (bytes.length != pointer.size()) {
            throw new ManifestException("pointer.n", "manifest file is " + bytes.length + " bytes, pointer says " + pointer.size());
        }
        Manifest manifest = Manifest.parse(bytes);
        if (!Arrays.equals(manifest.publicKey(), uri.publicKey())) {
            throw new ManifestException("publicKey", "manifest is signed by another key than the channel's");
        }
        if (manifest.seq() != item.seq()) {
            throw new ManifestException("seq", "manifest seq " + manifest.seq() + " differs from the DHT item's " + item.seq());
        }
        if (manifest.isEncrypted() && !uri.isPrivate()) return new Resolved(manifest, null);
        return new Resolved(manifest, manifest.collections(uri.readKey()));
    }
}
