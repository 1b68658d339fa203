package io.megatorrent.node;

import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestPublisher;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.dht.DhtNode;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The publish walk on a running {@link Node}: ingest files into blobs, sign the manifest and
 * store it as blobs, put the signed pointer into the DHT under the channel key, and announce
 * every blob so subscribers find this node (which serves them through its {@link BlobServer}).
 */
public final class Publisher {
    private final Node node;
    private final ChannelIdentity identity;
    private final SecureRandom random = new SecureRandom();

    public Publisher(Node node, ChannelIdentity identity) {
        this.node = node;
        this.identity = identity;
    }

    public ChannelIdentity identity() {
        return identity;
    }

    /** Ingests one file into the node's store under the manifest item name {@code name}; its blobs become servable. */
    public FileEntry ingest(Path file, String name) throws IOException, InterruptedException {
        return ingest(file, name, n -> {});
    }

    /** As {@link #ingest(Path, String)}; {@code progress} receives the byte counts ingested (from several threads). */
    public FileEntry ingest(Path file, String name, java.util.function.LongConsumer progress) throws IOException, InterruptedException {
        FileEntry entry = Ingest.file(file, name, node.blobs().store(), progress);
        node.blobs().indexAll(entry.blobIds());
        return entry;
    }

    /**
     * Whether {@code file} holds exactly the bytes {@code entry} was made from, read back from the
     * store (each blob verified and opened with the entry's key) and compared chunk by chunk; false
     * at the first difference or at a blob the store lacks. A republished folder keeps the entries
     * of its unchanged files, so subscribers fetch and write only what changed (a fresh ingest
     * would draw a new file key, PROTOCOL_FINAL.md 6.1, and make every blob new).
     */
    public boolean sameContent(Path file, FileEntry entry) throws IOException {
        if (java.nio.file.Files.size(file) != entry.size()) return false;
        io.megatorrent.content.Blob.Sealer sealer = new io.megatorrent.content.Blob.Sealer(entry.fileKey());
        byte[] blob = new byte[io.megatorrent.content.Blob.BLOB_SIZE];
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(FileEntry.CHUNK_SIZE);
        java.security.MessageDigest sha = io.megatorrent.crypto.Hashes.sha256();
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            List<String> ids = entry.blobIds();
            for (int i = 0; i < ids.size(); i++) {
                long offset = (long) i * FileEntry.CHUNK_SIZE;
                int length = (int) Math.min(FileEntry.CHUNK_SIZE, entry.size() - offset);
                if (!node.blobs().store().has(ids.get(i))) return false;
                try {
                    node.blobs().store().read(ids.get(i), blob, sha);
                    sealer.open(i, blob);
                } catch (io.megatorrent.content.MissingBlobException | io.megatorrent.content.CorruptBlobException | io.megatorrent.crypto.CryptoException e) {
                    return false;
                }
                chunk.clear().limit(length);
                while (chunk.hasRemaining()) {
                    if (in.read(chunk, offset + chunk.position()) < 0) return false; // shrank while we read
                }
                if (!java.util.Arrays.equals(chunk.array(), 0, length, blob, 0, length)) return false;
            }
        }
        return true;
    }

    /** What {@link #publish} made: the publication, and how many DHT nodes stored the pointer. */
    public record Published(ManifestPublisher.Publication publication, int storedAt) {
        public SignedPointer item() {
            return publication.item();
        }
    }

    /**
     * Signs the manifest of {@code collections} with sequence {@code seq}, stores it as blobs and
     * puts the pointer into the DHT (salt "megatorrent", PROTOCOL_FINAL.md 6.6.3).
     *
     * @throws IOException when no DHT node stored the pointer
     */
    public Published publish(List<ManifestCollection> collections, long seq) throws IOException, InterruptedException, ManifestException {
        ManifestPublisher.Publication p = prepare(collections, seq);
        DhtNode.PutResult put = node.dht().putMutable(identity.keyPair().seed(), SignedPointer.SALT, p.pointer().toBencode(), seq, Node.LOOKUP_TIMEOUT);
        if (put.stored() == 0) throw new IOException("no DHT node stored the channel pointer (seq " + seq + ")");
        return new Published(p, put.stored());
    }

    /** Signs the manifest of {@code collections} at {@code seq} and stores it as blobs; puts nothing into the DHT. */
    public ManifestPublisher.Publication prepare(List<ManifestCollection> collections, long seq) throws IOException, ManifestException {
        long now = System.currentTimeMillis() / 1000;
        return ManifestPublisher.publish(identity, seq, now, collections, BlobManifestStore.local(node.blobs()), random);
    }

    /** Every blob a subscriber needs: the manifest's own (and its index) and every file's. */
    public static List<String> blobsOf(ManifestPublisher.Publication p, List<ManifestCollection> collections) {
        Set<String> ids = new LinkedHashSet<>(p.blobIds());
        for (ManifestCollection c : collections) for (FileEntry f : c.items()) ids.addAll(f.blobIds());
        return new ArrayList<>(ids);
    }

    /** Announces this node as a holder of the blobs; fails when some blob could not be announced anywhere. */
    public Node.AnnounceResult announce(List<String> blobIds) throws IOException, InterruptedException {
        Node.AnnounceResult r = node.announce(blobIds);
        if (!r.notStored().isEmpty()) {
            throw new IOException(r.notStored().size() + " of " + r.blobs() + " blobs were stored by no DHT node, e.g. " + r.notStored().get(0));
        }
        return r;
    }
}
