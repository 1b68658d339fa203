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
