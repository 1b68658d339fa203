package io.megatorrent.node;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.Blob;
import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.ChannelUriException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestResolver;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.crypto.OwnedFolder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code megatorrent demo}: the whole protocol walked for real on loopback. A swarm of DHT
 * nodes on UDP; a publisher that ingests generated files, signs a manifest, puts its pointer
 * into the DHT, announces its blobs and serves them over Noise; subscribers that find all of
 * it through the DHT alone (given only the channel URI), download over one Noise connection
 * per peer with many requests in flight, verify, reassemble and compare with the originals.
 * Each step is printed with its timing and figures. Nothing is mocked: every byte crosses a
 * real socket.
 */
public final class LocalDemo {
    /** Subscribers run one after the other: the second also finds the first as a peer. */
    public static final int SUBSCRIBERS = 2;
    public static final int DEFAULT_DHT_NODES = 6;
    public static final int MAX_DHT_NODES = 64;
    public static final long DEFAULT_FILE_SIZE = 4L << 20;
    /** Bound on --size so a typo cannot fill the disk: three files of at most 1 GiB each. */
    public static final long MAX_FILE_SIZE = 1L << 30;
    static final String COLLECTION = "demo";

    /** What to run. dataDir null: a fresh temporary folder, removed afterwards unless keep. */
    public record Options(int dhtNodes, long fileSize, Path dataDir, boolean keep, boolean privateChannel) {
        public Options {
            if (dhtNodes < 1 || dhtNodes > MAX_DHT_NODES) throw new IllegalArgumentException("DHT nodes must be 1.." + MAX_DHT_NODES);
            if (fileSize < 1 || fileSize > MAX_FILE_SIZE) throw new IllegalArgumentException("file size must be 1.." + MAX_FILE_SIZE + " bytes");
        }

        public static Options defaults() {
            return new Options(DEFAULT_DHT_NODES, DEFAULT_FILE_SIZE, null, false, false);
        }
    }

    /** The demo found something wrong; the message says what. */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        public Failure(String message) {
            super(message);
        }

        public Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Options options;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final List<AutoCloseable> owned = new ArrayList<>();

