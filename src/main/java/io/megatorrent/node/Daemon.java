package io.megatorrent.node;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.ChannelUriException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ItemName;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestResolver;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.Bep44;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The node as a long-running program ({@code megatorrent serve}): one {@link Node} plus the
 * channels it publishes and follows, kept in the data folder ({@link DaemonState}) and taken up
 * again after a restart. It follows a channel by looking its pointer up in the DHT (and every
 * {@link Config#pollInterval}, jittered) or by hearing a newer sequence from a connected peer
 * in MSG_HELLO and fetching the signed pointer over that connection (MSG_GET_POINTER), then
 * downloads what the manifest lists; it seeds what it holds (blob announces, pointer re-puts);
 * it answers peers' MSG_GET_POINTER, MSG_FIND_PEERS and, as a gateway, MSG_PUBLISH. Every
 * method of the local API is a method here; the HTTP face only translates.
 */
public final class Daemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Daemon.class.getName());
    /** Once per process: the demo runs several daemons in one JVM, and the JIT's work is shared. */
    private static final java.util.concurrent.atomic.AtomicBoolean HANDSHAKE_WARMED_UP = new java.util.concurrent.atomic.AtomicBoolean();

    /** How often a followed channel's pointer is looked up in the DHT, by default (jittered by 20%). */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMinutes(5);
    /** Pointers are put again this often (jittered by 20%): common DHT nodes drop BEP 44 items after about two hours. */
    public static final Duration REPUT_INTERVAL = Duration.ofMinutes(60);
    /** The first re-put after start, and the retry when a pointer was stored nowhere (no DHT node known yet). */
    static final Duration FIRST_REPUT_DELAY = Duration.ofSeconds(5);
    static final Duration REPUT_RETRY = Duration.ofSeconds(30);
    /** How often idle connections hear MSG_HELLO (well inside the 5-minute idle timeout) and lost holders are dialled again. */
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(60);
    /** A subscription's byte budget unless the subscriber sets one: what a manifest may make us download. */
    public static final long DEFAULT_MAX_SIZE = 64L << 30;
    /** Files a folder publish takes at most: each is a manifest item. */
    public static final int MAX_FILES_PER_PUBLISH = 10_000;
    /** A failed sync is tried again after this, doubling up to {@link #MAX_RETRY}. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(3);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);
    /** Holders remembered per followed channel, to keep one connection open for gossip. */
    static final int MAX_HOLDERS = 16;

    /**
     * pollInterval null: no DHT polling (the pointer is still looked up at subscribe and start,
     * and gossip still brings updates); gateway: accept MSG_PUBLISH from peers.
     */
    public record Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap,
            boolean gateway, Duration pollInterval, Duration keepAliveInterval, NetworkMode mode, Node.BridgeOffer offer, Node.TorService tor,
            long downloadRate, boolean defaultRouters) {
        public Config {
            bootstrap = List.copyOf(bootstrap);
            if (keepAliveInterval == null) keepAliveInterval = DEFAULT_KEEPALIVE_INTERVAL;
            if (mode == null) mode = NetworkMode.DIRECT;
            if (downloadRate < 0) throw new IllegalArgumentException("negative download rate");
        }

        /** A direct node (UDP DHT, plain TCP). */
        public Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap,
                boolean gateway, Duration pollInterval, Duration keepAliveInterval) {
            this(dataDir, dhtBind, listenBind, bootstrap, gateway, pollInterval, keepAliveInterval, NetworkMode.DIRECT, null, null, 0, false);
        }

        public Config(Path dataDir, InetSocketAddress dhtBind, InetSocketAddress listenBind, List<InetSocketAddress> bootstrap,
                boolean gateway, Duration pollInterval, Duration keepAliveInterval, NetworkMode mode, Node.BridgeOffer offer, Node.TorService tor) {
            this(dataDir, dhtBind, listenBind, bootstrap, gateway, pollInterval, keepAliveInterval, mode, offer, tor, 0, false);
        }
    }

    private final Config config;
    private final Path dir;
    private final DataDirLock lock;
    private final Node node;
    private final DaemonState state;
    private final PeerBook peerBook = new PeerBook();
    private final ConcurrentHashMap<String, Follow> follows = new ConcurrentHashMap<>();
    /** Pointers accepted as a gateway, by channel key hex, so MSG_GET_POINTER can answer them (bounded). */
    private final Map<String, SignedPointer> gatewayPointers = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SignedPointer> eldest) {
            return size() > DaemonState.MAX_CHANNELS;
        }
    });
    /** The listen port each inbound peer gave in its MSG_HELLO, so its announces name a dialable address. */
    private final ConcurrentHashMap<Connection, Integer> inboundListenPorts = new ConcurrentHashMap<>();
    private final ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor();
    private final Object publishLock = new Object();
    /** Publishes asked for and not finished yet, for the progress `status` reports (one runs at a time, the others wait). */
    private final Map<Path, PublishJob> publishing = new java.util.concurrent.ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final long startedAt = System.currentTimeMillis();
    private volatile boolean closed;
    private final List<Thread> loops = new ArrayList<>();

    /** Counters the API reports. */
    final AtomicLong pointersByGossip = new AtomicLong();
    final AtomicLong pointersByDht = new AtomicLong();
    final AtomicLong syncsCompleted = new AtomicLong();
    final AtomicLong gatewayAccepted = new AtomicLong();
    final AtomicLong gatewayRefused = new AtomicLong();
    final AtomicLong pointerReputs = new AtomicLong();

    private Daemon(Config config, DataDirLock lock, Node node, DaemonState state) {
        this.config = config;
        this.dir = node.dataDir();
        this.lock = lock;
        this.node = node;
        this.state = state;
    }

    /**
     * Takes the data folder's lock, loads the state and opens the node's sockets (DHT, listener)
     * without joining the DHT yet: {@link #start} does that, once the caller has published how to
     * reach the API.
     *
     * @throws IOException when another process serves the folder, or a socket cannot be opened
     */
    public static Daemon open(Config config) throws IOException, InterruptedException {
        Path dir = config.dataDir().toAbsolutePath();
        DataDirLock lock = DataDirLock.tryAcquire(dir);
        if (lock == null) throw new IOException("another megatorrent node is serving " + dir + " (it holds " + dir.resolve(DataDirLock.FILE) + ")");
        Node node = null;
        try {
            DaemonState state = DaemonState.load(dir);
            node = Node.start(new Node.Config(dir, config.dhtBind(), config.listenBind(), List.of(), config.mode(), config.offer(), config.tor()));
            Daemon d = new Daemon(config, lock, node, state);
            d.wire();
            return d;
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (node != null) node.close();
            lock.close();
            throw e;
        }
    }

    private void wire() {
        for (DaemonState.Subscription s : state.subscriptions()) follows.put(s.keyHex(), new Follow(s));
        Services services = new Services();
        node.server().setServices(services);
        for (BlobServer b : node.bridgeServers()) b.setServices(services);
        node.downloader().setGossip(new Gossip());
        // the links keepAliveLoop holds to a holder of each followed channel carry its gossip: never closed as idle
        node.downloader().keepLinksTo(peer -> follows.values().stream().anyMatch(f -> !f.removed && f.holders.contains(peer)));
        node.downloader().setRateLimit(config.downloadRate());
        node.setMorePeers(this::knownHolders);
    }

    /** Joins the DHT, takes up every subscription where it stood and starts seeding, polling and gossip keep-alives. */
    public void start() throws InterruptedException {
        if (node.mode() instanceof NetworkMode.Direct && HANDSHAKE_WARMED_UP.compareAndSet(false, true)) {
            // the first peer is met warm (a cold process took ~0.8 s over its first handshake);
            // behind a proxy that first connection takes longer than the warm-up would save
            tasks.submit(() -> {
                try {
                    LOG.log(Level.DEBUG, "handshake warm-up done in {0} ms", io.megatorrent.transport.Connection.warmUp().toMillis());
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "handshake warm-up failed: {0}", e.getMessage());
                }
                return null;
            });
        }
        // the given nodes, else the saved routing table, else the public routers (never for a loopback node)
        node.bootstrap(config.bootstrap(), config.defaultRouters());
        node.startReannouncing(Node.REANNOUNCE_INTERVAL);
        for (Follow f : follows.values()) requestSync(f, f.sub.pending()); // a download cut short resumes from its own item
        loops.add(Thread.ofVirtual().name("daemon-tick").start(this::tickLoop));
        loops.add(Thread.ofVirtual().name("daemon-keepalive").start(this::keepAliveLoop));
        loops.add(Thread.ofVirtual().name("daemon-reput").start(this::reputLoop));
        tasks.submit(() -> {
            // held blobs become findable at once after a restart, not only at the next re-announce
            List<String> held = node.blobs().ids();
            if (!held.isEmpty()) node.announce(held);
            return null;
        });
    }

    public Node node() {
        return node;
    }

    // ------------------------------------------------------------------ publish

    /**
     * Publishes {@code path} (a file, or a folder whose files become the items) as the collection
     * named after it in the channel of {@code keyFile} (default {@code DIR/identity.json}, made
     * when missing), keeping the channel's other collections, at the sequence one above the last.
     * Returns once the blobs are announced and the pointer is stored.
     */
    public JsonObject publish(Path path, Path keyFile) throws ApiException, InterruptedException {
        return publish(path, keyFile, null);
    }

    /**
     * As {@link #publish(Path, Path)}; with {@code gateway} the pointer goes to that peer as
     * MSG_PUBLISH (for an author who cannot reach the DHT), after MSG_ANNOUNCE of the blobs so
     * the gateway can name this node to subscribers.
     */
    public JsonObject publish(Path path, Path keyFile, io.megatorrent.transport.PeerTarget gateway) throws ApiException, InterruptedException {
        Path source = path.toAbsolutePath().normalize();
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) throw new ApiException(ApiException.INVALID_PARAMS, "no such file or folder: " + source);
        Path kf = keyFile != null ? keyFile.toAbsolutePath() : dir.resolve(ChannelIdentity.DEFAULT_FILE_NAME);
        PublishJob job = new PublishJob(source, sizeOf(source));
        if (publishing.putIfAbsent(source, job) != null) throw new ApiException(ApiException.UNAVAILABLE, source + " is being published already: try again when that publish has returned");
        try {
            return publish(source, kf, keyFile == null, gateway, job);
        } finally {
            publishing.remove(source, job);
        }
    }

    /** Where one publish stands: its step and the bytes ingested so far, for progress lines. */
    private static final class PublishJob {
        final Path source;
        final long bytes;
        final AtomicLong ingested = new AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger filesKept = new java.util.concurrent.atomic.AtomicInteger();
        volatile String step = "waiting for another publish";

        PublishJob(Path source, long bytes) {
            this.source = source;
            this.bytes = bytes;
        }

        JsonObject toJson() {
            return JsonObject.builder().put("path", source.toString()).put("step", step).put("bytes", bytes).put("bytesIngested", ingested.get()).build();
        }
    }

    /** The bytes of the regular files at or under {@code source}, for the progress total; 0 when it cannot be read. */
    private static long sizeOf(Path source) {
        try (Stream<Path> walk = Files.walk(source)) {
            return walk.limit(MAX_FILES_PER_PUBLISH + 1L).filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private JsonObject publish(Path source, Path kf, boolean defaultKey, io.megatorrent.transport.PeerTarget gateway, PublishJob job)
            throws ApiException, InterruptedException {
        synchronized (publishLock) {
            job.step = "ingesting";
            try {
                boolean created = false;
                if (defaultKey && !Files.exists(kf)) {
                    ChannelIdentity.generate(false, random).save(kf, false);
                    created = true;
                }
                ChannelIdentity identity;
                try {
                    identity = ChannelIdentity.load(kf);
                } catch (IOException e) {
                    throw new ApiException(ApiException.INVALID_PARAMS, "cannot read the channel identity " + kf + ": " + e.getMessage());
                }
                String hex = Hex.encode(identity.publicKey());
                DaemonState.Publication previous = state.publication(hex);
                List<ManifestCollection> collections = new ArrayList<>();
                if (previous != null) collections.addAll(ownCollections(previous, identity));
                Publisher publisher = new Publisher(node, identity);
                String name = source.getFileName().toString();
                Map<String, FileEntry> before = new java.util.HashMap<>();
                for (ManifestCollection c : collections) {
                    if (c.name().equals(name)) for (FileEntry e : c.items()) before.put(e.name(), e);
                }
                ManifestCollection added = new ManifestCollection(name, ingest(publisher, source, before, job));
                collections.removeIf(c -> c.name().equals(name));
                collections.add(added);
                long seq = nextSeq(identity.publicKey(), previous);
                Publisher.Published published;
                job.step = gateway == null ? "storing the pointer in the DHT" : "handing the pointer to the gateway";
                if (gateway == null) {
                    published = publisher.publish(collections, seq);
                } else {
                    io.megatorrent.content.ManifestPublisher.Publication prepared = publisher.prepare(collections, seq);
                    try (BlobFetcher g = node.downloader().dial(gateway)) {
                        List<String> ids = Publisher.blobsOf(prepared, collections);
                        for (int i = 0; i < ids.size(); i += Message.MAX_ANNOUNCE_IDS) {
                            List<byte[]> shortIds = new ArrayList<>();
                            for (String id : ids.subList(i, Math.min(ids.size(), i + Message.MAX_ANNOUNCE_IDS))) shortIds.add(BlobKeys.shortId(id));
                            g.send(new Message.Announce(shortIds));
                        }
                        SignedPointer item = prepared.item();
                        g.publish(item.publicKey(), item.seq(), SignedPointer.SALT, item.signature(), item.value());
                    }
                    published = new Publisher.Published(prepared, 1);
                }
                List<String> blobs = Publisher.blobsOf(published.publication(), collections);
                job.step = "announcing " + blobs.size() + " blobs";
                Node.AnnounceResult announced = node.announce(blobs);
                state.put(new DaemonState.Publication(identity.publicKey(), kf, seq, published.item()));
                node.channelSeqs().accept(identity.publicKey(), seq);
                seqsChanged();
                long bytes = added.items().stream().mapToLong(FileEntry::size).sum();
                ChannelUri uri = identity.isPrivate() ? identity.privateUri() : identity.uri();
                return JsonObject.builder().put("uri", uri.format()).put("publicKey", hex).put("seq", seq).put("collection", name)
                        .put("files", added.items().size()).put("filesUnchanged", job.filesKept.get()).put("bytes", bytes).put("blobs", blobs.size())
                        .put("blobsAnnounced", announced.announced()).put("pointerStoredAt", published.storedAt())
                        .put("identityCreated", created).put("keyFile", kf.toString())
                        .put("via", gateway == null ? "dht" : "gateway " + gateway).build();
            } catch (ManifestException e) {
                throw new ApiException(ApiException.INVALID_PARAMS, "cannot publish " + source + ": " + e.getMessage());
            } catch (IOException e) {
                throw new ApiException(ApiException.FAILED, "publishing " + source + " failed: " + e.getMessage());
            }
        }
    }

    /** The next sequence: one above the highest this node published, accepted or sees in the DHT. */
    private long nextSeq(byte[] publicKey, DaemonState.Publication previous) throws IOException, InterruptedException {
        long last = Math.max(previous == null ? -1 : previous.seq(), node.channelSeqs().last(publicKey));
        Optional<DhtNode.Item> inDht = node.dht().getMutable(publicKey, SignedPointer.SALT, Duration.ofSeconds(5));
        if (inDht.isPresent()) last = Math.max(last, inDht.get().seq());
        return last + 1;
    }

    private List<ManifestCollection> ownCollections(DaemonState.Publication p, ChannelIdentity identity) throws IOException, ManifestException {
        ChannelUri uri = identity.isPrivate() ? identity.privateUri() : identity.uri();
        ManifestResolver.Resolved r = ManifestResolver.resolve(uri, p.item(), -1, BlobManifestStore.local(node.blobs()));
        return r.collections();
    }

    /** The items of a file (one, named after it) or a folder (every regular file below it, by relative path, sorted). */
    private static List<FileEntry> ingest(Publisher publisher, Path source, Map<String, FileEntry> before, PublishJob progress)
            throws IOException, InterruptedException, ApiException {
        if (Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
            return List.of(ingestOrKeep(publisher, source, source.getFileName().toString(), before, progress));
        }
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) throw new ApiException(ApiException.INVALID_PARAMS, source + " is neither a file nor a folder");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source)) {
            files = walk.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).limit(MAX_FILES_PER_PUBLISH + 1L).sorted().toList();
        }
        if (files.isEmpty()) throw new ApiException(ApiException.INVALID_PARAMS, "folder " + source + " holds no files");
        if (files.size() > MAX_FILES_PER_PUBLISH) throw new ApiException(ApiException.INVALID_PARAMS, "folder " + source + " holds more than " + MAX_FILES_PER_PUBLISH + " files");
        List<FileEntry> entries = new ArrayList<>();
        for (Path f : files) {
            String name = source.relativize(f).toString().replace(java.io.File.separatorChar, ItemName.SEPARATOR);
            entries.add(ingestOrKeep(publisher, f, name, before, progress));
        }
        return entries;
    }

    /** The collection's previous entry for {@code name} when the file still holds those bytes, else a fresh ingest. */
    private static FileEntry ingestOrKeep(Publisher publisher, Path file, String name, Map<String, FileEntry> before, PublishJob progress)
            throws IOException, InterruptedException {
        FileEntry old = before.get(name);
        if (old != null && publisher.sameContent(file, old)) {
            progress.ingested.addAndGet(old.size());
            progress.filesKept.incrementAndGet();
            return old;
        }
        return publisher.ingest(file, name, progress.ingested::addAndGet);
    }

    // ------------------------------------------------------------------ subscriptions

    /**
     * Follows the channel of {@code uriText}: files go to {@code outDir} (default
     * {@code DIR/downloads/<public key hex>}) as {@code COLLECTION/ITEM}; a manifest listing more
     * than {@code maxSize} bytes (default {@link #DEFAULT_MAX_SIZE}) is reported, not fetched.
     * Following a channel already followed is not an error: its subscription is returned.
     */
    public JsonObject subscribe(String uriText, Path outDir, Long maxSize, String label) throws ApiException {
        ChannelUri uri;
        try {
            uri = ChannelUri.parse(uriText);
        } catch (ChannelUriException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "not a channel URI: " + e.getMessage());
        }
        if (maxSize != null && maxSize <= 0) throw new ApiException(ApiException.INVALID_PARAMS, "maxSize must be positive");
        String hex = Hex.encode(uri.publicKey());
        Follow existing = follows.get(hex);
        if (existing != null) return view(existing).put("alreadyFollowed", true).build();
        Path out = outDir != null ? outDir.toAbsolutePath().normalize() : dir.resolve("downloads").resolve(hex);
        DaemonState.Subscription s = new DaemonState.Subscription(uri, label == null ? "" : label, out,
                maxSize == null ? DEFAULT_MAX_SIZE : maxSize, -1, null, System.currentTimeMillis() / 1000, null, List.of());
        Follow f = new Follow(s);
        synchronized (follows) {
            if (follows.containsKey(hex)) return view(follows.get(hex)).put("alreadyFollowed", true).build();
            try {
                state.put(s);
            } catch (IOException e) {
                throw new ApiException(ApiException.FAILED, "cannot save the subscription: " + e.getMessage());
            }
            follows.put(hex, f);
        }
        if (!uri.bootstrap().isEmpty()) tasks.submit(() -> {
            bootstrapFrom(uri);
            return null;
        });
        requestSync(f, null);
        return view(f).put("alreadyFollowed", false).build();
    }

    /** Joins the DHT through the nodes a URI names too (direct mode only: names are resolved here; a safe mode ignores them). */
    private void bootstrapFrom(ChannelUri uri) throws InterruptedException {
        if (!node.hasUdpSocket()) return;
        List<InetSocketAddress> nodes = new ArrayList<>();
        for (ChannelUri.Bootstrap b : uri.bootstrap()) {
            InetSocketAddress a = new InetSocketAddress(b.host(), b.port());
            if (!a.isUnresolved()) nodes.add(a);
        }
        node.bootstrap(nodes);
    }

    /** One subscription, or NOT_FOUND. */
    public JsonObject subscription(String publicKeyHex) throws ApiException {
        return view(follow(publicKeyHex)).build();
    }

    private Follow follow(String publicKeyHex) throws ApiException {
        Follow f = publicKeyHex == null ? null : follows.get(publicKeyHex.toLowerCase(java.util.Locale.ROOT));
        if (f == null) throw new ApiException(ApiException.NOT_FOUND, "no subscription to channel " + publicKeyHex);
        return f;
    }

    public JsonArray subscriptions() {
        List<JsonValue> all = new ArrayList<>();
        for (Follow f : sortedFollows()) all.add(view(f).build());
        return new JsonArray(all);
    }

    /** Stops following a channel; with deleteFiles also removes its download folder. Its blobs stay until {@link #gc}. */
    public JsonObject unsubscribe(String publicKeyHex, boolean deleteFiles) throws ApiException {
        Follow f = follow(publicKeyHex);
        f.removed = true;
        Thread w = f.worker;
        if (w != null) w.interrupt();
        follows.remove(f.sub.keyHex(), f);
        try {
            state.remove(f.sub.keyHex());
        } catch (IOException e) {
            throw new ApiException(ApiException.FAILED, "cannot save the state: " + e.getMessage());
        }
        long deleted = 0;
        if (deleteFiles) {
            try {
                deleted = deleteTree(f.sub.outDir());
            } catch (IOException e) {
                throw new ApiException(ApiException.FAILED, "unsubscribed, but deleting " + f.sub.outDir() + " failed: " + e.getMessage());
            }
        }
        seqsChanged();
        return JsonObject.builder().put("publicKey", f.sub.keyHex()).put("unsubscribed", true).put("filesDeleted", deleted).build();
    }

    private static long deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return 0;
        long files = 0;
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) files++;
            Files.delete(p);
        }
        return files;
    }

    /** Per file of every subscription: size, bytes present, rate, peers, state. */
    public JsonArray downloads() {
        List<JsonValue> all = new ArrayList<>();
        for (Follow f : sortedFollows()) {
            for (FileProgress p : f.files) all.add(p.toJson(f.sub.keyHex()));
        }
        return new JsonArray(all);
    }

    private List<Follow> sortedFollows() {
        List<Follow> all = new ArrayList<>(follows.values());
        all.sort(Comparator.comparingLong((Follow f) -> f.sub.addedAt()).thenComparing(f -> f.sub.keyHex()));
        return all;
    }

    private JsonObject.Builder view(Follow f) {
        DaemonState.Subscription s = f.sub;
        long size = 0;
        long done = 0;
        long rate = 0;
        Set<InetSocketAddress> peers = new java.util.HashSet<>();
        for (FileProgress p : f.files) {
            size += p.size;
            done += p.bytesDone();
            if ("downloading".equals(p.state)) rate += p.rate();
            peers.addAll(p.peers);
        }
        JsonObject.Builder b = JsonObject.builder().put("publicKey", s.keyHex()).put("uri", s.uri().withoutReadKey().format())
                .put("private", s.uri().isPrivate()).put("label", s.label()).put("outDir", s.outDir().toString())
                .put("maxSize", s.maxSize()).put("lastSequence", s.seq()).put("targetSequence", f.targetSeq).put("status", f.status)
                .put("complete", f.complete).put("bytes", size).put("bytesDone", done).put("rate", rate).put("peers", peers.size())
                .put("files", f.files.size());
        String error = f.error;
        if (error != null) b.put("error", error);
        List<JsonValue> paths = new ArrayList<>();
        for (FileProgress p : f.files) paths.add(new JsonValue.JsonString(p.path.toString()));
        b.put("paths", new JsonArray(paths));
        return b;
    }

    // ------------------------------------------------------------------ status, blobs, gc

    public JsonObject status() {
        BlobDownloader d = node.downloader();
        BlobServer srv = node.server();
        JsonObject.Builder byPeer = JsonObject.builder();
        for (Map.Entry<InetSocketAddress, Long> e : d.blobsByPeer().entrySet()) byPeer.put(e.getKey().toString(), e.getValue());
        JsonObject.Builder status = JsonObject.builder().put("id", node.dhtId().toString());
        modeFields(status);
        return status
                .put("dhtPort", node.hasUdpSocket() ? node.udpAddress().getPort() : 0)
                .put("listenPort", node.listenAddress().getPort())
                .put("staticKey", Hex.encode(node.staticPublicKey()))
                .put("dataDir", dir.toString())
                .put("gateway", config.gateway())
                .put("dhtPolling", config.pollInterval() != null)
                .put("dhtNodes", node.dhtNodes())
                .put("peers", srv.openConnections() + d.openConnections())
                .put("inboundConnections", srv.openConnections())
                .put("outboundConnections", d.openConnections())
                .put("blobsHeld", node.blobs().count())
                .put("bytesHeld", (long) node.blobs().count() * io.megatorrent.content.Blob.BLOB_SIZE)
                .put("bytesUp", srv.bytesServed.get())
                .put("bytesDown", d.bytesFetched.get())
                .put("blobsServed", srv.blobsServed.get())
                .put("blobsFetched", d.blobsFetched.get())
                .put("blobsFetchedTwice", node.blobs().verifiedBlobsReceivedAgain.get())
                .put("corruptBlobsReceived", d.corruptBlobs.get())
                .put("peersBanned", d.peersBanned.get())
                .put("peersOutOfScope", node.peersOutOfScope.get())
                .put("dialsAttempted", d.dialsAttempted())
                .put("outboundConnectionsEvicted", d.connectionsEvicted())
                .put("mostOutboundConnections", d.mostConnectionsKept())
                .put("blobsByPeer", byPeer.build())
                .put("subscriptions", follows.size())
                .put("published", state.published().size())
                .put("pointersByGossip", pointersByGossip.get())
                .put("pointersByDht", pointersByDht.get())
                .put("syncsCompleted", syncsCompleted.get())
                .put("gatewayAccepted", gatewayAccepted.get())
                .put("gatewayRefused", gatewayRefused.get())
                .put("pointerReputs", pointerReputs.get())
                .put("reannounceRounds", node.reannounceRounds.get())
                .put("uptimeSeconds", (System.currentTimeMillis() - startedAt) / 1000)
                .put("publishing", publishingJson())
                .put("downloadRate", d.rateLimit())
                .build();
    }

    /**
     * Caps downloads at {@code bytesPerSecond} (0 lifts the cap) until the node stops or the cap
     * is set again, as BitTorrent clients let users throttle a running session; {@code --download-rate}
     * sets it at start. A stream's urgent range is not held back by it: the user is waiting for it.
     */
    public JsonObject setDownloadRate(long bytesPerSecond) throws ApiException {
        if (bytesPerSecond < 0) throw new ApiException(ApiException.INVALID_PARAMS, "'bytesPerSecond' must be 0 (no cap) or more");
        node.downloader().setRateLimit(bytesPerSecond);
        return JsonObject.builder().put("downloadRate", bytesPerSecond).build();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private JsonArray publishingJson() {
        List<JsonValue> jobs = new ArrayList<>();
        for (PublishJob job : publishing.values()) jobs.add(job.toJson());
        return new JsonArray(jobs);
    }

    /**
     * The mode fields of status: mode, the proxy or router in use, bridges, the onion or I2P
     * address, and whether a UDP socket is open (the process's own accounting, not the mode's claim).
     */
    private void modeFields(JsonObject.Builder b) {
        b.put("mode", node.mode().label()).put("udpSocketOpen", DhtNode.openUdpSockets() > 0);
        switch (node.mode()) {
            case NetworkMode.Direct x -> { }
            case NetworkMode.Socks5 x -> b.put("proxy", x.proxy().getAddress().getHostAddress() + ":" + x.proxy().getPort());
            case NetworkMode.I2p x -> b.put("samBridge", x.sam().getAddress().getHostAddress() + ":" + x.sam().getPort());
        }
        if (!node.mode().bridges().isEmpty()) {
            List<JsonValue> bridges = new ArrayList<>();
            for (io.megatorrent.transport.PeerTarget t : node.mode().bridges()) bridges.add(new JsonValue.JsonString(t.toString()));
            b.put("bridges", new JsonArray(bridges));
        }
        if (node.bridgePort() != null) b.put("bridgePort", node.bridgePort());
        if (node.i2pAddress() != null) b.put("i2p", node.i2pAddress());
        if (node.onionAddress() != null) b.put("onion", node.onionAddress() + ":" + Node.ONION_PORT);
    }

    /** Channels this node publishes, with their sequence and URI (the read key left out). */
    public JsonArray published() {
        List<JsonValue> all = new ArrayList<>();
        for (DaemonState.Publication p : state.published()) {
            all.add(JsonObject.builder().put("publicKey", p.keyHex()).put("uri", ChannelUri.publicChannel(p.publicKey()).format())
                    .put("seq", p.seq()).put("keyFile", p.keyFile().toString()).build());
        }
        return new JsonArray(all);
    }

    /** Blobs held: id, size, when stored (at most {@code limit}). */
    public JsonArray blobs(int limit) throws ApiException {
        List<JsonValue> all = new ArrayList<>();
        try {
            for (String id : node.blobs().store().list()) {
                if (all.size() >= limit) break;
                Path p = node.blobs().store().path(id);
                long added;
                try {
                    added = Files.getLastModifiedTime(p).toMillis() / 1000;
                } catch (IOException e) {
                    continue; // removed meanwhile
                }
                all.add(JsonObject.builder().put("blobId", id).put("size", (long) io.megatorrent.content.Blob.BLOB_SIZE).put("addedAt", added).build());
            }
        } catch (IOException e) {
            throw new ApiException(ApiException.FAILED, "cannot list the blob store: " + e.getMessage());
        }
        return new JsonArray(all);
    }

    /** Removes blobs that no published or followed channel's newest manifest references. */
    public JsonObject gc(boolean dryRun) throws ApiException {
        for (Follow f : follows.values()) {
            if (f.inProgress != null) throw new ApiException(ApiException.UNAVAILABLE, "channel " + f.sub.keyHex() + " is downloading; run gc again once it is done");
        }
        synchronized (publishLock) {
            try {
                return Garbage.collect(node.blobs(), state, dryRun).toJson(dryRun);
            } catch (IOException | ManifestException e) {
                throw new ApiException(ApiException.FAILED, "gc stopped, nothing removed after the error: " + e.getMessage());
            }
        }
    }

    /** The seeding-credit ledger (PROTOCOL_FINAL.md 8): balance, chain, peers' scores; NOT_FOUND when the node keeps none. */
    public JsonObject ledger() throws ApiException {
        if (node.ledger() == null) throw new ApiException(ApiException.NOT_FOUND, "this node keeps no ledger");
        return io.megatorrent.ledger.LedgerReport.of(node.ledger());
    }

    // ------------------------------------------------------------------ syncing a followed channel

    /** A followed channel while the node runs: its subscription plus what it is doing now. */
    private final class Follow {
        volatile DaemonState.Subscription sub;
        volatile String status = "waiting";
        volatile String error;
        volatile boolean complete;
        volatile long targetSeq;
        volatile boolean removed;
        volatile boolean running;
        volatile Thread worker;
        /** The item being downloaded, so gc keeps its blobs. */
        volatile SignedPointer inProgress;
        volatile long nextPollNanos;
        volatile long retryAtNanos;
        volatile long retryDelayNanos = FIRST_RETRY.toNanos();
        final Set<InetSocketAddress> holders = ConcurrentHashMap.newKeySet();
        final List<FileProgress> files = new CopyOnWriteArrayList<>();
        private SignedPointer hint;
        private boolean wanted;

        Follow(DaemonState.Subscription sub) {
            this.sub = sub;
            holders.addAll(sub.holders());
            this.targetSeq = sub.seq();
            this.complete = sub.seq() >= 0 && sub.item() != null;
            if (complete) status = "complete";
            scheduleNextPoll();
        }

        /** The newest sequence this node holds or is fetching now. */
        long knownSeq() {
            return Math.max(sub.seq(), targetSeq);
        }

        void scheduleNextPoll() {
            Duration p = config.pollInterval();
            if (p == null) return;
            double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
            nextPollNanos = System.nanoTime() + (long) (p.toNanos() * jitter);
        }

        /** Remembers a peer that holds this channel; kept in the state so a restart can dial it even when the DHT forgot it. */
        void addHolder(InetSocketAddress h) {
            if (h == null || holders.contains(h)) return;
            if (holders.size() >= MAX_HOLDERS) holders.remove(holders.iterator().next());
            holders.add(h);
            holdersChanged = true;
        }

        volatile boolean holdersChanged;
    }

    /** Changes a subscription and saves it, one change at a time per channel (sync and the holder bookkeeping both change it). */
    private DaemonState.Subscription update(Follow f, java.util.function.UnaryOperator<DaemonState.Subscription> change) throws IOException {
        synchronized (f) {
            if (f.removed) return f.sub;
            DaemonState.Subscription next = change.apply(f.sub);
            state.put(next);
            f.sub = next;
            return next;
        }
    }

    /** Asks for a sync of {@code f}, with the pointer a peer gave (or null: look it up); one sync per channel runs at a time. */
    private void requestSync(Follow f, SignedPointer hint) {
        if (hint == null) hint = f.sub.pending(); // a download cut short goes on with its own item, found or not in the DHT
        synchronized (f) {
            if (hint != null && (f.hint == null || hint.seq() > f.hint.seq())) f.hint = hint;
            f.wanted = true;
            if (f.running || closed || f.removed) return;
            f.running = true;
        }
        tasks.submit(() -> runSyncs(f));
    }

    private void runSyncs(Follow f) {
        f.worker = Thread.currentThread();
        try {
            while (!closed && !f.removed) {
                SignedPointer hint;
                synchronized (f) {
                    if (!f.wanted) {
                        f.running = false;
                        return;
                    }
                    f.wanted = false;
                    hint = f.hint;
                    f.hint = null;
                }
                // behind a proxy each channel's connections are its own (isolation group = channel, PROTOCOL_FINAL.md 5.5)
                try (BlobDownloader.Isolation channel = node.downloader().isolation(f.sub.keyHex())) {
                    sync(f, hint);
                    f.error = null;
                    f.retryDelayNanos = FIRST_RETRY.toNanos();
                    f.retryAtNanos = 0;
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | ManifestException | RuntimeException | OutOfMemoryError e) {
                    // an OutOfMemoryError here is this channel's allocation (a manifest's bytes):
                    // reported and retried like any failure, instead of ending the worker with
                    // the subscription left "fetching" and nothing said
                    if (closed || f.removed) return;
                    f.error = e instanceof OutOfMemoryError ? "out of memory while syncing this channel: " + e.getMessage() : e.getMessage();
                    f.status = f.complete ? "complete (update failed, will retry)" : "failed, will retry";
                    f.retryAtNanos = System.nanoTime() + f.retryDelayNanos;
                    f.retryDelayNanos = Math.min(f.retryDelayNanos * 2, MAX_RETRY.toNanos());
                    LOG.log(Level.INFO, "channel " + f.sub.keyHex() + ": " + e.getMessage());
                }
            }
        } finally {
            synchronized (f) {
                f.running = false;
            }
            f.worker = null;
        }
    }

    /** Brings {@code f} to the newest pointer: from the hint, or looked up in the DHT. */
    private void sync(Follow f, SignedPointer hint) throws IOException, InterruptedException, ManifestException {
        DaemonState.Subscription sub = f.sub;
        SignedPointer item = hint;
        long started = System.nanoTime();
        if (item == null) {
            if (!f.complete) f.status = "looking up";
            item = lookUp(sub.uri());
            LOG.log(Level.DEBUG, "channel {0}: DHT lookup of the pointer {1} after {2} ms", sub.keyHex(),
                    item == null ? "found nothing" : "found sequence " + item.seq(), millisSince(started));
            if (item == null) {
                if (f.complete) return; // nothing newer in the DHT
                throw new IOException("no pointer for this channel in the DHT yet");
            }
        }
        if (item.seq() < sub.seq() || (item.seq() == sub.seq() && f.complete && filesPresent(f))) {
            if (f.complete) f.status = "complete";
            return;
        }
        f.targetSeq = item.seq();
        f.status = "fetching manifest";
        Set<String> heldBefore = new java.util.HashSet<>(node.blobs().ids());
        f.inProgress = item;
        try {
            Subscriber subscriber = new Subscriber(node);
            ManifestResolver.Resolved r = subscriber.resolve(sub.uri(), item);
            if (!r.readable()) throw new ManifestException("encrypted", "this is a private channel and the URI has no read key");
            LOG.log(Level.DEBUG, "channel {0}: manifest of sequence {1} resolved after {2} ms", sub.keyHex(), item.seq(), millisSince(started));
            List<ManifestCollection> collections = r.collections();
            long total = 0;
            List<FileProgress> plan = new ArrayList<>();
            for (ManifestCollection c : collections) {
                for (FileEntry e : c.items()) {
                    total += e.size();
                    plan.add(new FileProgress(c.name(), e, ItemName.resolveUnder(sub.outDir(), c.name(), e.name())));
                }
            }
            if (total > sub.maxSize()) {
                f.status = "too large";
                throw new ManifestException("size", "sequence " + item.seq() + " lists " + total + " bytes, over this subscription's budget of "
                        + sub.maxSize() + " bytes (raise it with --max-size)");
            }
            keepUnchanged(sub, plan);
            f.files.clear();
            f.files.addAll(plan);
            f.status = "downloading";
            if (sub.pending() == null || sub.pending().seq() != item.seq()) {
                SignedPointer downloading = item;
                sub = update(f, x -> x.downloading(downloading));
            }
            downloadAll(f, plan);
            // A subscriber that completes is a holder others can find: the blobs others look up
            // (the manifest's and each file's first, see filePeers) are announced before
            // "complete", the rest right after. Blobs held before this sync were announced then.
            Set<String> fresh = new java.util.HashSet<>(Garbage.referenced(item, sub.uri(), BlobManifestStore.local(node.blobs())));
            fresh.removeAll(heldBefore);
            Set<String> first = Garbage.manifestBlobs(item, sub.uri(), BlobManifestStore.local(node.blobs()));
            for (FileProgress p : plan) {
                if (!p.entry.blobIds().isEmpty()) first.add(p.entry.blobIds().get(0));
            }
            first.retainAll(fresh);
            node.announce(first);
            fresh.removeAll(first);
            SignedPointer completed = item;
            update(f, x -> x.completed(completed));
            f.complete = true;
            f.status = "complete";
            syncsCompleted.incrementAndGet();
            LOG.log(Level.DEBUG, "channel {0}: sequence {1} complete after {2} ms", sub.keyHex(), item.seq(), millisSince(started));
            seqsChanged();
            if (!fresh.isEmpty()) tasks.submit(() -> node.announce(fresh));
        } finally {
            f.inProgress = null;
        }
    }

    /**
     * Marks complete the files of {@code plan} that the last completed sequence wrote at the same
     * path with the same content (size and blob ids) and that are still there at that size: an
     * update that adds one file to a large channel writes that file, not the channel again.
     */
    private void keepUnchanged(DaemonState.Subscription sub, List<FileProgress> plan) {
        if (sub.item() == null) return;
        Map<Path, FileEntry> before = new java.util.HashMap<>();
        try {
            ManifestResolver.Resolved r = ManifestResolver.resolve(sub.uri(), sub.item(), -1, BlobManifestStore.local(node.blobs()));
            if (!r.readable()) return;
            for (ManifestCollection c : r.collections()) {
                for (FileEntry e : c.items()) before.put(ItemName.resolveUnder(sub.outDir(), c.name(), e.name()), e);
            }
        } catch (IOException | ManifestException e) {
            return; // the old manifest is not held: every file is checked by downloading as before
        }
        for (FileProgress p : plan) {
            FileEntry old = before.get(p.path);
            if (old == null || old.size() != p.entry.size() || !old.blobIds().equals(p.entry.blobIds())) continue;
            try {
                if (!Files.isRegularFile(p.path, LinkOption.NOFOLLOW_LINKS) || Files.size(p.path) != p.entry.size()) continue;
            } catch (IOException e) {
                continue;
            }
            p.present.set(p.entry.blobIds().size());
            p.state = "complete";
        }
    }

    private boolean filesPresent(Follow f) {
        for (FileProgress p : f.files) {
            if (!Files.isRegularFile(p.path)) return false;
        }
        return true;
    }

    /** The channel's newest pointer: the DHT's item, and any newer one a connected holder has. */
    private SignedPointer lookUp(ChannelUri uri) throws InterruptedException {
        Optional<DhtNode.Item> found = node.dht().getMutable(uri.publicKey(), SignedPointer.SALT, Node.LOOKUP_TIMEOUT);
        if (found.isEmpty()) return null;
        DhtNode.Item i = found.get();
        pointersByDht.incrementAndGet();
        return new SignedPointer(i.publicKey(), i.seq(), Bencode.encode(i.value()), i.signature());
    }

    /** Fetches every file's blobs (a few files at once) and writes each file into place, verified. */
    private void downloadAll(Follow f, List<FileProgress> plan) throws IOException, InterruptedException {
        AtomicInteger next = new AtomicInteger();
        int workers = Math.min(Subscriber.MAX_CONCURRENT_FILES, plan.size());
        List<Future<?>> running = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int k = 0; k < workers; k++) {
                running.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < plan.size(); i = next.getAndIncrement()) {
                        if (f.removed || closed) throw new InterruptedException();
                        if ("complete".equals(plan.get(i).state)) continue; // unchanged since the last sequence
                        downloadFile(f, plan.get(i));
                    }
                    return null;
                }));
            }
            for (Future<?> t : running) {
                try {
                    t.get();
                } catch (ExecutionException e) {
                    next.set(plan.size());
                    pool.shutdownNow();
                    if (e.getCause() instanceof IOException io) throw io;
                    if (e.getCause() instanceof InterruptedException ie) throw ie;
                    throw new IOException(e.getCause());
                }
            }
        }
    }

    private void downloadFile(Follow f, FileProgress p) throws IOException, InterruptedException {
        p.state = "downloading";
        p.startNanos = System.nanoTime();
        BlobDownloader.BlobListener listener = (blobId, from) -> {
            p.present.incrementAndGet();
            if (from != null) {
                p.fetched.incrementAndGet();
                p.peers.add(from);
                f.addHolder(from);
            }
        };
        try {
            Files.createDirectories(p.path.getParent());
            BlobDownloader.PeerFinder peers = filePeers(f, p);
            WriteWhileFetching.run(l -> node.downloader().download(p.entry.blobIds(), l, peers), node.blobs().store(), p.entry, p.path, true, listener);
            p.state = "complete";
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.state = "failed";
            throw e;
        } finally {
            p.endNanos = System.nanoTime();
        }
    }

    /**
     * Who holds the blobs of one file: holders usually hold whole files, so one DHT lookup (on
     * the file's first blob) plus the channel's known holders serve every blob; a blob that
     * none of them has gets a lookup of its own. Saves a DHT lookup per blob.
     */
    private BlobDownloader.PeerFinder filePeers(Follow f, FileProgress p) {
        List<InetSocketAddress> shared = new CopyOnWriteArrayList<>();
        java.util.concurrent.locks.ReentrantLock first = new java.util.concurrent.locks.ReentrantLock();
        java.util.concurrent.atomic.AtomicBoolean looked = new java.util.concurrent.atomic.AtomicBoolean();
        Set<String> askedAlone = ConcurrentHashMap.newKeySet();
        return blobId -> {
            if (!looked.get()) {
                first.lockInterruptibly(); // the file's other blobs wait for the one lookup
                try {
                    if (!looked.get()) {
                        long started = System.nanoTime();
                        shared.addAll(node.peersFor(p.entry.blobIds().get(0)));
                        LOG.log(Level.DEBUG, "{0}: {1} holders found in the DHT after {2} ms", p.path.getFileName(), shared.size(), millisSince(started));
                    }
                    looked.set(true);
                } finally {
                    first.unlock();
                }
            }
            LinkedHashSet<InetSocketAddress> peers = new LinkedHashSet<>(shared);
            peers.addAll(f.holders);
            peers.addAll(peerBook.get(BlobKeys.shortId(blobId), Message.MAX_PEERS));
            if (peers.isEmpty() || !askedAlone.add(blobId)) {
                // nobody known, or this blob failed with everybody known: its own lookup
                peers.addAll(node.peersFor(blobId));
            }
            return new ArrayList<>(peers);
        };
    }

    /** One file of a subscription's download, as the API reports it. */
    private static final class FileProgress {
        final String collection;
        final FileEntry entry;
        final Path path;
        final long size;
        final AtomicInteger present = new AtomicInteger();
        final AtomicInteger fetched = new AtomicInteger();
        final Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
        volatile String state = "queued";
        volatile long startNanos;
        volatile long endNanos;

        FileProgress(String collection, FileEntry entry, Path path) {
            this.collection = collection;
            this.entry = entry;
            this.path = path;
            this.size = entry.size();
        }

        long bytesDone() {
            if ("complete".equals(state)) return size;
            return Math.min(size, (long) present.get() * FileEntry.CHUNK_SIZE);
        }

        /** Bytes fetched from peers per second, over the file's download so far. */
        long rate() {
            long start = startNanos;
            if (start == 0) return 0;
            long end = "downloading".equals(state) ? System.nanoTime() : endNanos;
            double seconds = Math.max(1e-3, (end - start) / 1e9);
            return (long) (Math.min(size, (long) fetched.get() * FileEntry.CHUNK_SIZE) / seconds);
        }

        JsonObject toJson(String channel) {
            long rate = rate();
            return JsonObject.builder().put("publicKey", channel).put("collection", collection).put("item", entry.name())
                    .put("path", path.toString()).put("size", size).put("bytesDone", bytesDone()).put("blobs", entry.blobIds().size())
                    .put("blobsPresent", present.get()).put("rate", rate).put("peers", peers.size()).put("state", state).build();
        }
    }

    // ------------------------------------------------------------------ gossip, PEX, gateway

    /** The channels our MSG_HELLO carries: every published and completed followed channel, by key. */
    private List<Message.ChannelSeq> channels() {
        TreeMap<String, Long> seqs = new TreeMap<>();
        for (DaemonState.Publication p : state.published()) seqs.merge(p.keyHex(), p.seq(), Math::max);
        for (Follow f : follows.values()) {
            if (f.sub.seq() >= 0) seqs.merge(f.sub.keyHex(), f.sub.seq(), Math::max);
        }
        List<Message.ChannelSeq> list = new ArrayList<>();
        for (Map.Entry<String, Long> e : seqs.entrySet()) {
            if (list.size() == Message.MAX_GOSSIP_CHANNELS) break;
            try {
                list.add(new Message.ChannelSeq(Hex.decode(e.getKey()), e.getValue()));
            } catch (CodecException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return list; // lowercase hex sorts as the keys' unsigned bytes do
    }

    /** Tells every connected peer our sequences changed (MSG_HELLO on every connection). */
    private void seqsChanged() {
        node.server().broadcastHello();
        for (BlobFetcher c : node.downloader().connections()) {
            try {
                c.sendHello();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "MSG_HELLO to {0} not sent: {1}", c.peer(), e.getMessage());
            }
        }
    }

    /** The newest signed pointer this node holds for a channel (published, followed, or accepted as a gateway). */
    private SignedPointer pointerFor(String hex) {
        SignedPointer best = null;
        DaemonState.Publication p = state.publication(hex);
        if (p != null) best = p.item();
        Follow f = follows.get(hex);
        if (f != null && f.sub.item() != null && (best == null || f.sub.item().seq() > best.seq())) best = f.sub.item();
        SignedPointer g = gatewayPointers.get(hex);
        if (g != null && (best == null || g.seq() > best.seq())) best = g;
        return best;
    }

    /** A peer says it holds a newer sequence of a channel we follow: fetch its pointer over {@code from}, verify it, sync. */
    private void heardSeqs(List<Message.ChannelSeq> channels, BlobFetcher from) {
        for (Message.ChannelSeq cs : channels) {
            Follow f = follows.get(Hex.encode(cs.publicKey()));
            if (f == null) continue;
            InetSocketAddress at = from.remoteAddress();
            if (at != null) f.addHolder(at);
            if (cs.seq() <= f.knownSeq()) continue;
            tasks.submit(() -> pointerFrom(from, f));
        }
    }

    private Void pointerFrom(BlobFetcher from, Follow f) throws InterruptedException {
        try {
            Optional<Message.Pointer> got = from.pointer(f.sub.uri().publicKey());
            if (got.isEmpty()) return null;
            Message.Pointer p = got.get();
            if (!Arrays.equals(p.publicKey(), f.sub.uri().publicKey()) || !Arrays.equals(p.salt(), SignedPointer.SALT)) {
                LOG.log(Level.INFO, "peer " + from.peer() + " answered MSG_GET_POINTER with another channel's item: ignored");
                return null;
            }
            SignedPointer item = new SignedPointer(p.publicKey(), p.seq(), p.value(), p.signature());
            item.verify(f.sub.uri().publicKey()); // a forged pointer goes no further
            if (item.seq() <= f.knownSeq()) return null;
            pointersByGossip.incrementAndGet();
            requestSync(f, item);
        } catch (IOException | ManifestException e) {
            LOG.log(Level.INFO, "pointer from " + from.peer() + " not taken: " + e.getMessage());
        }
        return null;
    }

    /** Holders of a blob this node learned without the DHT: announces, PEX answers of connected peers. */
    private List<InetSocketAddress> knownHolders(String blobId) throws InterruptedException {
        byte[] shortId = BlobKeys.shortId(blobId);
        LinkedHashSet<InetSocketAddress> found = new LinkedHashSet<>(peerBook.get(shortId, Message.MAX_PEERS));
        for (Follow f : follows.values()) {
            if (f.running) found.addAll(f.holders); // peers that served this channel: likely holders of its other blobs
        }
        if (found.isEmpty()) {
            // peer exchange: ask a few connected peers who else holds it
            int asked = 0;
            for (BlobFetcher c : node.downloader().connections()) {
                if (asked++ == 4) break;
                try {
                    for (Message.PeerEntry e : c.findPeers(shortId)) {
                        InetSocketAddress a = dialable(e.address());
                        if (a != null) {
                            found.add(a);
                            peerBook.add(shortId, a);
                        }
                    }
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "MSG_FIND_PEERS to {0} failed: {1}", c.peer(), e.getMessage());
                }
            }
        }
        return new ArrayList<>(found);
    }

    /** An IP peer address as a socket address; null for names (no local name lookups for peers). */
    private static InetSocketAddress dialable(PeerAddress a) {
        byte[] ip = a.ipAddress();
        if (ip == null || a.port() == 0) return null;
        try {
            return new InetSocketAddress(java.net.InetAddress.getByAddress(ip), a.port());
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static Message.PeerEntry entry(InetSocketAddress a) {
        // .onion/.i2p holders are kept unresolved: they travel as names (kind 3)
        return new Message.PeerEntry(new PeerAddress(a.isUnresolved() ? a.getHostString() : a.getAddress().getHostAddress(), a.getPort()), null);
    }

    /** Gateway: checks a peer's signed item and stores it in the DHT (PROTOCOL_FINAL.md 4.5). */
    private Message gatewayPublish(Message.Publish p) throws InterruptedException {
        int id = p.requestId();
        byte[] value = p.value();
        if (!Ed25519.verify(p.publicKey(), Bep44.signedBuffer(p.salt(), p.seq(), value), p.signature())) {
            return refused(id, Message.Error.REFUSED, "signature does not verify");
        }
        BValue v;
        try {
            v = Bencode.decode(value);
        } catch (CodecException e) {
            return refused(id, Message.Error.BAD_MESSAGE, "value is not valid bencode: " + e.getMessage());
        }
        Optional<DhtNode.Item> current = node.dht().getMutable(p.publicKey(), p.salt(), Node.LOOKUP_TIMEOUT);
        if (current.isPresent()) {
            DhtNode.Item c = current.get();
            if (c.seq() > p.seq()) return refused(id, Message.Error.REFUSED, "sequence " + p.seq() + " is older than the " + c.seq() + " the DHT holds");
            if (c.seq() == p.seq()) {
                if (Arrays.equals(Bencode.encode(c.value()), value)) {
                    gatewayAccepted.incrementAndGet();
                    return new Message.Ok(id);
                }
                return refused(id, Message.Error.REFUSED, "the DHT holds another value at sequence " + p.seq());
            }
        }
        DhtNode.PutResult put = node.dht().putSigned(p.publicKey(), p.salt(), v, p.seq(), p.signature(), Node.LOOKUP_TIMEOUT);
        if (put.stored() == 0) return refused(id, Message.Error.BUSY, "no DHT node stored the item; try again later");
        gatewayAccepted.incrementAndGet();
        if (Arrays.equals(p.salt(), SignedPointer.SALT)) {
            gatewayPointers.put(Hex.encode(p.publicKey()), new SignedPointer(p.publicKey(), p.seq(), value, p.signature()));
        }
        return new Message.Ok(id);
    }

    private Message refused(int id, int code, String why) {
        gatewayRefused.incrementAndGet();
        return new Message.Error(id, code, why);
    }

    /** What the listener answers beyond blobs. */
    private final class Services implements BlobServer.Services {
        @Override
        public List<Message.ChannelSeq> channels() {
            return Daemon.this.channels();
        }

        @Override
        public Message answer(Connection from, Message request) throws InterruptedException {
            return switch (request) {
                case Message.GetPointer g -> {
                    SignedPointer item = pointerFor(Hex.encode(g.channelKey()));
                    yield item == null
                            ? new Message.Error(g.requestId(), Message.Error.NOT_FOUND, "no pointer held for this channel")
                            : new Message.Pointer(g.requestId(), item.publicKey(), item.seq(), SignedPointer.SALT, item.signature(), item.value());
                }
                case Message.FindPeers q -> {
                    List<Message.PeerEntry> entries = new ArrayList<>();
                    for (InetSocketAddress a : peerBook.get(q.target(), Message.MAX_PEERS)) entries.add(entry(a));
                    yield new Message.Peers(q.requestId(), entries);
                }
                case Message.Publish p -> config.gateway() ? gatewayPublish(p) : null;
                default -> null;
            };
        }

        @Override
        public void heard(Connection from, Message message) {
            switch (message) {
                case Message.Hello h -> {
                    inboundListenPorts.put(from, h.listenPort());
                    InetSocketAddress remote = from.remoteAddress();
                    if (remote == null || h.listenPort() == 0) return;
                    InetSocketAddress back = new InetSocketAddress(remote.getAddress(), h.listenPort());
                    for (Message.ChannelSeq cs : h.channels()) {
                        Follow f = follows.get(Hex.encode(cs.publicKey()));
                        if (f == null) continue;
                        f.addHolder(back);
                        if (cs.seq() > f.knownSeq()) {
                            // the peer dialled us: ask it over a connection of our own, which can carry requests
                            tasks.submit(() -> pointerFrom(node.downloader().connection(back), f));
                        }
                    }
                }
                case Message.Announce a -> {
                    InetSocketAddress hidden = hiddenSelves.get(from);
                    if (hidden != null) {
                        // a holder reachable only as .onion/.i2p: its own entry named it (4.5.1)
                        for (byte[] id : a.blobIds()) peerBook.add(id, hidden);
                        return;
                    }
                    Integer port = inboundListenPorts.get(from);
                    InetSocketAddress remote = from.remoteAddress();
                    if (port == null || port == 0 || remote == null) return;
                    InetSocketAddress holder = new InetSocketAddress(remote.getAddress(), port);
                    for (byte[] id : a.blobIds()) peerBook.add(id, holder);
                }
                case Message.Peers p when p.peers().size() == 1 -> {
                    // the sender's own entry: a .onion or .i2p address with its static key; a false claim costs a failed dial (4.5.1)
                    Message.PeerEntry e = p.peers().get(0);
                    boolean hiddenName = e.address().isOnion() ? e.address().port() != 0 : e.address().isI2p();
                    if (!hiddenName || e.staticKey() == null) return;
                    if (from.isOpen()) hiddenSelves.put(from, InetSocketAddress.createUnresolved(e.address().host(), e.address().port()));
                }
                default -> {
                    // other unsolicited MSG_PEERS carry no target: nothing to file them under
                }
            }
        }
    }

    /** The .onion/.i2p address each inbound connection's peer named as its own (4.5.1); closed connections dropped by the tick loop. */
    private final ConcurrentHashMap<Connection, InetSocketAddress> hiddenSelves = new ConcurrentHashMap<>();

    /** What our own connections tell us. */
    private final class Gossip implements BlobFetcher.Gossip {
        @Override
        public List<Message.ChannelSeq> channels() {
            return Daemon.this.channels();
        }

        @Override
        public void heard(BlobFetcher from, Message message) {
            switch (message) {
                case Message.Hello h -> heardSeqs(h.channels(), from);
                case Message.Announce a -> {
                    InetSocketAddress remote = from.remoteAddress();
                    if (remote == null) return;
                    for (byte[] id : a.blobIds()) peerBook.add(id, remote);
                }
                default -> {
                    // unsolicited MSG_PEERS carry no target: nothing to file them under
                }
            }
        }
    }

    // ------------------------------------------------------------------ background loops

    /** Every second: retries due, DHT polls due. */
    private void tickLoop() {
        try {
            while (!closed) {
                Thread.sleep(1000);
                long now = System.nanoTime();
                for (Follow f : follows.values()) {
                    if (f.running) continue;
                    boolean retry = f.retryAtNanos != 0 && now - f.retryAtNanos >= 0;
                    boolean poll = config.pollInterval() != null && now - f.nextPollNanos >= 0;
                    if (retry || poll) {
                        if (poll) f.scheduleNextPoll();
                        requestSync(f, null);
                    }
                }
                inboundListenPorts.keySet().removeIf(c -> !c.isOpen());
                node.downloader().closeIdle();
                for (Follow f : follows.values()) {
                    if (!f.holdersChanged || f.removed) continue;
                    f.holdersChanged = false;
                    try {
                        update(f, s -> s.withHolders(List.copyOf(f.holders)));
                    } catch (IOException e) {
                        if (closed || Thread.currentThread().isInterrupted()) return; // stopping: interrupted in the middle of the (atomic) write
                        f.holdersChanged = true;
                        LOG.log(Level.WARNING, "cannot save the holders of " + f.sub.keyHex() + ": " + (e.getMessage() != null ? e.getMessage() : e));
                    }
                }
                hiddenSelves.keySet().removeIf(c -> !c.isOpen());
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** MSG_HELLO on every connection (keep-alive and gossip), and a connection to a holder of each followed channel. */
    private void keepAliveLoop() {
        try {
            while (!closed) {
                Thread.sleep(config.keepAliveInterval());
                seqsChanged();
                Set<InetSocketAddress> connected = new java.util.HashSet<>();
                for (BlobFetcher c : node.downloader().connections()) {
                    if (c.remoteAddress() != null) connected.add(c.remoteAddress());
                }
                for (Follow f : follows.values()) {
                    if (!f.complete || f.holders.isEmpty() || f.holders.stream().anyMatch(connected::contains)) continue;
                    for (InetSocketAddress h : f.holders) {
                        try {
                            node.downloader().connection(h);
                            connected.add(h);
                            break;
                        } catch (IOException e) {
                            LOG.log(Level.DEBUG, "holder {0} of {1} unreachable: {2}", h, f.sub.keyHex(), e.getMessage());
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** Puts every published and followed channel's newest pointer again, so the channel outlives its author's absence. */
    private void reputLoop() {
        try {
            Thread.sleep(FIRST_REPUT_DELAY); // after a restart the DHT may have forgotten them: put them soon
            while (!closed) {
                boolean allStored = true;
                List<SignedPointer> items = new ArrayList<>();
                for (DaemonState.Publication p : state.published()) items.add(p.item());
                for (Follow f : follows.values()) {
                    if (f.sub.item() != null) items.add(f.sub.item());
                }
                for (SignedPointer item : items) {
                    try {
                        DhtNode.PutResult put = node.dht().putSigned(item.publicKey(), SignedPointer.SALT, Bencode.decode(item.value()), item.seq(),
                                item.signature(), Node.LOOKUP_TIMEOUT);
                        if (put.stored() == 0) allStored = false;
                        else pointerReputs.incrementAndGet();
                    } catch (CodecException | IllegalArgumentException e) {
                        LOG.log(Level.WARNING, "pointer of " + Hex.encode(item.publicKey()) + " not put again: " + e.getMessage());
                    }
                }
                double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
                Duration next = allStored ? REPUT_INTERVAL : REPUT_RETRY;
                Thread.sleep(Duration.ofNanos((long) (next.toNanos() * jitter)));
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread t : loops) t.interrupt();
        tasks.shutdownNow();
        try {
            tasks.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        node.close();
        try {
            lock.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "releasing the data folder's lock: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ for FileStreams (streaming over HTTP)

    /**
     * The entry of {@code item} in {@code collection} of a followed channel: from its current
     * download, or, for a channel complete since before a restart, from its manifest in the local
     * store. Null while the channel's manifest is not resolved yet; NOT_FOUND when the channel is
     * not followed or its resolved manifest has no such item.
     */
    FileEntry followedFile(String keyHex, String collection, String item) throws ApiException {
        Follow f = follow(keyHex);
        for (FileProgress p : f.files) {
            if (p.collection.equals(collection) && p.entry.name().equals(item)) return p.entry;
        }
        SignedPointer done = f.sub.item();
        if (!f.files.isEmpty() || !f.complete || done == null) {
            if (f.complete || "downloading".equals(f.status)) throw new ApiException(ApiException.NOT_FOUND, "channel " + f.sub.keyHex() + " has no item '" + item + "' in collection '" + collection + "'");
            return null;
        }
        try {
            for (ManifestCollection c : ManifestResolver.resolve(f.sub.uri(), done, -1, BlobManifestStore.local(node.blobs())).collections()) {
                if (!c.name().equals(collection)) continue;
                for (FileEntry e : c.items()) if (e.name().equals(item)) return e;
            }
        } catch (IOException | ManifestException e) {
            throw new ApiException(ApiException.FAILED, "cannot read the manifest of channel " + f.sub.keyHex() + ": " + e.getMessage());
        }
        throw new ApiException(ApiException.NOT_FOUND, "channel " + f.sub.keyHex() + " has no item '" + item + "' in collection '" + collection + "'");
    }
}
