package io.megatorrent.node;

import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.Blob;
import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestPointer;
import io.megatorrent.content.ManifestResolver;
import io.megatorrent.content.SignedPointer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Garbage collection of the blob store: a blob stays when the newest manifest of a channel the
 * node publishes or follows references it (the manifest's own blobs, its index, every file's);
 * every other blob (left by an unsubscribe, an older sequence, or an ingest that was killed) is
 * removed. Any manifest that cannot be read from the store stops the collection before anything
 * is removed: keeping garbage is better than losing a blob a channel needs.
 */
public final class Garbage {
    private Garbage() {}

    /** What a collection removed (or would remove, in a dry run). */
    public record Result(List<String> removed, long kept) {
        public long bytesFreed() {
            return (long) removed.size() * Blob.BLOB_SIZE;
        }

        public JsonObject toJson(boolean dryRun) {
            return JsonObject.builder().put("dryRun", dryRun).put("blobsRemoved", removed.size()).put("bytesFreed", bytesFreed())
                    .put("blobsKept", kept).build();
        }
    }

    /** Collects in the store of a data folder that no node is serving (the caller holds its lock). */
    public static Result collect(Path dataDir, boolean dryRun) throws IOException, ManifestException {
        return collect(LocalBlobs.open(dataDir), DaemonState.load(dataDir), dryRun);
    }

    static Result collect(LocalBlobs blobs, DaemonState state, boolean dryRun) throws IOException, ManifestException {
        Set<String> keep = new HashSet<>();
        BlobManifestStore store = BlobManifestStore.local(blobs);
        for (DaemonState.Publication p : state.published()) {
            ChannelIdentity identity = ChannelIdentity.load(p.keyFile());
            keep.addAll(referenced(p.item(), identity.isPrivate() ? identity.privateUri() : identity.uri(), store));
        }
        for (DaemonState.Subscription s : state.subscriptions()) {
            if (s.item() != null) keep.addAll(referenced(s.item(), s.uri(), store));
            if (s.pending() != null) keep.addAll(referenced(s.pending(), s.uri(), store)); // a download to resume keeps what it has
        }
        List<String> removed = new ArrayList<>();
        long kept = 0;
        for (String id : blobs.store().list()) {
            if (keep.contains(id)) {
                kept++;
                continue;
            }
            if (dryRun || blobs.remove(id)) removed.add(id);
        }
        return new Result(removed, kept);
    }

    /** The blobs of the manifest itself (and of its index) that {@code item} points to. */
    static Set<String> manifestBlobs(SignedPointer item, ChannelUri uri, BlobManifestStore store) throws IOException, ManifestException {
        Set<String> ids = new HashSet<>();
        ManifestPointer pointer = item.verify(uri.publicKey());
        switch (pointer.locator()) {
            case ManifestPointer.Direct d -> ids.addAll(d.blobIds());
            case ManifestPointer.Index x -> {
                ids.addAll(pointer.indexFile().blobIds());
                ids.addAll(pointer.parseIndex(store.load(pointer.indexFile())));
            }
        }
        return ids;
    }

    /** Every blob the channel's manifest at {@code item} needs: manifest, index, files. */
    static Set<String> referenced(SignedPointer item, ChannelUri uri, BlobManifestStore store) throws IOException, ManifestException {
        Set<String> ids = manifestBlobs(item, uri, store);
        ManifestResolver.Resolved r = ManifestResolver.resolve(uri, item, -1, store);
        if (!r.readable()) throw new ManifestException("encrypted", "channel " + uri + ": private manifest without its read key");
        for (ManifestCollection c : r.collections()) {
            for (FileEntry f : c.items()) ids.addAll(f.blobIds());
        }
        return ids;
    }
}
