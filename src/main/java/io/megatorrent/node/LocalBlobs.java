package io.megatorrent.node;

import io.megatorrent.content.BlobStore;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.content.MissingBlobException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's blob store plus the index peers need: requests name a blob by its 20-byte short
 * id ({@link BlobKeys}), the store by its full SHA-256, so this keeps short id -> full id for
 * every blob held. Every read still goes through the store, which verifies the hash and
 * quarantines a corrupt file; such a blob leaves the index and is no longer served.
 */
public final class LocalBlobs implements BlobServer.Source {
    private static final System.Logger LOG = System.getLogger(LocalBlobs.class.getName());

    private final BlobStore store;
    /**
     * Blobs received from a peer that the store held verified already: a download that resumes
     * after a crash must keep this at zero (it asks only for what it lacks).
     */
    public final java.util.concurrent.atomic.AtomicLong verifiedBlobsReceivedAgain = new java.util.concurrent.atomic.AtomicLong();
    private final ConcurrentHashMap<String, String> fullIdByShort = new ConcurrentHashMap<>();

    private LocalBlobs(BlobStore store) {
        this.store = store;
    }

    /** Opens the store of {@code dataDir} and indexes the blobs already in it. */
    public static LocalBlobs open(Path dataDir) throws IOException {
        LocalBlobs blobs = new LocalBlobs(BlobStore.open(dataDir));
        for (String id : blobs.store.list()) blobs.index(id);
        return blobs;
    }

    public BlobStore store() {
        return store;
    }

    /** Makes a blob the store holds servable (after ingest wrote it, for instance). */
    public void index(String blobId) {
        fullIdByShort.putIfAbsent(BlobKeys.shortHex(blobId), blobId);
    }

    public void indexAll(List<String> blobIds) {
        for (String id : blobIds) index(id);
    }

    /** Stops serving a blob and deletes it from the store (garbage collection). */
    public boolean remove(String blobId) throws IOException {
        fullIdByShort.remove(BlobKeys.shortHex(blobId), blobId);
        return store.delete(blobId);
    }

    public boolean has(String blobId) {
        return store.has(blobId);
    }

    /** Ids of the blobs indexed (held and servable), in no particular order. */
    public List<String> ids() {
        return List.copyOf(fullIdByShort.values());
    }

    /** Blobs indexed (held and servable). */
    public int count() {
        return fullIdByShort.size();
    }

    /**
     * Stores a blob fetched from a peer, only if it is exactly a blob and hashes to
     * {@code blobId}; otherwise throws {@link CorruptBlobException} and stores nothing.
     */
    public void putVerified(String blobId, byte[] blob) throws IOException {
        if (store.has(blobId)) verifiedBlobsReceivedAgain.incrementAndGet();
        store.putDeferred(blobId, blob);
        index(blobId);
        syncSoon();
    }

    /**
     * Makes every blob stored so far durable (fsynced with its folder). A download calls it once
     * at its end; meanwhile a background sync runs per {@link #SYNC_BATCH} blobs, so the disk
     * writes while the network transfers and the final sync has little left to do.
     */
    public void sync() throws IOException {
        store.syncDeferred();
    }

    /** Blobs stored from peers that start a background sync: the disk writes them back in large batches, not one fsync per blob. */
    static final int SYNC_BATCH = 64;
    /** A blob stored from a peer waits at most this long for the background sync (a trickle never fills a batch). */
    static final long SYNC_DELAY_MILLIS = 1000;
    private final java.util.concurrent.locks.ReentrantLock syncLock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition batchFull = syncLock.newCondition();
    private boolean syncerRunning;

    /** Starts the background sync unless it runs; wakes it when a batch is full. */
    private void syncSoon() {
        syncLock.lock();
        try {
            if (syncerRunning) {
                if (store.unsyncedCount() >= SYNC_BATCH) batchFull.signal();
                return;
            }
            syncerRunning = true;
        } finally {
            syncLock.unlock();
        }
        Thread.ofVirtual().name("blob-sync").start(this::syncInBatches);
    }

    /** Syncs a batch when it is full or its first blob waited {@link #SYNC_DELAY_MILLIS}; ends when nothing is due. */
    private void syncInBatches() {
        while (true) {
            syncLock.lock();
            try {
                long wait = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SYNC_DELAY_MILLIS);
                while (store.unsyncedCount() < SYNC_BATCH && wait > 0) wait = batchFull.awaitNanos(wait);
                if (store.unsyncedCount() == 0) {
                    syncerRunning = false;
                    return;
                }
            } catch (InterruptedException e) {
                syncerRunning = false; // the next blob stored starts another; sync() covers the rest
                return;
            } finally {
                syncLock.unlock();
            }
            try {
                store.syncDeferred();
            } catch (IOException e) {
                // The blobs stay due; this thread stops rather than retry a failing disk forever:
                // the next blob stored starts another, and the download's own sync reports it.
                LOG.log(System.Logger.Level.WARNING, "syncing downloaded blobs failed: " + e.getMessage());
                syncLock.lock();
                try {
                    syncerRunning = false;
                } finally {
                    syncLock.unlock();
                }
                return;
            }
        }
    }

    @Override
    public boolean readInto(byte[] shortId, byte[] into) throws IOException {
        String shortHex = BlobKeys.shortHex(shortId);
        String id = fullIdByShort.get(shortHex);
        if (id == null || into.length != io.megatorrent.content.Blob.BLOB_SIZE) return false;
        try {
            store.read(id, into);
            return true;
        } catch (MissingBlobException e) {
            fullIdByShort.remove(shortHex, id);
            return false;
        } catch (CorruptBlobException e) {
            fullIdByShort.remove(shortHex, id);
            LOG.log(System.Logger.Level.WARNING, "not serving " + e.getMessage());
            return false;
        }
    }

    @Override
    public byte[] read(byte[] shortId) throws IOException {
        byte[] blob = new byte[io.megatorrent.content.Blob.BLOB_SIZE];
        return readInto(shortId, blob) ? blob : null;
    }
}
