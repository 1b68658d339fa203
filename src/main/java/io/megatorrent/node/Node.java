package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.PeerScope;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.UploadScheduler;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.NodeKey;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * One running node: its DHT node, its blob store, its Noise static key, a listener serving
 * blobs ({@link BlobServer}) and a downloader fetching them ({@link BlobDownloader}), all owned
 * here and stopped by {@link #close}. {@link Publisher} and {@link Subscriber} run the two
 * walks of the protocol on top of it.
 */
public final class Node implements AutoCloseable {
    /** Deadline of one DHT lookup (get_peers, get, announce, put). */
    public static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);
    /** DHT lookups one node runs at once for blob work; more wait (each lookup is a burst of queries). */
    public static final int MAX_CONCURRENT_LOOKUPS = 16;
    /** Re-announce period: well inside the 30 minutes a DHT node keeps an announced peer. */
    public static final Duration REANNOUNCE_INTERVAL = Duration.ofMinutes(25);
    /** Time given to the first contact with the bootstrap nodes. */
    public static final Duration BOOTSTRAP_TIMEOUT = Duration.ofSeconds(10);
    /** Blobs sent at once; past it peers wait their turn by ledger score (PROTOCOL_FINAL.md 8.7). */
    public static final int UPLOAD_SLOTS = 8;

    /**
     * What the node does with its ledger (PROTOCOL_FINAL.md 8.8): keep it in the data folder under
     * one identity, keep it in memory under a fresh identity per session, or keep none. Safe mode
     * (Tor, I2P) must not use PERSISTENT: one ledger key would link all its transfers over time.
     */
    public enum LedgerMode { PERSISTENT, PER_SESSION, OFF }

    /**
     * dataDir holds the static key, the DHT state and the blob store; dhtBind (UDP) and
     * listenBind (TCP) may use port 0; bootstrap lists DHT nodes to join through.
     */
    public record Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap) {
        public Config {
            bootstrap = List.copyOf(bootstrap);
        }
    }

    private final Path dataDir;
    private final DhtNode dht;
    private final LocalBlobs blobs;
    private final X25519.KeyPair staticKey;
    private final BlobServer server;
    private final Listener listener;
    private final InetSocketAddress listenAddress;
    private final BlobDownloader downloader;
    private final Semaphore lookups = new Semaphore(MAX_CONCURRENT_LOOKUPS);
    private final ChannelSeqs channelSeqs;
    /** Addresses of this host's interfaces, to tell ourselves apart when listening on the wildcard address. */
    private final java.util.Set<java.net.InetAddress> localAddresses;
    private volatile Thread reannouncer;
    private final Ledger ledger;
    /** Rounds of re-announcing done, for reports and tests. */
    public final java.util.concurrent.atomic.AtomicLong reannounceRounds = new java.util.concurrent.atomic.AtomicLong();

    private Node(Path dataDir, DhtNode dht, LocalBlobs blobs, X25519.KeyPair staticKey, BlobServer server, Listener listener,
            Dialer dialer, Ledger ledger) throws IOException {
        this.ledger = ledger;
        this.dataDir = dataDir;
        this.dht = dht;
        this.blobs = blobs;
        this.staticKey = staticKey;
        this.server = server;
        this.listener = listener;
        this.listenAddress = listener.localAddress();
        this.channelSeqs = new ChannelSeqs(dataDir);
        this.localAddresses = listenAddress.getAddress().isAnyLocalAddress() ? interfaceAddresses() : java.util.Set.of();
        this.downloader = new BlobDownloader(blobs, this::peersFor, dialer, staticKey, listenAddress.getPort());
        if (ledger != null) downloader.useLedger(ledger);
    }

    /** Opens the store, loads or makes the static key, starts the DHT node and the listener, and bootstraps. */
    public static Node start(Config config) throws IOException, InterruptedException {
        return start(config, LedgerMode.PERSISTENT);
    }

    public static Node start(Config config, LedgerMode ledgerMode) throws IOException, InterruptedException {
        Path dir = config.dataDir().toAbsolutePath();
        X25519.KeyPair key = NodeKey.loadOrCreate(dir);
        LocalBlobs blobs = LocalBlobs.open(dir);
        Ledger ledger = switch (ledgerMode) {
            case PERSISTENT -> Ledger.open(dir);
            case PER_SESSION -> Ledger.ephemeral();
            case OFF -> null;
        };
        DhtNode dht;
        try {
            dht = DhtNode.start(DhtNode.Config.of(config.dhtBind()).withStateDir(dir.resolve("dht")));
        } catch (IOException | RuntimeException e) {
            if (ledger != null) ledger.close();
            throw e;
        }
        Listener listener = null;
        try {
            int[] port = {0};
            // every node is a DHT bridge for peers without UDP (PROTOCOL_FINAL.md 7); its streams are plain TCP
            BlobServer server = new BlobServer(blobs, () -> port[0], new BridgeService(dht, true));
            if (ledger != null) server.useLedger(ledger, UploadScheduler.byLedger(UPLOAD_SLOTS, ledger));
            listener = Listener.open(config.listenBind(), key, Connection.Timeouts.DEFAULT, server);
            port[0] = listener.localAddress().getPort();
            Node node = new Node(dir, dht, blobs, key, server, listener, new TcpDialer(), ledger);
            if (!config.bootstrap().isEmpty()) dht.bootstrap(config.bootstrap(), BOOTSTRAP_TIMEOUT);
            return node;
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (listener != null) listener.close();
            dht.close();
            if (ledger != null) ledger.close();
            throw e;
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    public DhtNode dht() {
        return dht;
    }

    public LocalBlobs blobs() {
        return blobs;
    }

    /** The node's ledger, or null when it keeps none ({@link LedgerMode#OFF}). */
    public Ledger ledger() {
        return ledger;
    }

    public BlobServer server() {
        return server;
    }

    public BlobDownloader downloader() {
        return downloader;
    }

    /** The newest pointer sequence accepted per channel, kept in the data folder. */
    ChannelSeqs channelSeqs() {
        return channelSeqs;
    }

    /** Where peers reach this node's blob server (TCP, Noise). */
    public InetSocketAddress listenAddress() {
        return listenAddress;
    }

    /** This node's Noise static public key. */
    public byte[] staticPublicKey() {
        return staticKey.publicKey();
    }

    /**
     * Peers one lookup hands the downloader at most: each costs a dial (up to the handshake
     * timeout when it is fake), so a hostile DHT node's endless list is cut here.
     */
    public static final int MAX_PEERS_PER_LOOKUP = 50;

    private volatile BlobDownloader.PeerFinder morePeers;

    /** Adds a second source of holders beside the DHT (peer exchange, peers met in MSG_HELLO). */
    public void setMorePeers(BlobDownloader.PeerFinder finder) {
        this.morePeers = finder;
    }

    /**
     * Holders of a blob: a DHT get_peers lookup on its short id, then the node's other sources;
     * this node, addresses outside our scope ({@link PeerScope}) and peers past
     * {@link #MAX_PEERS_PER_LOOKUP} left out.
     */
    public List<InetSocketAddress> peersFor(String blobId) throws IOException, InterruptedException {
        java.util.LinkedHashSet<InetSocketAddress> found = new java.util.LinkedHashSet<>();
        lookups.acquire();
        try {
            found.addAll(dht.getPeers(BlobKeys.infohash(blobId), LOOKUP_TIMEOUT));
        } finally {
            lookups.release();
        }
        BlobDownloader.PeerFinder more = morePeers;
        if (more != null) found.addAll(more.peersFor(blobId));
        List<InetSocketAddress> peers = new ArrayList<>();
        for (InetSocketAddress p : found) {
            if (peers.size() == MAX_PEERS_PER_LOOKUP) break;
            if (!isSelf(p) && PeerScope.dialable(p, listenAddress.getAddress())) peers.add(p);
        }
        return peers;
    }

    private boolean isSelf(InetSocketAddress peer) {
        return isSelf(peer, listenAddress, localAddresses);
    }

    /**
     * Whether {@code peer} is the listener at {@code listen}: the same port on the same address,
     * or, for a wildcard listener, on one of this host's interface addresses. Another node on
     * the same port elsewhere (another loopback address, another host) is not us. This only
     * saves a dial: the downloader also refuses a connection whose static key is ours.
     */
    static boolean isSelf(InetSocketAddress peer, InetSocketAddress listen, java.util.Set<java.net.InetAddress> interfaceAddresses) {
        if (peer.getPort() != listen.getPort() || peer.getAddress() == null) return false;
        if (peer.getAddress().equals(listen.getAddress())) return true;
        return listen.getAddress().isAnyLocalAddress() && interfaceAddresses.contains(peer.getAddress());
    }

    private static java.util.Set<java.net.InetAddress> interfaceAddresses() {
        java.util.Set<java.net.InetAddress> all = new java.util.HashSet<>();
        try {
            for (java.net.NetworkInterface ni : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                all.addAll(java.util.Collections.list(ni.getInetAddresses()));
            }
        } catch (java.net.SocketException e) {
            // no interface list: the static-key check in the downloader still catches a dial to ourselves
        }
        return java.util.Set.copyOf(all);
    }

    /**
     * Re-announces every blob held, every {@code interval}, until {@link #close}: DHT nodes
     * forget peers 30 minutes after their last announce (PROTOCOL_FINAL.md 6.9), so a serving
     * node repeats within that ({@link #REANNOUNCE_INTERVAL}).
     */
    public synchronized void startReannouncing(Duration interval) {
        if (reannouncer != null) throw new IllegalStateException("already re-announcing");
        reannouncer = Thread.ofVirtual().name("node-reannounce").start(() -> {
            try {
                while (true) {
                    Thread.sleep(interval);
                    List<String> held = blobs.ids();
                    if (!held.isEmpty()) announce(held);
                    reannounceRounds.incrementAndGet();
                }
            } catch (InterruptedException e) {
                // closing
            }
        });
    }

    /** Announces this node in the DHT as a holder of each blob (announce_peer with our TCP port). */
    public AnnounceResult announce(Collection<String> blobIds) throws InterruptedException {
        List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(blobIds));
        List<Future<Integer>> stores = new ArrayList<>();
        try (ExecutorService perBlob = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : ids) {
                stores.add(perBlob.submit(() -> {
                    lookups.acquire();
                    try {
                        return dht.announce(BlobKeys.infohash(id), listenAddress.getPort(), LOOKUP_TIMEOUT);
                    } finally {
                        lookups.release();
                    }
                }));
            }
        }
        int announced = 0;
        long stored = 0;
        List<String> nowhere = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            int n;
            try {
                n = stores.get(i).get();
            } catch (java.util.concurrent.ExecutionException e) {
                n = 0;
            }
            if (n > 0) announced++;
            else nowhere.add(ids.get(i));
            stored += n;
        }
        return new AnnounceResult(ids.size(), announced, stored, nowhere);
    }

    /** blobs: distinct ids; announced: those stored by at least one DHT node; stores: announce_peer accepted in all. */
    public record AnnounceResult(int blobs, int announced, long stores, List<String> notStored) {}

    @Override
    public void close() {
        Thread r = reannouncer;
        if (r != null) {
            r.interrupt();
            try {
                r.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        downloader.close();
        try {
            listener.close();
        } catch (IOException e) {
            // the listener's socket is gone either way
        }
        dht.close();
        if (ledger != null) {
            try {
                ledger.close();
            } catch (IOException e) {
                // every block was forced to disk when appended: nothing is lost
            }
        }
    }
}
