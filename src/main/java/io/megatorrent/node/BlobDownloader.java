package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.PeerAddress;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gets blobs from whichever peers hold them: asks a {@link PeerFinder} who holds each blob,
 * keeps ONE connection per peer ({@link BlobFetcher}) and sends every request for that peer
 * on it, spreads the blobs of one download over all the peers that hold them, and falls back
 * to the next peer when one refuses, fails or sends a corrupt blob. Blobs already in the store
 * are not fetched again. One virtual thread per blob; the fetchers' windows bound what is in
 * flight.
 */
public final class BlobDownloader implements Closeable {
    private static final System.Logger LOG = System.getLogger(BlobDownloader.class.getName());

    /**
     * After a failed dial a peer is skipped for this long: without it every blob of a large file
     * would dial the same dead peer again (each attempt up to the handshake timeout).
     */
    public static final java.time.Duration UNREACHABLE_BACKOFF = java.time.Duration.ofSeconds(60);

    /** Who holds a blob (an address to dial), e.g. a DHT get_peers lookup on its short id. */
    @FunctionalInterface
    public interface PeerFinder {
        List<InetSocketAddress> peersFor(String blobId) throws IOException, InterruptedException;
    }

    private final LocalBlobs blobs;
    private final PeerFinder finder;
    private final Dialer dialer;
    private final X25519.KeyPair localStatic;
    private final int ourListenPort;
    private final ConcurrentHashMap<InetSocketAddress, CompletableFuture<BlobFetcher>> fetchers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetSocketAddress, AtomicLong> blobsByPeer = new ConcurrentHashMap<>();
    private final AtomicLong nextSpread = new AtomicLong();
    /** Peers whose dial failed, until when they are not dialled again (nanoTime). */
    private final ConcurrentHashMap<InetSocketAddress, Long> unreachableUntil = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Counters over the downloader's life, for reports. */
    public final AtomicLong blobsFetched = new AtomicLong();
    public final AtomicLong bytesFetched = new AtomicLong();
    public final AtomicLong corruptBlobs = new AtomicLong();
    public final AtomicLong connectionsOpened = new AtomicLong();

    public BlobDownloader(LocalBlobs blobs, PeerFinder finder, Dialer dialer, X25519.KeyPair localStatic, int ourListenPort) {
        this.blobs = blobs;
        this.finder = finder;
        this.dialer = dialer;
        this.localStatic = localStatic;
        this.ourListenPort = ourListenPort;
    }

    /** What one {@link #download} did. */
    public record Result(int requested, int alreadyHeld, int fetched, long bytes, Map<InetSocketAddress, Long> blobsByPeer) {}