    private LocalDemo(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the demo, printing each step; returns normally only if every check passed. */
    public static void run(Options options, PrintStream out) throws Failure, InterruptedException {
        new LocalDemo(options, out).run();
    }

    private void run() throws Failure, InterruptedException {
        Path dir;
        boolean temporary = options.dataDir() == null;
        try {
            dir = temporary ? Files.createTempDirectory("megatorrent-demo-") : prepare(options.dataDir());
        } catch (IOException e) {
            throw new Failure("cannot create the demo folder: " + e.getMessage(), e);
        }
        out.println("megatorrent demo: a local swarm on 127.0.0.1 (UDP DHT, Noise over TCP, real sockets, nothing mocked)");
        out.println("folder: " + dir);
        try {
            walk(dir);
        } catch (IOException | ManifestException | ChannelUriException | RuntimeException e) {
            throw new Failure(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        } finally {
            closeAll();
            if (temporary && !options.keep()) {
                try {
                    deleteTree(dir);
                } catch (IOException e) {
                    out.println("note: could not remove " + dir + ": " + e.getMessage());
                }
            } else {
                out.println("kept: " + dir);
            }
        }
    }

    private static Path prepare(Path dir) throws IOException {
        Path d = dir.toAbsolutePath();
        OwnedFolder.ensureWithParents(d);
        try (var entries = Files.list(d)) {
            if (entries.findAny().isPresent()) throw new IOException(d + " is not empty (the demo needs an empty or new folder)");
        }
        return d;
    }

    private void walk(Path dir) throws IOException, InterruptedException, ManifestException, ChannelUriException, Failure {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");

        // 1. the DHT swarm
        long t = System.nanoTime();
        List<DhtNode> swarm = new ArrayList<>();
        for (int i = 0; i < options.dhtNodes(); i++) swarm.add(own(DhtNode.start(DhtNode.Config.of(new InetSocketAddress(loopback, 0)))));
        List<InetSocketAddress> addresses = swarm.stream().map(DhtNode::localAddress).toList();
        List<Thread> boots = new ArrayList<>();
        for (DhtNode n : swarm) {
            List<InetSocketAddress> others = addresses.stream().filter(a -> !a.equals(n.localAddress())).toList();
            if (!others.isEmpty()) boots.add(Thread.ofVirtual().name("demo-bootstrap").start(() -> {
                try {
                    n.bootstrap(others, Node.BOOTSTRAP_TIMEOUT);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread b : boots) b.join();
        int minTable = swarm.stream().mapToInt(DhtNode::routingTableSize).min().orElse(0);
        int maxTable = swarm.stream().mapToInt(DhtNode::routingTableSize).max().orElse(0);
        if (options.dhtNodes() > 1 && minTable == 0) throw new Failure("a DHT node learned no contacts while bootstrapping");
        step("dht", String.format(Locale.ROOT, "%d nodes up on 127.0.0.1 (UDP %s), bootstrapped from each other: routing tables of %d..%d contacts",
                swarm.size(), ports(addresses), minTable, maxTable), t);

        // 2. the publisher
        t = System.nanoTime();
        Node publisherNode = startNode(dir.resolve("publisher"), addresses);
        ChannelIdentity identity = ChannelIdentity.generate(options.privateChannel(), new SecureRandom());
        Publisher publisher = new Publisher(publisherNode, identity);
        String uri = (options.privateChannel() ? identity.privateUri() : identity.uri()).format();
        step("publisher", "node up: DHT " + hostPort(publisherNode.udpAddress()) + ", blob server " + hostPort(publisherNode.listenAddress())
                + " (Noise static key " + Hex.encode(publisherNode.staticPublicKey()).substring(0, 16) + "...)", t);
        out.println("             channel " + (options.privateChannel() ? "(private) " : "") + uri);

        t = System.nanoTime();
        Map<String, Path> originals = makeFiles(dir.resolve("originals"));
        long originalBytes = 0;
        for (Path p : originals.values()) originalBytes += Files.size(p);
        step("publisher", String.format(Locale.ROOT, "generated %d files, %s, in %s", originals.size(), mb(originalBytes), dir.resolve("originals")), t);

        t = System.nanoTime();
        List<FileEntry> entries = new ArrayList<>();
        for (Map.Entry<String, Path> e : originals.entrySet()) entries.add(publisher.ingest(e.getValue(), e.getKey()));
        int fileBlobs = entries.stream().mapToInt(e -> e.blobIds().size()).sum();
        long ingestNanos = System.nanoTime() - t;
        step("publisher", String.format(Locale.ROOT, "ingested %d files into %d blobs of %,d bytes (padded, ChaCha20-Poly1305): %s",
                entries.size(), fileBlobs, Blob.BLOB_SIZE, rate(originalBytes, ingestNanos)), t);

        t = System.nanoTime();
        List<ManifestCollection> collections = List.of(new ManifestCollection(COLLECTION, entries));
        Publisher.Published published = publisher.publish(collections, 1);
        var pub = published.publication();
        step("publisher", String.format(Locale.ROOT, "manifest seq %d signed%s: %,d bytes stored as %d blob%s; pointer of %d bytes put in the DHT, stored by %d nodes",
                pub.manifest().seq(), options.privateChannel() ? " and encrypted with the read key" : "", pub.manifestFile().size(),
                pub.blobIds().size(), pub.blobIds().size() == 1 ? "" : "s", pub.item().value().length, published.storedAt()), t);

        t = System.nanoTime();
        List<String> allBlobs = Publisher.blobsOf(pub, collections);
        Node.AnnounceResult announced = publisher.announce(allBlobs);
        step("publisher", String.format(Locale.ROOT, "announced %d blobs (infohash = SHA-256 of the blob, first 20 bytes): %d announce_peer stores; serving them over Noise",
                announced.announced(), announced.stores()), t);

        // 3. the subscribers
        long totalFetched = 0;
        for (int s = 1; s <= SUBSCRIBERS; s++) {
            String who = "subscriber " + s;
            t = System.nanoTime();
            Node node = startNode(dir.resolve("subscriber-" + s), addresses);
            Subscriber subscriber = new Subscriber(node);
            ChannelUri channel = ChannelUri.parse(uri);
            step(who, "node up: DHT " + hostPort(node.udpAddress()) + ", blob server " + hostPort(node.listenAddress()) + "; given only the URI", t);

            t = System.nanoTime();
            SignedPointer item = subscriber.pointer(channel);
            step(who, "pointer seq " + item.seq() + " got from the DHT (BEP 44 get), signature verified under the channel key", t);

            t = System.nanoTime();
            long before = node.downloader().blobsFetched.get();
            ManifestResolver.Resolved resolved = subscriber.resolve(channel, item);
            if (!resolved.readable()) throw new Failure(who + ": manifest is encrypted and the URI has no read key");
            int items = resolved.collections().stream().mapToInt(c -> c.items().size()).sum();
            step(who, String.format(Locale.ROOT, "manifest fetched (%d blob%s via get_peers + MSG_REQUEST), verified: signed by the channel, seq %d, %d collection%s, %d files%s",
                    node.downloader().blobsFetched.get() - before, pub.blobIds().size() == 1 ? "" : "s", resolved.manifest().seq(),
                    resolved.collections().size(), resolved.collections().size() == 1 ? "" : "s", items,
                    resolved.manifest().isEncrypted() ? ", decrypted with the read key" : ""), t);

            t = System.nanoTime();
            Path outDir = dir.resolve("subscriber-" + s).resolve("downloads");
            before = node.downloader().blobsFetched.get();
            long beforeBytes = node.downloader().bytesFetched.get();
            Map<InetSocketAddress, Long> byPeerBefore = node.downloader().blobsByPeer();
            List<Subscriber.Written> written = subscriber.download(resolved.collections(), outDir);
            long nanos = System.nanoTime() - t;
            long fetched = node.downloader().blobsFetched.get() - before;
            long bytes = node.downloader().bytesFetched.get() - beforeBytes;
            totalFetched += bytes;
            step(who, String.format(Locale.ROOT, "%d blobs downloaded and verified (SHA-256), files in parallel, from %s over %d Noise XX connection%s, up to %d requests in flight on one: %s",
                    fetched, peersSummary(node, byPeerBefore), node.downloader().openConnections(), node.downloader().openConnections() == 1 ? "" : "s",
                    node.downloader().maxInFlightPerConnection(), rate(bytes, nanos)), t);

            t = System.nanoTime();
            compare(who, written, originals);
            step(who, String.format(Locale.ROOT, "%d files reassembled under %s: names checked, SHA-256 identical to the originals", written.size(), outDir), t);

            if (options.privateChannel()) {
                t = System.nanoTime();
                ManifestResolver.Resolved blind = new Subscriber(node).resolve(channel.withoutReadKey(), item);
                if (blind.readable()) throw new Failure(who + ": a private manifest was readable without the read key");
                step(who, "without the read key: signer and seq " + blind.manifest().seq() + " verified, file list unreadable (as it must be)", t);
            }

            t = System.nanoTime();
            Node.AnnounceResult mine = node.announce(allBlobs);
            step(who, "announced the " + mine.announced() + " blobs it now holds; serving them too", t);
        }

        gossip(dir, addresses);

        out.println(String.format(Locale.ROOT, "summary: %d DHT node%s + %d node DHTs, %d blobs published, %s moved over Noise, %.2f s in all",
                swarm.size(), swarm.size() == 1 ? "" : "s", 3 + SUBSCRIBERS, allBlobs.size(), mb(totalFetched), (System.nanoTime() - start) / 1e9));
    }

    /**
     * The node as {@code serve} runs it ({@link Daemon}): an author publishes a folder, a
     * follower with DHT polling off subscribes; the author publishes an update, which can then
     * reach the follower only by gossip (MSG_HELLO, then MSG_GET_POINTER).
     */
    private void gossip(Path dir, List<InetSocketAddress> dht) throws IOException, InterruptedException, Failure {
        long t = System.nanoTime();
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        Path news = dir.resolve("originals-news");
        Files.createDirectories(news);
        Files.writeString(news.resolve("bulletin-1.txt"), "first bulletin\n");
        Daemon author = own(Daemon.open(new Daemon.Config(dir.resolve("author"), new InetSocketAddress(loopback, 0), new InetSocketAddress(loopback, 0),
                dht, false, Daemon.DEFAULT_POLL_INTERVAL, null)));
        Daemon follower = own(Daemon.open(new Daemon.Config(dir.resolve("follower"), new InetSocketAddress(loopback, 0), new InetSocketAddress(loopback, 0),
                dht, false, null, null)));
        author.start();
        follower.start();
        try {
            JsonObject first = author.publish(news, null);
            String key = first.string("publicKey");
            follower.subscribe(first.string("uri"), null, null, "demo");
            awaitSequence(follower, key, 0);
            step("daemon", "author and follower run serve's code (Daemon); the follower, DHT polling off, has seq 0 of " + key.substring(0, 16) + "...", t);

            t = System.nanoTime();
            Files.writeString(news.resolve("bulletin-2.txt"), "second bulletin\n");
            JsonObject second = author.publish(news, null);
            awaitSequence(follower, key, second.integer("seq"));
            if (follower.pointersByGossip.get() < 1) throw new Failure("the update reached the follower, but not by gossip");
            Path got = Path.of(follower.subscription(key).string("outDir")).resolve("originals-news/bulletin-2.txt");
            if (!Files.readString(got).equals("second bulletin\n")) throw new Failure("the follower's copy of the update differs: " + got);
            step("gossip", "seq " + second.integer("seq") + " published; the follower heard it in MSG_HELLO, fetched the signed pointer with MSG_GET_POINTER, verified it and has the new file", t);
        } catch (ApiException | io.megatorrent.codec.CodecException e) {
            throw new Failure("daemon step: " + e.getMessage(), e);
        }
    }

    private static void awaitSequence(Daemon d, String key, long seq) throws ApiException, io.megatorrent.codec.CodecException, InterruptedException, Failure {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonObject s = d.subscription(key);
            if (s.bool("complete") && s.integer("lastSequence") >= seq) return;
            Thread.sleep(50);
        }
        throw new Failure("the follower did not complete seq " + seq + " within 60 s: " + io.megatorrent.codec.Json.write(d.subscription(key)));
    }

    private Node startNode(Path dir, List<InetSocketAddress> bootstrap) throws IOException, InterruptedException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        return own(Node.start(new Node.Config(dir, new InetSocketAddress(loopback, 0), new InetSocketAddress(loopback, 0), bootstrap)));
    }

    /** Which peers the blobs came from, as "127.0.0.1:P (n blobs)". */
    private static String peersSummary(Node node, Map<InetSocketAddress, Long> before) {
        List<String> parts = new ArrayList<>();
        node.downloader().blobsByPeer().forEach((peer, n) -> {
            long since = n - before.getOrDefault(peer, 0L);
            if (since > 0) parts.add(hostPort(peer) + " (" + since + ")");
        });
        return parts.size() + (parts.size() == 1 ? " peer " : " peers ") + String.join(", ", parts);
    }

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private void compare(String who, List<Subscriber.Written> written, Map<String, Path> originals) throws IOException, Failure {
        if (written.size() != originals.size()) throw new Failure(who + ": " + written.size() + " files written, " + originals.size() + " published");
        for (Subscriber.Written w : written) {
            Path original = originals.get(w.entry().name());
            if (original == null) throw new Failure(who + ": the manifest lists '" + w.entry().name() + "', which was not published");
            if (!Arrays.equals(sha256(original), sha256(w.path()))) {
                throw new Failure(who + ": " + w.path() + " differs from the original " + original);
            }
        }
    }

    /** Three random files (sizes size, 1.5 x size + 1, size / 2 + 3: most end inside a chunk) and a small text file. */
    private Map<String, Path> makeFiles(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("random"));
        Map<String, Path> files = new LinkedHashMap<>();
        Path readme = dir.resolve("README.txt");
        Files.writeString(readme, """
                This file travelled through a Megatorrent v6 swarm on loopback:
                ingested into padded, encrypted 1 MiB blobs, listed in a signed manifest,
                found through the Mainline DHT (BEP 44 pointer, get_peers per blob),
                fetched over Noise_XX_25519_ChaChaPoly_BLAKE2b and verified by SHA-256.
                """, StandardCharsets.UTF_8);
        files.put("README.txt", readme);
        long size = options.fileSize();
        long[] sizes = {size, size + size / 2 + 1, size / 2 + 3};
        SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());
        byte[] buf = new byte[1 << 16];
        for (int i = 0; i < sizes.length; i++) {
            String name = "random/random-" + (i + 1) + ".bin";
            Path p = dir.resolve("random").resolve("random-" + (i + 1) + ".bin");
            try (OutputStream o = Files.newOutputStream(p)) {
                for (long left = sizes[i]; left > 0; ) {
                    for (int k = 0; k < buf.length; k += 8) {
                        long r = random.nextLong();
                        for (int b = 0; b < 8; b++) buf[k + b] = (byte) (r >>> (8 * b));
                    }
                    int n = (int) Math.min(buf.length, left);
                    o.write(buf, 0, n);
                    left -= n;
                }
            }
            files.put(name, p);
        }
        return files;
    }

    private static byte[] sha256(Path file) throws IOException {
        MessageDigest md = Hashes.sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return md.digest();
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    private void closeAll() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                out.println("note: closing " + owned.get(i).getClass().getSimpleName() + " failed: " + e.getMessage());
            }
        }
        owned.clear();
    }

    private void step(String who, String what, long startedAt) {
        double at = (System.nanoTime() - start) / 1e9;
        double took = (System.nanoTime() - startedAt) / 1e6;
        out.println(String.format(Locale.ROOT, "[%7.3f s] %-12s %s (%.0f ms)", at, who, what, took));
    }

    private static String ports(List<InetSocketAddress> addresses) {
        List<Integer> ports = addresses.stream().map(InetSocketAddress::getPort).sorted().toList();
        if (ports.size() <= 3) return "ports " + ports.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("");
        return "ports " + ports.get(0) + ".." + ports.get(ports.size() - 1);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    static String rate(long bytes, long nanos) {
        return String.format(Locale.ROOT, "%s in %.0f ms, %.1f MB/s", mb(bytes), nanos / 1e6, bytes / 1e6 / Math.max(1e-9, nanos / 1e9));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
