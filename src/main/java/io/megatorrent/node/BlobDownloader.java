package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
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
 * are not fetched again. At most {@link #MAX_CONCURRENT_FETCHES} blobs are fetched at once
 * over all downloads, each by a virtual thread; dead connections are dropped when they end.
 */
public final class BlobDownloader implements Closeable {
    private static final System.Logger LOG = System.getLogger(BlobDownloader.class.getName());

    /**
     * After a failed dial a peer is skipped for this long: without it every blob of a large file
     * would dial the same dead peer again (each attempt up to the handshake timeout).
     */
    public static final java.time.Duration UNREACHABLE_BACKOFF = java.time.Duration.ofSeconds(60);

    /**
     * Blobs being fetched at once, over all downloads of this downloader (every file of a
     * manifest downloads at once). Each holds at most one received 1 MiB blob until it is
     * stored, so this caps that memory (32 MiB) however many files, blobs or peers there are;
     * the per-connection window ({@link BlobFetcher#MAX_IN_FLIGHT}) spreads it over peers.
     */
    public static final int MAX_CONCURRENT_FETCHES = 32;

    /** Who holds a blob (an address to dial), e.g. a DHT get_peers lookup on its short id. */
    @FunctionalInterface
    public interface PeerFinder {
        List<InetSocketAddress> peersFor(String blobId) throws IOException, InterruptedException;
    }

    /** Told of each blob of a download as it becomes present: fetched from {@code from}, or held already (from null). */
    @FunctionalInterface
    public interface BlobListener {
        BlobListener NONE = (blobId, from) -> {};

        void present(String blobId, InetSocketAddress from);
    }

    private final LocalBlobs blobs;
    private final PeerFinder finder;
    private volatile BlobFetcher.Gossip gossip = BlobFetcher.Gossip.NONE;
    /** Peers that sent a blob whose hash was wrong: not asked again for this node's life. */
    private final java.util.Set<InetSocketAddress> banned = ConcurrentHashMap.newKeySet();
    public final AtomicLong peersBanned = new AtomicLong();
    private final Dialer dialer;
    private final X25519.KeyPair localStatic;
    private final java.util.function.Supplier<X25519.KeyPair> dialKeys;
    private final int ourListenPort;
    private final ConcurrentHashMap<Route, CompletableFuture<BlobFetcher>> fetchers = new ConcurrentHashMap<>();
    /** The cap on {@link #fetchers} and their idle eviction (issue 11, finding 7). */
    final OutgoingConnections<Route> pool = new OutgoingConnections<>(OutgoingConnections.DEFAULT_CAP, OutgoingConnections.DEFAULT_IDLE,
            System::nanoTime, Route::peer);
    /**
     * The isolation group of the work on this thread (and the threads it starts): a channel,
     * behind a proxy. Set by {@link #isolation}; null outside any group.
     */
    private static final InheritableThreadLocal<String> GROUP = new InheritableThreadLocal<>();
    /** Dialer of each isolation group (null: groups are ignored, one connection per peer). */
    private volatile java.util.function.Function<String, Dialer> groupDialers;

    /** A kept connection: to one peer, for one isolation group (null when groups are ignored). */
    private record Route(String group, InetSocketAddress peer) {}
    private final ConcurrentHashMap<InetSocketAddress, AtomicLong> blobsByPeer = new ConcurrentHashMap<>();
    private final AtomicLong nextSpread = new AtomicLong();
    /** Peers whose dial failed, until when they are not dialled again (nanoTime). */
    private final ConcurrentHashMap<InetSocketAddress, Long> unreachableUntil = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Countersigns what peers serve us (PROTOCOL_FINAL.md 8); null: no ledger. */
    private volatile io.megatorrent.ledger.Ledger ledger;
    private final java.util.concurrent.Semaphore fetchSlots = new java.util.concurrent.Semaphore(MAX_CONCURRENT_FETCHES);
    /** Blobs being fetched now, and the most there ever were (for tests). */
    final java.util.concurrent.atomic.AtomicInteger fetchesInProgress = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger maxFetchesInProgress = new java.util.concurrent.atomic.AtomicInteger();

    /** Counters over the downloader's life, for reports. */
    public final AtomicLong blobsFetched = new AtomicLong();
    public final AtomicLong bytesFetched = new AtomicLong();
    public final AtomicLong corruptBlobs = new AtomicLong();
    public final AtomicLong connectionsOpened = new AtomicLong();

    public BlobDownloader(LocalBlobs blobs, PeerFinder finder, Dialer dialer, X25519.KeyPair localStatic, int ourListenPort) {
        this(blobs, finder, dialer, localStatic, () -> localStatic, ourListenPort);
    }

    /**
     * {@code localStatic} is the node's own key (a connection that proves it reached ourselves);
     * {@code dialKeys} gives the key each outgoing connection proves: the node's own, or behind a
     * proxy a fresh one per connection, so peers cannot link our connections.
     */
    public BlobDownloader(LocalBlobs blobs, PeerFinder finder, Dialer dialer, X25519.KeyPair localStatic,
            java.util.function.Supplier<X25519.KeyPair> dialKeys, int ourListenPort) {
        this.blobs = blobs;
        this.finder = finder;
        this.dialer = dialer;
        this.localStatic = localStatic;
        this.dialKeys = dialKeys;
        this.ourListenPort = ourListenPort;
    }

    /** Keeps a ledger on the connections made from now on. */
    public void useLedger(io.megatorrent.ledger.Ledger ledger) {
        this.ledger = ledger;
    }

    /**
     * Keeps the connections of each isolation group apart (behind a proxy: a group is a channel):
     * work inside {@link #isolation} dials with {@code dialers.apply(group)} over connections of
     * that group only, so no connection, and no proxy circuit, carries two channels.
     */
    public void isolateConnectionsBy(java.util.function.Function<String, Dialer> dialers) {
        this.groupDialers = dialers;
    }

    /** Until closed, this thread's work (and the threads it starts) belongs to {@code group}. */
    public Isolation isolation(String group) {
        String before = GROUP.get();
        GROUP.set(group);
        return () -> GROUP.set(before);
    }

    /** The scope of one isolation group on a thread. */
    public interface Isolation extends AutoCloseable {
        @Override
        void close();
    }

    private Route route(InetSocketAddress peer) {
        return new Route(groupDialers == null ? null : GROUP.get(), peer);
    }

    private Dialer dialerFor(Route r) {
        java.util.function.Function<String, Dialer> d = groupDialers;
        return d == null || r.group() == null ? dialer : d.apply(r.group());
    }

    /** A peer as the dialer takes it: an IP literal, or the name of an unresolved address (.onion, .i2p), never looked up here. */
    static PeerAddress peerAddress(InetSocketAddress peer) {
        return new PeerAddress(peer.isUnresolved() ? peer.getHostString() : peer.getAddress().getHostAddress(), peer.getPort());
    }

    /** What one {@link #download} did. */
    public record Result(int requested, int alreadyHeld, int fetched, long bytes, Map<InetSocketAddress, Long> blobsByPeer) {}

    /** Bytes per second this downloader may fetch (0: no limit), as BitTorrent clients let users cap their download. */
    private volatile long rateLimit;
    /** When the bytes fetched so far may all have arrived at the limit (nanoTime): a token bucket without a bucket. */
    private long rateClock;

    /** Caps the download rate over all downloads (bytes per second; 0 lifts the cap). */
    public void setRateLimit(long bytesPerSecond) {
        if (bytesPerSecond < 0) throw new IllegalArgumentException("negative rate");
        this.rateLimit = bytesPerSecond;
    }

    /** The cap set by {@link #setRateLimit} (0: none). */
    public long rateLimit() {
        return rateLimit;
    }

    /** Waits until fetching {@code bytes} more keeps the rate under the cap. */
    private void pace(long bytes) throws InterruptedException {
        long limit = rateLimit;
        if (limit == 0) return;
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            if (rateClock - now < 0) rateClock = now;
            rateClock += bytes * 1_000_000_000L / limit;
            wait = rateClock - now - 1_000_000_000L; // a second's worth may go at once
        }
        if (wait > 0) java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
    }

    /** Sets what the connections this downloader makes gossip (the node's channels) and whom they tell what they hear. */
    public void setGossip(BlobFetcher.Gossip gossip) {
        this.gossip = gossip;
    }

    /**
     * Makes every blob of {@code blobIds} present and verified in the store.
     *
     * @throws IOException naming the first blob no peer could supply, and why
     */
    public Result download(Collection<String> blobIds) throws IOException, InterruptedException {
        return download(blobIds, BlobListener.NONE);
    }

    /** Whether {@code peer} sent a corrupt blob (it is then never asked again). */
    public boolean isBanned(InetSocketAddress peer) {
        return banned.contains(peer);
    }

    /** Open connections, one per peer. */
    public List<BlobFetcher> connections() {
        List<BlobFetcher> all = new ArrayList<>();
        for (CompletableFuture<BlobFetcher> f : fetchers.values()) {
            if (f.isDone() && !f.isCompletedExceptionally() && f.join().isOpen()) all.add(f.join());
        }
        return all;
    }

    /** A connection of its own to {@code target} (IK when it names the static key), not kept: the caller closes it. */
    public BlobFetcher dial(PeerTarget target) throws IOException {
        return BlobFetcher.connect(dialer, target, dialKeys.get(), ourListenPort, gossip, ledger);
    }

    /** The connection to {@code peer}: the one kept, or a new one (the same one that blob requests use). */
    public BlobFetcher connection(InetSocketAddress peer) throws IOException, InterruptedException {
        if (banned.contains(peer)) throw new IOException("peer " + peer + " is banned (it sent a corrupt blob)");
        return fetcher(peer);
    }

    public Result download(Collection<String> blobIds, BlobListener listener) throws IOException, InterruptedException {
        return download(blobIds, listener, finder);
    }

    /** As {@link #download(Collection, BlobListener)}, asking {@code peers} who holds each blob. */
    public Result download(Collection<String> blobIds, BlobListener listener, PeerFinder peers) throws IOException, InterruptedException {
        List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(blobIds));
        ConcurrentHashMap<InetSocketAddress, AtomicLong> byPeer = new ConcurrentHashMap<>();
        AtomicLong held = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<Future<?>> tasks = new ArrayList<>();
        // A bounded set of workers takes the blobs in turn: threads do not grow with the file.
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int workers = Math.min(MAX_CONCURRENT_FETCHES, ids.size());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int k = 0; k < workers; k++) {
                tasks.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < ids.size(); i = next.getAndIncrement()) {
                        String id = ids.get(i);
                        if (blobs.has(id)) {
                            blobs.index(id);
                            held.incrementAndGet();
                            listener.present(id, null);
                            continue;
                        }
                        InetSocketAddress from = fetchBounded(id, peers);
                        listener.present(id, from);
                        if (from == null) {
                            held.incrementAndGet(); // another download fetched it meanwhile
                            continue;
                        }
                        byPeer.computeIfAbsent(from, x -> new AtomicLong()).incrementAndGet();
                        bytes.addAndGet(io.megatorrent.content.Blob.BLOB_SIZE);
                    }
                    return null;
                }));
            }
            for (Future<?> t : tasks) {
                try {
                    t.get();
                } catch (ExecutionException e) {
                    next.set(ids.size());
                    pool.shutdownNow();
                    if (e.getCause() instanceof IOException io) throw io;
                    if (e.getCause() instanceof InterruptedException ie) throw ie;
                    throw new IOException(e.getCause());
                }
            }
        }
        blobs.sync(); // the blobs were stored without an fsync each: durable before the download reports done
        Map<InetSocketAddress, Long> counts = new java.util.TreeMap<>(java.util.Comparator.comparing(InetSocketAddress::toString));
        byPeer.forEach((k, v) -> counts.put(k, v.get()));
        long fetched = counts.values().stream().mapToLong(Long::longValue).sum();
        return new Result(ids.size(), (int) held.get(), (int) fetched, bytes.get(), counts);
    }

    /** {@link #fetchOne} within the global bound; null when the blob arrived meanwhile. */
    private InetSocketAddress fetchBounded(String blobId, PeerFinder peers) throws IOException, InterruptedException {
        fetchSlots.acquire();
        try {
            int now = fetchesInProgress.incrementAndGet();
            maxFetchesInProgress.accumulateAndGet(now, Math::max);
            if (blobs.has(blobId)) return null;
            pace(io.megatorrent.content.Blob.BLOB_SIZE);
            return fetchShared(blobId, false, peers);
        } finally {
            fetchesInProgress.decrementAndGet();
            fetchSlots.release();
        }
    }

    /**
     * Fetches one blob, trying its holders in turn; returns who sent it. Holders are taken in a
     * fixed order and each blob starts one further along it (a counter over all downloads, which
     * run concurrently for the files of a manifest), so the blobs spread evenly over the peers.
     */
    private InetSocketAddress fetchOne(String blobId, PeerFinder finder) throws IOException, InterruptedException {
        List<InetSocketAddress> peers = new ArrayList<>(new java.util.LinkedHashSet<>(finder.peersFor(blobId)));
        peers.removeIf(banned::contains);
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
                ban(peer, e.getMessage());
                failures.add(e.getMessage());
            } catch (IOException e) {
                failures.add(peer + ": " + e.getMessage());
            }
        }
        throw new IOException("blob " + blobId + " could not be fetched from any of " + peers.size() + " peers: " + String.join("; ", failures));
    }

    /** Never asks {@code peer} again, and drops its connection: it sent bytes that are not the blob it was asked for. */
    private void ban(InetSocketAddress peer, String why) {
        if (!banned.add(peer)) return;
        peersBanned.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "banned peer " + peer + " for this session: " + why);
        for (Route r : List.copyOf(fetchers.keySet())) {
            if (!r.peer().equals(peer)) continue;
            CompletableFuture<BlobFetcher> f = fetchers.remove(r);
            if (f != null && f.isDone() && !f.isCompletedExceptionally()) f.join().close();
        }
    }

    /** The one connection to {@code peer}, made on first use (concurrent callers share the handshake). */
    private BlobFetcher fetcher(InetSocketAddress peer) throws IOException, InterruptedException {
        Route route = route(peer);
        while (true) {
            if (closed) throw new IOException("downloader closed");
            Long until = unreachableUntil.get(peer);
            if (until != null) {
                if (until - System.nanoTime() > 0) throw new IOException("peer " + peer + " was unreachable moments ago; not dialling it again yet");
                unreachableUntil.remove(peer, until);
            }
            CompletableFuture<BlobFetcher> mine = new CompletableFuture<>();
            CompletableFuture<BlobFetcher> existing = fetchers.putIfAbsent(route, mine);
            if (existing == null) {
                try {
                    makeRoom(route);
                    long dialled = System.nanoTime();
                    BlobFetcher f = BlobFetcher.connect(dialerFor(route), new PeerTarget(null, peerAddress(peer)), dialKeys.get(), ourListenPort, gossip, ledger);
                    connectionsOpened.incrementAndGet();
                    LOG.log(System.Logger.Level.DEBUG, "connected to {0} (handshake done) after {1} ms", peer, (System.nanoTime() - dialled) / 1_000_000);
                    if (java.util.Arrays.equals(f.remoteStatic(), localStatic.publicKey())) {
                        f.close();
                        // an address of this node (the DHT names it as a holder): never dial it again
                        throw new SelfException("peer " + peer + " is this node (it has our static key)");
                    }
                    pool.used(route);
                    f.whenEnded(() -> {
                        if (fetchers.remove(route, mine)) pool.forget(route);
                    });
                    mine.complete(f);
                    if (closed) f.close();
                    return f;
                } catch (IOException | RuntimeException e) {
                    long now = System.nanoTime();
                    // forget peers whose back-off is over, so the map holds only recent failures
                    unreachableUntil.values().removeIf(t -> t - now <= 0);
                    unreachableUntil.put(peer, e instanceof SelfException ? now + Long.MAX_VALUE / 2 : now + UNREACHABLE_BACKOFF.toNanos());
                    mine.completeExceptionally(e);
                    fetchers.remove(route, mine);
                    throw e;
                }
            }
            BlobFetcher f;
            try {
                f = existing.get();
            } catch (ExecutionException e) {
                throw new IOException("connecting to " + peer + " failed: " + e.getCause().getMessage(), e.getCause());
            }
            if (f.isOpen()) {
                pool.used(route);
                return f;
            }
            fetchers.remove(route, existing); // the connection died: the next caller dials again
        }
    }

    /**
     * Before dialing {@code dialing} (already in {@link #fetchers}): closes the idlest kept
     * connections until the pool is within its cap. Handshakes in progress are not closed; they
     * are fewer than the cap (bounded by the fetches running at once). One dialer at a time, so
     * that two making room at once do not both count the same free place.
     */
    private void makeRoom(Route dialing) {
        synchronized (pool) {
            makeRoomLocked(dialing);
        }
    }

    private void makeRoomLocked(Route dialing) {
        while (fetchers.size() > pool.cap()) {
            List<Route> open = new ArrayList<>();
            for (Map.Entry<Route, CompletableFuture<BlobFetcher>> e : fetchers.entrySet()) {
                CompletableFuture<BlobFetcher> f = e.getValue();
                if (!e.getKey().equals(dialing) && f.isDone() && !f.isCompletedExceptionally()) open.add(e.getKey());
            }
            Route victim = pool.evictionVictim(open);
            if (victim == null) return;
            CompletableFuture<BlobFetcher> f = fetchers.remove(victim);
            pool.forget(victim);
            if (f != null && f.isDone() && !f.isCompletedExceptionally()) f.join().close();
        }
        pool.dialing(fetchers.size());
    }

    /** Closes the kept connections idle for longer than the pool allows that carry no gossip link; returns how many. */
    public int closeIdle() {
        int n = 0;
        for (Map.Entry<Route, CompletableFuture<BlobFetcher>> e : fetchers.entrySet()) {
            CompletableFuture<BlobFetcher> f = e.getValue();
            if (!f.isDone() || f.isCompletedExceptionally() || !pool.idle(e.getKey())) continue;
            if (fetchers.remove(e.getKey(), f)) {
                pool.forget(e.getKey());
                f.join().close();
                n++;
            }
        }
        return n;
    }

    /** Peers whose connection carries a followed channel's gossip link: kept however idle (see {@link OutgoingConnections}). */
    public void keepLinksTo(java.util.function.Predicate<InetSocketAddress> peers) {
        pool.keepLinksTo(peers);
    }

    /** Dials started, connections closed to make room and for idleness, and the most kept at once: for status. */
    public long dialsAttempted() {
        return pool.dialsAttempted.get();
    }

    public long connectionsEvicted() {
        return pool.evictedForRoom.get() + pool.closedIdle.get();
    }

    public int mostConnectionsKept() {
        return pool.mostKept.get();
    }

    /** A dial reached this node itself. */
    static final class SelfException extends IOException {
        private static final long serialVersionUID = 1L;

        SelfException(String message) {
            super(message);
        }
    }

    /** Connections kept (open, or being made) now: for tests. */
    int fetcherCount() {
        return fetchers.size();
    }

    /** Peers in the unreachable back-off now: for tests. */
    int unreachableCount() {
        return unreachableUntil.size();
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

    // ------------------------------------------------------------------ urgent fetches (streaming)

    /**
     * Blobs fetched at once for readers that wait on them (a file streamed while it downloads),
     * beside the {@link #MAX_CONCURRENT_FETCHES} of the downloads: a reader never queues behind a
     * download's remaining blobs, which would take back every freed slot first.
     */
    public static final int MAX_URGENT_FETCHES = 8;
    private final java.util.concurrent.Semaphore urgentSlots = new java.util.concurrent.Semaphore(MAX_URGENT_FETCHES);
    /** Blobs being fetched now, so a download and a reader wanting the same blob fetch it once. */
    private final ConcurrentHashMap<String, CompletableFuture<InetSocketAddress>> inFlight = new ConcurrentHashMap<>();

    /**
     * Fetches {@code blobId} now, outside the downloads' bound; returns who sent it, or null when
     * it was present already or another fetch brought it.
     */
    public InetSocketAddress fetchUrgently(String blobId) throws IOException, InterruptedException {
        urgentSlots.acquire();
        try {
            if (blobs.has(blobId)) return null;
            return fetchShared(blobId, true, finder);
        } finally {
            urgentSlots.release();
        }
    }

    /**
     * Asks the peers already connected first: they likely hold the blob (they serve the same
     * channel), and asking them needs no DHT lookup, which would queue behind the downloads' own.
     * Then the holders the DHT names, as for any blob.
     */
    private InetSocketAddress fetchConnectedFirst(String blobId) throws IOException, InterruptedException {
        String group = GROUP.get();
        for (Map.Entry<Route, CompletableFuture<BlobFetcher>> e : fetchers.entrySet()) {
            if (groupDialers != null && !java.util.Objects.equals(e.getKey().group(), group)) continue; // never across isolation groups
            CompletableFuture<BlobFetcher> f = e.getValue();
            InetSocketAddress peer = e.getKey().peer();
            if (!f.isDone() || f.isCompletedExceptionally() || !f.join().isOpen() || banned.contains(peer)) continue;
            try {
                f.join().fetchInto(blobId, blobs);
                blobsFetched.incrementAndGet();
                bytesFetched.addAndGet(io.megatorrent.content.Blob.BLOB_SIZE);
                blobsByPeer.computeIfAbsent(peer, x -> new AtomicLong()).incrementAndGet();
                return peer;
            } catch (io.megatorrent.content.CorruptBlobException x) {
                corruptBlobs.incrementAndGet();
                ban(peer, x.getMessage());
            } catch (IOException x) {
                // it does not hold it, or the connection failed: the next one, then the DHT's holders
            }
        }
        return fetchOne(blobId, finder);
    }

    /** {@link #fetchOne}, or, when that blob is being fetched already, the wait for it (null: another fetch brought it). */
    private InetSocketAddress fetchShared(String blobId, boolean urgent, PeerFinder peers) throws IOException, InterruptedException {
        CompletableFuture<InetSocketAddress> mine = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> other = inFlight.putIfAbsent(blobId, mine);
        if (other != null) {
            try {
                other.get();
                return null;
            } catch (ExecutionException e) {
                if (blobs.has(blobId)) return null;
                return fetchShared(blobId, urgent, peers); // that attempt failed: try ourselves
            }
        }
        try {
            InetSocketAddress from = urgent ? fetchConnectedFirst(blobId) : fetchOne(blobId, peers);
            mine.complete(from);
            return from;
        } catch (IOException | InterruptedException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(blobId, mine);
        }
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