    /**
     * Makes every blob of {@code blobIds} present and verified in the store.
     *
     * @throws IOException naming the first blob no peer could supply, and why
     */
    public Result download(Collection<String> blobIds) throws IOException, InterruptedException {
        List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(blobIds));
        ConcurrentHashMap<InetSocketAddress, AtomicLong> byPeer = new ConcurrentHashMap<>();
        AtomicLong held = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<Future<?>> tasks = new ArrayList<>();
        try (ExecutorService perBlob = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : ids) {
                tasks.add(perBlob.submit(() -> {
                    if (blobs.has(id)) {
                        blobs.index(id);
                        held.incrementAndGet();
                        return null;
                    }
                    InetSocketAddress from = fetchOne(id);
                    byPeer.computeIfAbsent(from, k -> new AtomicLong()).incrementAndGet();
                    bytes.addAndGet(io.megatorrent.content.Blob.BLOB_SIZE);
                    return null;
                }));
            }
            for (Future<?> t : tasks) {
                try {
                    t.get();
                } catch (ExecutionException e) {
                    perBlob.shutdownNow();
                    if (e.getCause() instanceof IOException io) throw io;
                    if (e.getCause() instanceof InterruptedException ie) throw ie;
                    throw new IOException(e.getCause());
                }
            }
        }
        Map<InetSocketAddress, Long> counts = new java.util.TreeMap<>(java.util.Comparator.comparing(InetSocketAddress::toString));
        byPeer.forEach((k, v) -> counts.put(k, v.get()));
        long fetched = counts.values().stream().mapToLong(Long::longValue).sum();
        return new Result(ids.size(), (int) held.get(), (int) fetched, bytes.get(), counts);
    }

    /**
     * Fetches one blob, trying its holders in turn; returns who sent it. Holders are taken in a
     * fixed order and each blob starts one further along it (a counter over all downloads, which
     * run concurrently for the files of a manifest), so the blobs spread evenly over the peers.
     */
    private InetSocketAddress fetchOne(String blobId) throws IOException, InterruptedException {
        List<InetSocketAddress> peers = new ArrayList<>(finder.peersFor(blobId));
        peers.sort(java.util.Comparator.comparing(InetSocketAddress::toString));
        int spread = (int) Math.floorMod(nextSpread.getAndIncrement(), (long) Math.max(1, peers.size()));
        if (peers.isEmpty()) throw new IOException("no peer holds blob " + blobId + " (none found in the DHT under " + BlobKeys.shortHex(blobId) + ")");
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < peers.size(); k++) {
            InetSocketAddress peer = peers.get((spread + k) % peers.size());
            try {
                BlobFetcher f = fetcher(peer);
                f.fetchInto(blobId, blobs);
                blobsFetched.incrementAndGet();
                bytesFetched.addAndGet(io.megatorrent.content.Blob.BLOB_SIZE);
                blobsByPeer.computeIfAbsent(peer, x -> new AtomicLong()).incrementAndGet();
                return peer;
            } catch (io.megatorrent.content.CorruptBlobException e) {
                corruptBlobs.incrementAndGet();
                LOG.log(System.Logger.Level.INFO, e.getMessage());
                failures.add(e.getMessage());
            } catch (IOException e) {
                failures.add(peer + ": " + e.getMessage());
            }
        }
        throw new IOException("blob " + blobId + " could not be fetched from any of " + peers.size() + " peers: " + String.join("; ", failures));
    }

    /** The one connection to {@code peer}, made on first use (concurrent callers share the handshake). */
    private BlobFetcher fetcher(InetSocketAddress peer) throws IOException, InterruptedException {
        while (true) {
            if (closed) throw new IOException("downloader closed");
            Long until = unreachableUntil.get(peer);
            if (until != null) {
                if (until - System.nanoTime() > 0) throw new IOException("peer " + peer + " was unreachable moments ago; not dialling it again yet");
                unreachableUntil.remove(peer, until);
            }
            CompletableFuture<BlobFetcher> mine = new CompletableFuture<>();
            CompletableFuture<BlobFetcher> existing = fetchers.putIfAbsent(peer, mine);
            if (existing == null) {
                try {
                    BlobFetcher f = BlobFetcher.connect(dialer, new PeerAddress(peer.getAddress().getHostAddress(), peer.getPort()), localStatic, ourListenPort);
                    connectionsOpened.incrementAndGet();
                    mine.complete(f);
                    if (closed) f.close();
                    return f;
                } catch (IOException | RuntimeException e) {
                    unreachableUntil.put(peer, System.nanoTime() + UNREACHABLE_BACKOFF.toNanos());
                    mine.completeExceptionally(e);
                    fetchers.remove(peer, mine);
                    throw e;
                }
            }
            BlobFetcher f;
            try {
                f = existing.get();
            } catch (ExecutionException e) {
                throw new IOException("connecting to " + peer + " failed: " + e.getCause().getMessage(), e.getCause());
            }
            if (f.isOpen()) return f;
            fetchers.remove(peer, existing); // the connection died: the next caller dials again
        }
    }

    /** Blobs fetched from each peer over the downloader's life. */
    public Map<InetSocketAddress, Long> blobsByPeer() {
        Map<InetSocketAddress, Long> counts = new java.util.TreeMap<>(java.util.Comparator.comparing(InetSocketAddress::toString));
        blobsByPeer.forEach((k, v) -> counts.put(k, v.get()));
        return counts;
    }

    /** Connections open now (one per peer at most). */
    public int openConnections() {
        int n = 0;
        for (CompletableFuture<BlobFetcher> f : fetchers.values()) if (f.isDone() && !f.isCompletedExceptionally() && f.join().isOpen()) n++;
        return n;
    }

    /** The largest number of requests that were outstanding at once on any one connection. */
    public int maxInFlightPerConnection() {
        int max = 0;
        for (CompletableFuture<BlobFetcher> f : fetchers.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) max = Math.max(max, f.join().maxInFlight.get());
        }
        return max;
    }

    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<BlobFetcher> f : fetchers.values()) {
            if (f.isDone() && !f.isCompletedExceptionally()) f.join().close();
        }
        fetchers.clear();
    }
}
