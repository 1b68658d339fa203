package io.megatorrent.node;

import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.DhtOperations;
import io.megatorrent.dht.PeerScope;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.UploadScheduler;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.NodeKey;
import io.megatorrent.transport.TcpDialer;
import io.megatorrent.transport.sam.SamBridge;
import io.megatorrent.transport.sam.SamDialer;
import io.megatorrent.transport.sam.SamSession;
import io.megatorrent.transport.socks5.Socks5Credentials;
import io.megatorrent.transport.tor.TorControl;
import io.megatorrent.transport.socks5.Socks5Dialer;
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
     * listenBind (TCP) may use port 0; bootstrap lists DHT nodes to join through. mode decides
     * how the network is reached (in a safe mode dhtBind and bootstrap are unused: no UDP socket
     * exists); offer, when not null, makes a direct node a bridge on more listeners (hybrid).
     */
    public record Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap,
            NetworkMode mode, BridgeOffer offer, TorService tor) {
        public Config {
            bootstrap = List.copyOf(bootstrap);
            if (mode == null) mode = NetworkMode.DIRECT;
            if (!(mode instanceof NetworkMode.Direct)) {
                if (!bootstrap.isEmpty()) throw new IllegalArgumentException("a " + mode.label() + " node joins the DHT only through bridges: no bootstrap nodes");
                if (offer != null) throw new IllegalArgumentException("a " + mode.label() + " node has no UDP DHT node to offer as a bridge");
            }
            if (tor != null && mode instanceof NetworkMode.I2p) throw new IllegalArgumentException("an I2P node is reached on its I2P destination, not an onion service");
        }

        public Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap) {
            this(dataDir, dhtBind, listenBind, bootstrap, NetworkMode.DIRECT, null, null);
        }
    }

    /**
     * The node's own onion service, made through Tor's control port at {@code control} (password
     * null: cookie or no authentication), mapped from port {@link #ONION_PORT} of the .onion to the
     * Noise listener, its key kept in {@link #ONION_KEY_FILE} so the address survives restarts.
     */
    public record TorService(InetSocketAddress control, String password) {}

    /** The onion service's key and id, in the data folder (mode 0600). */
    public static final String ONION_KEY_FILE = "onion-service.key";
    /** The port of the node's .onion address (the virtual port; the listener's own port may change). */
    public static final int ONION_PORT = 6881;

    /**
     * A direct node serving bridge clients beyond its Noise listener (which answers them too):
     * on a DHT-only TCP listener at {@code tcpPort} of the listen address (null: none), and over
     * I2P through the SAM bridge {@code sam} (null: none) on the destination kept in the data folder.
     */
    public record BridgeOffer(Integer tcpPort, InetSocketAddress sam, java.util.Map<String, String> samOptions) {
        public BridgeOffer {
            samOptions = samOptions == null ? java.util.Map.of() : java.util.Map.copyOf(samOptions);
        }
    }

    /** The node's I2P destination, kept in the data folder (PROTOCOL_FINAL.md 5.4), shared by --sam and --bridge-sam. */
    public static final String I2P_KEY_FILE = "i2p-destination.key";
    /** Time Tor's control port may take to answer one command. */
    static final Duration TOR_CONTROL_TIMEOUT = Duration.ofSeconds(30);
    /** Time an I2P router may take to build a session's tunnels (i2pd offline: about 20 s). */
    public static final Duration SAM_SESSION_TIMEOUT = Duration.ofSeconds(90);

    private final Path dataDir;
    private final NetworkMode mode;
    /** The UDP DHT node (direct mode only, else null) and the view every caller uses. */
    private final DhtNode udpDht;
    private final BridgedDht bridged;
    private final DhtOperations dht;
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
    /** Everything else the mode opened (SAM sessions, bridge listeners), closed last to first. */
    private final List<AutoCloseable> extras;
    private final List<BlobServer> bridgeServers;
    private final SamSession samSession;
    private final TorControl tor;
    private final Listener bridgeListener;
    private final SamSession bridgeSamSession;
    private volatile Thread reannouncer;
    private final Ledger ledger;
    /** Rounds of re-announcing done, for reports and tests. */
    public final java.util.concurrent.atomic.AtomicLong reannounceRounds = new java.util.concurrent.atomic.AtomicLong();

    private Node(Path dataDir, NetworkMode mode, DhtNode udpDht, BridgedDht bridged, LocalBlobs blobs, X25519.KeyPair staticKey, BlobServer server,
            Listener listener, Dialer dialer, Opened opened, Ledger ledger) throws IOException {
        this.ledger = ledger;
        this.dataDir = dataDir;
        this.mode = mode;
        this.udpDht = udpDht;
        this.bridged = bridged;
        this.dht = udpDht != null ? udpDht : bridged;
        this.blobs = blobs;
        this.staticKey = staticKey;
        this.server = server;
        this.listener = listener;
        this.listenAddress = listener.localAddress();
        this.channelSeqs = new ChannelSeqs(dataDir);
        this.localAddresses = listenAddress.getAddress().isAnyLocalAddress() ? interfaceAddresses() : java.util.Set.of();
        this.extras = List.copyOf(opened.closeables);
        this.bridgeServers = List.copyOf(opened.bridgeServers);
        this.samSession = opened.samSession;
        this.tor = opened.tor;
        this.bridgeListener = opened.bridgeListener;
        this.bridgeSamSession = opened.bridgeSamSession;
        boolean direct = mode instanceof NetworkMode.Direct;
        // behind a proxy a fresh static key per outgoing connection, and no listen port in MSG_HELLO:
        // neither may link our sessions across circuits (PROTOCOL_FINAL.md 5.5)
        this.downloader = direct ? new BlobDownloader(blobs, this::peersFor, dialer, staticKey, listenAddress.getPort())
                : new BlobDownloader(blobs, this::peersFor, dialer, staticKey, X25519::generate, 0);
        if (ledger != null) downloader.useLedger(ledger);
        if (mode instanceof NetworkMode.Socks5 s && s.credentials() == null) {
            // Tor isolates streams by SOCKS credentials: one circuit group per channel (5.2's scheme, group = channel key hex)
            downloader.isolateConnectionsBy(group -> Socks5Dialer.withCredentials(s.proxy(), peer -> Socks5Credentials.isolating(group)));
        }
    }

    /** What start() opened besides the node's own parts, so a failure closes them. */
    private static final class Opened {
        final List<AutoCloseable> closeables = new ArrayList<>();
        final List<BlobServer> bridgeServers = new ArrayList<>();
        SamSession samSession;
        TorControl tor;
        Listener bridgeListener;
        SamSession bridgeSamSession;

        void closeAll() {
            for (int i = closeables.size() - 1; i >= 0; i--) {
                try {
                    closeables.get(i).close();
                } catch (Exception e) {
                    // closing after a failed start: the first error is what the caller sees
                }
            }
        }
    }

    /** Opens the store, loads or makes the static key, starts the DHT node and the listener, and bootstraps. */
    public static Node start(Config config) throws IOException, InterruptedException {
        // a long-lived ledger key would link a safe-mode node's transfers over time (PROTOCOL_FINAL.md 8.8)
        return start(config, config.mode() instanceof NetworkMode.Direct ? LedgerMode.PERSISTENT : LedgerMode.OFF);
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
        Opened opened = new Opened();
        DhtNode udp = null;
        BridgedDht bridged = null;
        try {
            Dialer dialer;
            BridgeService bridge;
            int[] port = {0};
            boolean direct = config.mode() instanceof NetworkMode.Direct;
            switch (config.mode()) {
                case NetworkMode.Direct d -> {
                    udp = inUse("the DHT's UDP port", config.dhtBind(), "--dht-port",
                            () -> DhtNode.start(DhtNode.Config.of(config.dhtBind()).withStateDir(dir.resolve("dht"))));
                    opened.closeables.add(udp);
                    dialer = new TcpDialer();
                    // every node is a DHT bridge for peers without UDP (PROTOCOL_FINAL.md 7); its streams are plain TCP
                    bridge = new BridgeService(udp, true);
                }
                case NetworkMode.Socks5 s -> {
                    dialer = s.credentials() != null ? Socks5Dialer.withCredentials(s.proxy(), s.credentials()) : Socks5Dialer.isolatingPerPeer(s.proxy());
                    bridge = null;
                }
                case NetworkMode.I2p i -> {
                    opened.samSession = new SamBridge(i.sam()).createPersistentSession(samNickname("mt-node-"), dir.resolve(I2P_KEY_FILE),
                            i.samOptions(), SAM_SESSION_TIMEOUT);
                    opened.closeables.add(opened.samSession);
                    dialer = new SamDialer(opened.samSession);
                    bridge = null;
                }
            }
            if (!direct) {
                bridged = new BridgedDht(dialer, config.mode().bridges());
                opened.closeables.add(bridged);
            }
            BlobServer server = new BlobServer(blobs, () -> port[0], bridge);
            if (ledger != null) server.useLedger(ledger, UploadScheduler.byLedger(UPLOAD_SLOTS, ledger));
            Listener listener = inUse("the Noise listener's TCP port", config.listenBind(), "--listen-port",
                    () -> Listener.open(config.listenBind(), key, Connection.Timeouts.DEFAULT, server));
            opened.closeables.add(listener);
            if (direct) port[0] = listener.localAddress().getPort();
            if (opened.samSession != null) opened.samSession.startAccepting((channel, peer) -> listener.accept(channel));
            if (config.tor() != null) {
                opened.tor = TorControl.connect(config.tor().control(), config.tor().password(), TOR_CONTROL_TIMEOUT);
                opened.closeables.add(opened.tor);
                InetSocketAddress at = listener.localAddress();
                InetSocketAddress target = at.getAddress().isAnyLocalAddress() ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), at.getPort()) : at;
                opened.tor.addOnion(dir.resolve(ONION_KEY_FILE), ONION_PORT, target);
            }
            if (config.offer() != null) offerBridges(config, dir, key, udp, blobs, opened);
            Node node = new Node(dir, config.mode(), udp, bridged, blobs, key, server, listener, dialer, opened, ledger);
            if (udp != null && !config.bootstrap().isEmpty()) udp.bootstrap(config.bootstrap(), BOOTSTRAP_TIMEOUT);
            if (bridged != null) bridged.connectSoon();
            return node;
        } catch (IOException | RuntimeException | InterruptedException e) {
            opened.closeAll();
            if (ledger != null) ledger.close();
            throw e;
        }
    }

    interface Opening<T> {
        T open() throws IOException;
    }

    /** Opens a socket; a port in use is reported with the address and the option that chooses another (a second node on one machine). */
    private static <T> T inUse(String what, InetSocketAddress at, String option, Opening<T> opening) throws IOException {
        try {
            return opening.open();
        } catch (java.net.BindException e) {
            java.net.BindException named = new java.net.BindException(what + " " + at.getAddress().getHostAddress() + ":" + at.getPort()
                    + " cannot be opened (" + e.getMessage() + "): another program, or another node, has it; choose another with " + option
                    + " P, or " + option + " 0 for any free port");
            named.initCause(e);
            throw named;
        }
    }

    /** A hybrid node's extra bridge listeners: DHT queries only on TCP, DHT queries and peer exchange over I2P. */
    private static void offerBridges(Config config, Path dir, X25519.KeyPair key, DhtNode udp, LocalBlobs blobs, Opened opened) throws IOException {
        BridgeOffer offer = config.offer();
        if (offer.tcpPort() != null) {
            BlobServer dhtOnly = new BlobServer(id -> null, () -> 0, new BridgeService(udp, true));
            InetSocketAddress at = new InetSocketAddress(config.listenBind().getAddress(), offer.tcpPort());
            opened.bridgeListener = inUse("the bridge's TCP port", at, "--bridge-port", () -> Listener.open(at, key, Connection.Timeouts.DEFAULT, dhtOnly));
            opened.closeables.add(opened.bridgeListener);
            opened.bridgeServers.add(dhtOnly);
        }
        if (offer.sam() != null) {
            // streams through SAM have no IP address of their own: their announce_peer is refused (7.2),
            // I2P holders travel by MSG_ANNOUNCE / MSG_FIND_PEERS instead (4.5.1)
            BlobServer overI2p = new BlobServer(blobs, () -> 0, new BridgeService(udp, false));
            Listener.Limits limits = new Listener.Limits(Listener.Limits.MAX_HANDSHAKES, Listener.Limits.MAX_CONNECTIONS, Listener.Limits.MAX_CONNECTIONS, false);
            Listener samListener = Listener.withoutSocket(key, Connection.Timeouts.DEFAULT, limits, overI2p);
            opened.closeables.add(samListener);
            opened.bridgeSamSession = new SamBridge(offer.sam()).createPersistentSession(samNickname("mt-bridge-"), dir.resolve(I2P_KEY_FILE),
                    offer.samOptions(), SAM_SESSION_TIMEOUT);
            opened.closeables.add(opened.bridgeSamSession);
            opened.bridgeSamSession.startAccepting((channel, peer) -> samListener.accept(channel));
            opened.bridgeServers.add(overI2p);
        }
    }

    /** SAM nicknames are per router: a random suffix keeps nodes on one router apart. */
    private static String samNickname(String prefix) {
        byte[] r = new byte[6];
        new java.security.SecureRandom().nextBytes(r);
        return prefix + io.megatorrent.codec.Hex.encode(r);
    }

    /** How this node reaches the network. */
    public NetworkMode mode() {
        return mode;
    }

    /** Whether this node holds a UDP socket (direct mode only). */
    public boolean hasUdpSocket() {
        return udpDht != null;
    }

    /** The UDP DHT node's address, or null in a safe mode (there is none). */
    public InetSocketAddress udpAddress() {
        return udpDht == null ? null : udpDht.localAddress();
    }

    /** The DHT id this node uses: its UDP node's, or its bridged client's (fresh each run, never persisted). */
    public io.megatorrent.dht.NodeId dhtId() {
        return udpDht != null ? udpDht.id() : bridged.client().id();
    }

    /** DHT nodes known: the routing table's size, or in a safe mode 1 while a bridge connection is open. */
    public int dhtNodes() {
        return udpDht != null ? udpDht.routingTableSize() : bridged.connected() ? 1 : 0;
    }

    /** Joins the DHT through {@code nodes} (direct mode); a safe-mode node ignores them: it reaches the DHT only through its bridges. */
    public void bootstrap(List<InetSocketAddress> nodes) throws InterruptedException {
        bootstrap(nodes, false);
    }

    /**
     * Joins the DHT (a direct node only; a safe-mode node reaches it through its bridges): the
     * given nodes, else the saved routing table, else, with {@code defaultRouters}, the public
     * routers, resolved only then ({@link io.megatorrent.dht.Bootstrap}; never for a loopback node).
     */
    public void bootstrap(List<InetSocketAddress> nodes, boolean defaultRouters) throws InterruptedException {
        if (udpDht == null) return;
        io.megatorrent.dht.Bootstrap.join(udpDht, nodes, defaultRouters, io.megatorrent.dht.Bootstrap.SYSTEM, BOOTSTRAP_TIMEOUT);
    }

    /** The TCP port of the DHT-only bridge listener of a hybrid node, or null. */
    public Integer bridgePort() {
        if (bridgeListener == null) return null;
        try {
            return bridgeListener.localAddress().getPort();
        } catch (IOException e) {
            return null;
        }
    }

    /** The name.b32.i2p of this node's I2P destination (with --sam, or a hybrid's --bridge-sam), or null. */
    public String i2pAddress() {
        SamSession s = samSession != null ? samSession : bridgeSamSession;
        return s == null ? null : s.b32Address();
    }

    /** This node's onion address ({@code <56 base32>.onion}, reached on port {@link #ONION_PORT}), or null. */
    public String onionAddress() {
        return tor == null ? null : tor.serviceId() + ".onion";
    }

    /** The node's blob servers besides its own listener's (hybrid bridges), for the services the daemon wires in. */
    public List<BlobServer> bridgeServers() {
        return bridgeServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The DHT as this node reaches it: over UDP, or through a bridge in a safe mode. */
    public DhtOperations dht() {
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
    /** Holders named to us (DHT, peer exchange) that were left out for their address scope: for status. */
    public final java.util.concurrent.atomic.AtomicLong peersOutOfScope = new java.util.concurrent.atomic.AtomicLong();

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
        if (bridged != null) {
            for (Message.PeerEntry e : bridged.findPeers(BlobKeys.shortId(blobId))) {
                InetSocketAddress a = socketAddress(e.address());
                if (a != null) found.add(a);
            }
        }
        BlobDownloader.PeerFinder more = morePeers;
        if (more != null) found.addAll(more.peersFor(blobId));
        List<InetSocketAddress> peers = new ArrayList<>();
        for (InetSocketAddress p : found) {
            if (peers.size() == MAX_PEERS_PER_LOOKUP) break;
            if (!p.isUnresolved() && !PeerScope.dialable(p, listenAddress.getAddress())) {
                peersOutOfScope.incrementAndGet();
                continue;
            }
            if (p.isUnresolved() ? reachableHidden(p) : mode.reachesIp() && !isSelf(p)) peers.add(p);
        }
        return peers;
    }

    /** A peer entry as an address the downloader dials: an IP literal, or an unresolved .onion/.i2p name (never looked up). */
    static InetSocketAddress socketAddress(PeerAddress a) {
        byte[] ip = a.ipAddress();
        if (ip != null) {
            try {
                return a.port() == 0 ? null : new InetSocketAddress(java.net.InetAddress.getByAddress(ip), a.port());
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }
        return a.isOnion() || a.isI2p() ? InetSocketAddress.createUnresolved(a.host(), a.port()) : null;
    }

    /** A hidden-service holder this node's mode can dial, and not this node itself. */
    private boolean reachableHidden(InetSocketAddress p) {
        PeerAddress a = new PeerAddress(p.getHostString(), p.getPort());
        if (a.host().equalsIgnoreCase(i2pAddress()) || a.host().equalsIgnoreCase(onionAddress())) return false;
        return (mode instanceof NetworkMode.I2p && a.isI2p()) || (mode instanceof NetworkMode.Socks5 && a.isOnion() && a.port() != 0);
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
        // A bridge stores the address a stream comes from: behind a proxy that is the proxy's
        // exit (or a loopback relay), no address of ours, so a safe-mode node does not announce
        // in the DHT (PROTOCOL_FINAL.md 5.5).
        if (udpDht == null) {
            // a node with an address of its own behind the proxy (.i2p, .onion) tells its bridge instead (4.5.1, 5.5)
            PeerAddress own = samSession != null ? new PeerAddress(samSession.b32Address(), 0)
                    : tor != null ? new PeerAddress(onionAddress(), ONION_PORT) : null;
            if (own != null && !ids.isEmpty()) {
                List<byte[]> shortIds = new ArrayList<>();
                for (String id : ids) shortIds.add(BlobKeys.shortId(id));
                if (bridged.announceHidden(new Message.PeerEntry(own, staticKey.publicKey()), shortIds))
                    return new AnnounceResult(ids.size(), ids.size(), ids.size(), List.of());
            }
            return new AnnounceResult(ids.size(), 0, 0, ids);
        }
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
        for (int i = extras.size() - 1; i >= 0; i--) {
            try {
                extras.get(i).close();
            } catch (Exception e) {
                // closing: the socket or session is gone either way
            }
        }
        if (ledger != null) {
            try {
                ledger.close();
            } catch (IOException e) {
                // every block was forced to disk when appended: nothing is lost
            }
        }
    }
}
