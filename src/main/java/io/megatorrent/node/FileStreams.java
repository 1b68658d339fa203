package io.megatorrent.node;

import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.Blob;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Files of followed channels read by byte range while they download (the HTTP stream route):
 * a range's chunks are read from the blob store, verified and opened with the file key as
 * {@link io.megatorrent.content.Reassembly} does; a blob not held yet is fetched at once, outside
 * the download's queue ({@link BlobDownloader#fetchUrgently}), with the next few blobs of the
 * range fetched ahead, and the reader waits for it instead of failing.
 */
public final class FileStreams {
    private static final System.Logger LOG = System.getLogger(FileStreams.class.getName());

    /** How long a reader waits for a followed channel's manifest to be resolved. */
    public static final Duration MANIFEST_WAIT = Duration.ofSeconds(60);
    /** How long a reader waits for one blob (fetches retried meanwhile) before giving up. */
    public static final Duration BLOB_WAIT = Duration.ofSeconds(120);
    /** Pause between fetch attempts of a blob no peer could give yet. */
    static final Duration RETRY = Duration.ofMillis(500);
    /** Blobs of the range fetched ahead of the reader. */
    static final int READ_AHEAD = 4;

    private final Daemon daemon;
    /** Blobs a read-ahead is fetching now, so each is asked for once however many readers want it. */
    private final java.util.Set<String> aheadInFlight = ConcurrentHashMap.newKeySet();

    /** Counters the API reports. */
    public final AtomicLong opened = new AtomicLong();
    public final AtomicLong chunksRead = new AtomicLong();
    /** Blobs fetched for readers, before their download reached them. */
    public final AtomicLong blobsFetched = new AtomicLong();
    public final AtomicLong blobWaits = new AtomicLong();

    public FileStreams(Daemon daemon) {
        this.daemon = daemon;
    }

    /**
     * The file {@code item} of {@code collection} in the followed channel {@code keyHex},
     * waiting up to {@link #MANIFEST_WAIT} for the channel's manifest.
     *
     * @throws ApiException NOT_FOUND when the channel is not followed or lists no such file,
     *         UNAVAILABLE when its manifest did not arrive in time
     */
    public StreamFile open(String keyHex, String collection, String item) throws ApiException, InterruptedException {
        long deadline = System.nanoTime() + MANIFEST_WAIT.toNanos();
        while (true) {
            FileEntry e = daemon.followedFile(keyHex, collection, item);
            if (e != null) {
                opened.incrementAndGet();
                return new StreamFile(e);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new ApiException(ApiException.UNAVAILABLE, "the manifest of channel " + keyHex + " has not arrived within " + MANIFEST_WAIT.toSeconds() + " s; try again");
            }
            Thread.sleep(20);
        }
    }

    public JsonObject stats() {
        return JsonObject.builder().put("filesOpened", opened.get()).put("chunksRead", chunksRead.get())
                .put("blobsFetched", blobsFetched.get()).put("blobWaits", blobWaits.get()).build();
    }

    /** One file being read, by one reader (not thread-safe: one per HTTP response). */
    public final class StreamFile {
        private final FileEntry entry;
        private final Blob.Sealer sealer;
        private final MessageDigest sha = Hashes.sha256();

        StreamFile(FileEntry entry) {
            this.entry = entry;
            this.sealer = new Blob.Sealer(entry.fileKey());
        }

        public String name() {
            return entry.name();
        }

        public long size() {
            return entry.size();
        }

        /**
         * Reads chunk {@code index} (1 MiB but the last) into {@code buf} (at least
         * {@link Blob#BLOB_SIZE} bytes), fetching its blob first when it is not held, and
         * starting the fetch of the next blobs up to chunk {@code lastWanted}. Returns the
         * chunk's length.
         *
         * @throws IOException when the blob could not be had within {@link #BLOB_WAIT}
         */
        public int readChunk(long index, long lastWanted, byte[] buf) throws IOException, InterruptedException {
            var ids = entry.blobIds();
            if (index < 0 || index >= ids.size()) throw new IllegalArgumentException("chunk " + index + " of " + ids.size());
            for (long k = index + 1; k <= Math.min(lastWanted, index + READ_AHEAD) && k < ids.size(); k++) fetchAhead(ids.get((int) k));
            String id = ids.get((int) index);
            LocalBlobs blobs = daemon.node().blobs();
            for (int attempt = 0; ; attempt++) {
                await(id);
                try {
                    blobs.store().read(id, buf, sha);
                    break;
                } catch (CorruptBlobException e) {
                    // quarantined by the store: fetch a good copy, once
                    if (attempt > 0) throw e;
                    blobs.remove(id);
                }
            }
            try {
                sealer.open(index, buf);
            } catch (CryptoException e) {
                throw new CorruptBlobException(id, null, "blob " + id + " (chunk " + index + ") does not open with the entry's key at that position");
            }
            chunksRead.incrementAndGet();
            return (int) Math.min(FileEntry.CHUNK_SIZE, entry.size() - index * FileEntry.CHUNK_SIZE);
        }

        /** Makes blob {@code id} present: fetched now, retried until {@link #BLOB_WAIT}. */
        private void await(String id) throws IOException, InterruptedException {
            LocalBlobs blobs = daemon.node().blobs();
            if (blobs.has(id)) return;
            blobWaits.incrementAndGet();
            long deadline = System.nanoTime() + BLOB_WAIT.toNanos();
            IOException last = null;
            while (!blobs.has(id)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("blob " + id + " did not arrive within " + BLOB_WAIT.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()));
                }
                try {
                    if (daemon.node().downloader().fetchUrgently(id) != null) blobsFetched.incrementAndGet();
                } catch (IOException e) {
                    last = e; // no holder known yet, or it failed: the download may bring it, or a later try
                    Thread.sleep(RETRY);
                }
            }
        }

        private void fetchAhead(String id) {
            LocalBlobs blobs = daemon.node().blobs();
            if (blobs.has(id) || !aheadInFlight.add(id)) return;
            Thread.ofVirtual().name("stream-ahead").start(() -> {
                try {
                    if (daemon.node().downloader().fetchUrgently(id) != null) blobsFetched.incrementAndGet();
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "read-ahead of blob {0}: {1}", id, e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    aheadInFlight.remove(id);
                }
            });
        }
    }
}
