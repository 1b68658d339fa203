package io.megatorrent.dht;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.OwnedFolder;
import io.megatorrent.dht.KrpcMessage.*;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Mainline DHT node (BEP 5, 43, 44) on one UDP socket: it answers queries from its routing
 * table and storage, sends its own queries with transaction ids and timeouts, and runs
 * lookups and store steps. One platform thread receives and answers (blocked in the socket's
 * receive: a virtual thread would park and be rescheduled through the poller whenever the
 * socket drains, two thread hand-offs per datagram on a busy node); each lookup query runs on
 * its own virtual thread; a maintenance virtual thread refreshes buckets and saves state.
 */
public final class DhtNode implements KrpcTransport, DhtOperations, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DhtNode.class.getName());

    /** Our client version {@code v}: "MT" (Megatorrent) then protocol version 6 and revision 0. */
    public static final byte[] VERSION = {'M', 'T', 6, 0};
    /** Time a single query waits for its answer. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(2);
    /** Queries per second per IP answered by default (loopback exempt by default). */
    public static final int DEFAULT_RATE_LIMIT = 250;
    /**
     * Queries of ours waiting for answers at once; beyond it query() waits for a free slot, up
     * to the query timeout, then fails.
     */
    static final int MAX_PENDING = 4096;
    /**
     * Queries forwarded for bridged clients waiting at once (PROTOCOL_FINAL.md 7.4), counted
     * apart from ours so that bridge clients can never take the node's own query slots; a
     * forward beyond it is refused at once (busy).
     */
    public static final int MAX_FORWARDED_PENDING = 1024;
    /** How often buckets are checked for refresh and questionable nodes pinged. */
    static final long MAINTENANCE_NANOS = 60L * 1_000_000_000L;
    /** A bucket not changed for this long is refreshed (BEP 5: 15 minutes). */
    static final long REFRESH_NANOS = 15L * 60 * 1_000_000_000L;
    /** File name of the saved id and routing table inside the data folder. */
    public static final String STATE_FILE = "dht-state.bencode";
    /** Largest state file read back: 160 buckets of 8 nodes of both families take under 20 KB. */
    static final int MAX_STATE_BYTES = 1 << 20;

    /**
     * How to run a node. readOnly: BEP 43 client that answers nothing and asks others not to
     * add it; stateDir: where id and table persist (null: nothing persisted); id: null means
     * the saved one, else a fresh random one.
     */
    public record Config(InetSocketAddress bind, boolean readOnly, Path stateDir, NodeId id, Duration queryTimeout,
                         int rateLimitPerIp, boolean rateLimitLoopback, boolean enforceBep42) {
        public static Config of(InetSocketAddress bind) {
            return new Config(bind, false, null, null, DEFAULT_QUERY_TIMEOUT, DEFAULT_RATE_LIMIT, false, true);
        }

        /** BEP 42 on (the default): nodes with ids not valid for their public IPv4 address stay out of the table. */
        public Config withBep42(boolean enforce) {
            return new Config(bind, readOnly, stateDir, id, queryTimeout, rateLimitPerIp, rateLimitLoopback, enforce);
        }

        public Config withReadOnly(boolean ro) {
            return new Config(bind, ro, stateDir, id, queryTimeout, rateLimitPerIp, rateLimitLoopback, enforceBep42);
        }

        public Config withStateDir(Path dir) {
            return new Config(bind, readOnly, dir, id, queryTimeout, rateLimitPerIp, rateLimitLoopback, enforceBep42);
        }

        public Config withId(NodeId nodeId) {
            return new Config(bind, readOnly, stateDir, nodeId, queryTimeout, rateLimitPerIp, rateLimitLoopback, enforceBep42);
        }

        public Config withQueryTimeout(Duration t) {
            return new Config(bind, readOnly, stateDir, id, t, rateLimitPerIp, rateLimitLoopback, enforceBep42);
        }

        public Config withRateLimit(int perIp, boolean limitLoopback) {
            return new Config(bind, readOnly, stateDir, id, queryTimeout, perIp, limitLoopback, enforceBep42);
        }
    }

    private record Pending(InetSocketAddress to, Method method, CompletableFuture<Krpc.Packet> answer) {}

    private final Config config;
    private final DatagramChannel channel;
    private final boolean ipv6;
    private final NodeId id;
    private final RoutingTable table;
    private final ItemOperations items;
    private final Tokens tokens;
    private final PeerStore peerStore = new PeerStore();
    private final ItemStore itemStore = new ItemStore();
    private final RateLimiter rateLimiter;
    private final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final java.util.concurrent.Semaphore pendingSlots = new java.util.concurrent.Semaphore(MAX_PENDING);
    private final java.util.concurrent.Semaphore forwardSlots = new java.util.concurrent.Semaphore(MAX_FORWARDED_PENDING);
    /** Transaction ids are random, so an off-path sender cannot guess the next one and forge its answer. */
    private final java.security.SecureRandom tidRandom = new java.security.SecureRandom();
    private final Random random = new Random();
    /** Held while the state file is written: the maintenance thread and close() may both save. */
    private final Object saveLock = new Object();
    /** The receive thread's buffer for answers. */
    private final Krpc.Writer replyWriter = new Krpc.Writer();
    /** The receive thread's (or the warm-up's) scanner of common queries, reused for every datagram. */
    private final Krpc.QueryScanner queryScanner = new Krpc.QueryScanner();
    private final Thread receiver;
    private final Thread maintenance;
    private volatile boolean closed;

    private final AtomicLong queriesAnswered = new AtomicLong();
    private final AtomicLong packetsDropped = new AtomicLong();
    private final AtomicLong errorsSent = new AtomicLong();

    private DhtNode(Config config, DatagramChannel channel, NodeId id, List<NodeInfo> savedNodes) {
        this.config = config;
        this.channel = channel;
        this.ipv6 = config.bind().getAddress() instanceof java.net.Inet6Address;
        this.id = id;
        long now = System.nanoTime();
        this.table = new RoutingTable(id, now, config.enforceBep42(), ipv6);
        this.items = new ItemOperations(this::lookup, this, id);
        for (NodeInfo n : savedNodes) table.heardFrom(n, false, now);
        this.tokens = new Tokens(now);
        this.rateLimiter = new RateLimiter(config.rateLimitPerIp(), config.rateLimitLoopback());
        this.receiver = Thread.ofPlatform().daemon().name("dht-receive-" + id.toString().substring(0, 8)).unstarted(this::receiveLoop);
        this.maintenance = Thread.ofVirtual().name("dht-maintenance").unstarted(this::maintenanceLoop);
    }

    /** Binds the socket, loads saved state if any, and starts answering. */
    public static DhtNode start(Config config) throws IOException {
        NodeId id = config.id();
        List<NodeInfo> saved = List.of();
        if (config.stateDir() != null) {
            Path file = config.stateDir().resolve(STATE_FILE);
            byte[] bytes = readState(file);
            if (bytes != null) {
                try {
                    BDict state = Bencode.decodeDict(bytes);
                    NodeId savedId = new NodeId(state.requireBytes("id"));
                    // the node of one family loads the saved nodes of that family only (BEP 32)
                    boolean v6 = config.bind().getAddress() instanceof java.net.Inet6Address;
                    saved = v6 ? NodeInfo.parseCompactNodes6(state.bytes("nodes6").orElse(new byte[0]), "nodes6")
                            : NodeInfo.parseCompactNodes(state.bytes("nodes").orElse(new byte[0]), "nodes");
                    if (id == null) id = savedId;
                } catch (CodecException | KrpcException | IllegalArgumentException e) {
                    // a damaged state file costs the saved table, not the start: keep it for a look, start afresh
                    Path aside = file.resolveSibling(STATE_FILE + ".corrupt-" + System.currentTimeMillis());
                    LOG.log(System.Logger.Level.WARNING, "unreadable DHT state " + file + " (" + e.getMessage() + "): moved to " + aside + ", starting with an empty table");
                    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                    saved = List.of();
                }
            }
        }
        if (id == null) id = NodeId.random();
        DhtNode node = new DhtNode(config, openChannel(config.bind()), id, saved);
        OPEN_UDP_SOCKETS.incrementAndGet();
        node.receiver.start();
        if (!config.readOnly()) node.maintenance.start();
        return node;
    }

    /** Queries {@link #warmUp} sends by default: enough for the JIT's last tier to compile the receive path. */
    public static final int WARM_UP_QUERIES = 40_000;

    /**
     * Runs the receive path (receive, decode, routing table, answer, send) of a throwaway node
     * over loopback for {@code queries} ping, find_node and get_peers queries, and on while
     * the JIT's compiler threads are still busy (up to three times as many), or until
     * {@code limit}, so that the JIT compiles it before this process's real nodes answer their
     * first query: a cold JVM answers its first thousands of queries interpreted and then
     * spends about as much CPU compiling the path as answering, while the network waits
     * (README, {@code bench dht --cold}). The calling thread drives the same method the
     * receive thread runs, one datagram at a time, so the profiles the JIT compiles from are
     * those of real traffic. Nothing of the throwaway node is kept. Returns the queries answered.
     */
    public static long warmUp(int queries, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        Config config = Config.of(new InetSocketAddress(loopback, 0));
        List<DatagramChannel> sources = new ArrayList<>();
        // no receive thread of its own: this thread receives for it
        try (DhtNode scratch = new DhtNode(config, openChannel(config.bind()), NodeId.random(), List.of())) {
            OPEN_UDP_SOCKETS.incrementAndGet(); // close() counts it down
            InetSocketAddress to = scratch.localAddress();
            // queries of the three kinds the network sends most, under a few sender ids, from a
            // few addresses (the node's address handling sees them change); the answers are
            // never read: a source's full socket buffer drops them
            Random random = new Random(1);
            byte[][] templates = new byte[12][];
            for (int i = 0; i < templates.length; i++) {
                byte[] target = new byte[NodeId.LENGTH];
                random.nextBytes(target);
                NodeId from = NodeId.random();
                Query q = switch (i % 3) {
                    case 0 -> new Ping(from);
                    case 1 -> new FindNode(from, new NodeId(target));
                    default -> new GetPeers(from, new NodeId(target));
                };
                templates[i] = Krpc.encode(new Krpc.Packet(new byte[] {0, 0}, q));
            }
            for (int c = 0; c < 4; c++) {
                DatagramChannel source = DatagramChannel.open(loopback instanceof java.net.Inet6Address
                        ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
                sources.add(source);
                source.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                source.bind(new InetSocketAddress(loopback, 0));
            }
            // the receive blocks: should a datagram of ours ever be lost, closing the socket at the limit ends it
            Thread limiter = Thread.ofVirtual().name("dht-warm-up-limit").start(() -> {
                try {
                    Thread.sleep(limit);
                    scratch.channel.close();
                } catch (InterruptedException | IOException e) {
                    // the warm-up ended first
                }
            });
            ByteBuffer buf = ByteBuffer.allocate(Krpc.MAX_DATAGRAM_LENGTH + 1);
            ByteBuffer query = ByteBuffer.allocate(Krpc.MAX_DATAGRAM_LENGTH);
            try {
                // past the queries asked for, it goes on while the JIT still compiles (a batch at a
                // time, up to 3 times as many): what is compiled after it would be compiled under
                // the first real load, the compiler taking the CPU the node needs then
                long compiling = compilerCpuNanos();
                int most = (int) Math.min(Integer.MAX_VALUE, 3L * queries);
                for (int n = 0; n < most && (n % 1024 != 0 || System.nanoTime() < deadline); n++) {
                    if (n >= queries && (n - queries) % QUIET_BATCH == 0) {
                        long now = compilerCpuNanos();
                        if (compiling < 0 || now - compiling < QUIET_COMPILER_NANOS) break;
                        compiling = now;
                    }
                    byte[] q = templates[n % templates.length];
                    // the transaction id's two bytes, in the canonical encoding's "...1:t2:XX1:y1:qe"
                    int tid = q.length - "XX1:y1:qe".length();
                    query.clear();
                    query.put(q).put(tid, (byte) (n >> 8)).put(tid + 1, (byte) n).flip();
                    // each id comes from every source in turn: the table meets an id at a second
                    // address and an address under a second id, as on the network
                    sources.get((n / templates.length) % sources.size()).send(query, to);
                    scratch.receiveOne(buf);
                }
            } catch (ClosedChannelException e) {
                // the limit
            } finally {
                limiter.interrupt();
            }
            touchYoungGeneration();
            return scratch.queriesAnswered();
        } finally {
            for (DatagramChannel source : sources) source.close();
        }
    }

    /** Where {@link #touchYoungGeneration} drops its garbage: a field, so the JIT cannot leave the allocations out. */
    private static volatile Object sink;

    /**
     * Allocates and drops garbage until the young collector has run {@link #YOUNG_COLLECTIONS}
     * times (at most 256 MiB): the first write to a page of fresh heap costs a page fault (in a
     * VM the host's as well), and without this the node's first real load would take them while
     * its allocations move through heap the warm-up never reached: a get_peers load's first
     * second answered 9-19% more with it in interleaved runs (README), so after the collection
     * the collector hands out regions this touched.
     */
    private static void touchYoungGeneration() {
        java.lang.ref.WeakReference<Object> sentinel = new java.lang.ref.WeakReference<>(new Object());
        int collections = 0;
        for (long allocated = 0; collections < YOUNG_COLLECTIONS && allocated < 256L << 20; allocated += 16 << 10) {
            sink = new byte[16 << 10];
            if (sentinel.get() == null) { // cleared: a collection ran
                collections++;
                sentinel = new java.lang.ref.WeakReference<>(new Object());
            }
        }
        sink = null;
    }

    /**
     * One: the young generation as it was sized for the warm-up is touched (tens of MiB, 0.14 s
     * more to ready, 26 MiB more resident here), enough for a first second at 100k queries/s.
     * Two would reach the much larger size G1 gives it next (200 MiB here: 0.66 s, 150 MiB).
     */
    private static final int YOUNG_COLLECTIONS = 1;

    /** Warm-up queries between two looks at the JIT after the first {@code queries}. */
    private static final int QUIET_BATCH = 2_000;
    /** Compiler CPU time during such a batch under which the JIT counts as done with the receive path. */
    private static final long QUIET_COMPILER_NANOS = 2_000_000;

    /**
     * CPU time the JVM's JIT compiler threads have used so far (Linux: their
     * /proc/self/task/TID/schedstat), or -1 where that cannot be read.
     */
    static long compilerCpuNanos() {
        long total = 0;
        try (var tasks = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : tasks) {
                try {
                    if (!java.nio.file.Files.readString(task.resolve("comm")).contains("CompilerThre")) continue;
                    String stat = java.nio.file.Files.readString(task.resolve("schedstat"));
                    total += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
                } catch (IOException | RuntimeException e) {
                    // a compiler thread that ended meanwhile (the JVM adds and removes them)
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return total;
    }

    /** The node's socket: one per address family (BEP 32), an IPv6 bind address makes an IPv6 node. */
    private static DatagramChannel openChannel(InetSocketAddress bind) throws IOException {
        boolean ipv6 = bind.getAddress() instanceof java.net.Inet6Address;
        DatagramChannel ch = DatagramChannel.open(ipv6 ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 21);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 21);
            ch.bind(bind);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    public NodeId id() {
        return id;
    }

    private static final java.util.concurrent.atomic.AtomicInteger OPEN_UDP_SOCKETS = new java.util.concurrent.atomic.AtomicInteger();

    /** UDP sockets this process holds open through DHT nodes now: the accounting a safe-mode node reports (it must be 0). */
    public static int openUdpSockets() {
        return OPEN_UDP_SOCKETS.get();
    }

    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int routingTableSize() {
        return table.size();
    }

    public List<NodeInfo> knownNodes() {
        return table.all();
    }

    /** Queries answered with a response, with an error, and datagrams dropped: for tests and benchmarks. */
    public long queriesAnswered() {
        return queriesAnswered.get();
    }

    public long errorsSent() {
        return errorsSent.get();
    }

    public long packetsDropped() {
        return packetsDropped.get();
    }

    /** Sizes of what remote nodes can make us hold, to check that it stays bounded. */
    public String footprint() {
        return "pending=" + pending.size() + " table=" + table.size() + " peers=" + peerStore.peerCount()
                + " infohashes=" + peerStore.infohashCount() + " items=" + itemStore.size() + " ratelimited_ips=" + rateLimiter.trackedIps();
    }

    // ---------------------------------------------------------------- queries we send

    @Override
    public Response query(InetSocketAddress to, Query query) throws KrpcException, IOException, InterruptedException {
        return query(to, query, false);
    }

    /**
     * A query sent on behalf of a bridged client (PROTOCOL_FINAL.md 7): always marked {@code ro=1},
     * since the id in it is the client's and the address ours, and it leaves the routing table
     * alone: the client chose the node, not us.
     */
    Response forward(InetSocketAddress to, Query query) throws KrpcException, IOException, InterruptedException {
        return query(to, query, true);
    }

    boolean isIpv6() {
        return ipv6;
    }

    boolean readOnly() {
        return config.readOnly();
    }

    /** A forwarded query refused because {@link #MAX_FORWARDED_PENDING} are waiting already. */
    static final class BusyException extends IOException {
        BusyException(String message) {
            super(message);
        }
    }

    private Response query(InetSocketAddress to, Query query, boolean forwarded) throws KrpcException, IOException, InterruptedException {
        if (closed) throw new ClosedChannelException();
        if ((to.getAddress() instanceof java.net.Inet6Address) != ipv6) {
            if (!forwarded) table.failed(to, System.nanoTime());
            throw new IOException("cannot reach " + to + " from an " + (ipv6 ? "IPv6" : "IPv4") + " node");
        }
        java.util.concurrent.Semaphore slots = forwarded ? forwardSlots : pendingSlots;
        if (forwarded) {
            if (!slots.tryAcquire())
                throw new BusyException(MAX_FORWARDED_PENDING + " forwarded queries are waiting for answers already");
        } else if (!slots.tryAcquire(config.queryTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
            throw new SocketTimeoutException("no query slot free within " + config.queryTimeout().toMillis() + " ms (" + MAX_PENDING + " queries waiting)");
        }
        int tid = -1;
        try {
            CompletableFuture<Krpc.Packet> answer = new CompletableFuture<>();
            Pending p = new Pending(to, query.method(), answer);
            // a random id, drawn again while it collides with a pending one (at most 4,096 + 1,024 of 65,536)
            int candidate;
            do candidate = tidRandom.nextInt(1 << 16); while (pending.putIfAbsent(candidate, p) != null);
            tid = candidate;
            byte[] t = {(byte) (tid >> 8), (byte) tid};
            try {
                send(new Krpc.Packet(t, query, VERSION, config.readOnly() || forwarded, null), to);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                // unsendable (no route, wrong family...): as good as unanswered
                if (!forwarded) table.failed(to, System.nanoTime());
                throw e;
            }
            Krpc.Packet reply;
            try {
                reply = answer.get(config.queryTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (!forwarded) table.failed(to, System.nanoTime());
                throw new SocketTimeoutException("no answer from " + to + " to " + query.method().wireName);
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
            if (reply.message() instanceof KrpcMessage.Error err) throw new KrpcException(err.code(), err.message());
            Response r = (Response) reply.message();
            if (!forwarded) table.heardFrom(new NodeInfo(r.id(), to), true, System.nanoTime());
            return r;
        } finally {
            if (tid >= 0) pending.remove(tid);
            slots.release();
        }
    }

    /** A query with one retry after a timeout, for single queries that have no alternative. */
    Response queryWithRetry(InetSocketAddress to, Query query) throws KrpcException, IOException, InterruptedException {
        try {
            return query(to, query);
        } catch (SocketTimeoutException e) {
            return query(to, query);
        }
    }

    public Response ping(InetSocketAddress to) throws KrpcException, IOException, InterruptedException {
        return queryWithRetry(to, new Ping(id));
    }

    private void send(Krpc.Packet packet, InetSocketAddress to) throws IOException {
        channel.send(ByteBuffer.wrap(Krpc.encode(packet)), to);
    }

    // ---------------------------------------------------------------- receiving and answering

    private void receiveLoop() {
        ByteBuffer buf = ByteBuffer.allocate(Krpc.MAX_DATAGRAM_LENGTH + 1);
        while (!closed) {
            try {
                receiveOne(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) return;
                LOG.log(System.Logger.Level.DEBUG, "receive failed: " + e);
            }
        }
    }

    /** Receives one datagram into buf (cleared first) and handles it: the receive thread's step, and the warm-up's. */
    private void receiveOne(ByteBuffer buf) throws IOException {
        buf.clear();
        InetSocketAddress from = (InetSocketAddress) channel.receive(buf);
        if (from == null) return;
        buf.flip();
        // an IPv6 socket also receives IPv4 datagrams (dual stack): this node is one family's (BEP 32)
        if (buf.remaining() > Krpc.MAX_DATAGRAM_LENGTH || buf.remaining() == 0 || from.getPort() == 0
                || !ofOwnFamily(from)) {
            packetsDropped.incrementAndGet();
            return;
        }
        try {
            handle(buf.array(), buf.remaining(), from);
        } catch (RuntimeException | java.lang.Error e) {
            // a bug, or an OutOfMemoryError caused elsewhere, must not stop the node silently: log, drop the packet, go on
            packetsDropped.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "packet from " + from + " caused " + e, e);
        }
    }

    /** Whether a datagram's source is of this node's family: only those are handled. */
    boolean ofOwnFamily(InetSocketAddress from) {
        return Addresses.sameFamily(from.getAddress(), ipv6);
    }

    /** Items stored under a source key (Addresses.limitKey): for tests. */
    int itemsFromSource(InetAddress source) {
        return itemStore.itemsFrom(source);
    }

    /** Forwarded queries waiting for answers now: for tests. */
    int forwardedWaiting() {
        return MAX_FORWARDED_PENDING - forwardSlots.availablePermits();
    }

    /** Handles the datagram in {@code buf[0, len)}; buf is the receive buffer, reused for the next one. */
    private void handle(byte[] buf, int len, InetSocketAddress from) {
        Krpc.Packet common = queryScanner.scan(buf, len);
        if (common != null) {
            long now = System.nanoTime();
            if (config.readOnly() || closed || !rateLimiter.allow(from.getAddress(), now)) {
                packetsDropped.incrementAndGet();
                return;
            }
            answer(common, (Query) common.message(), from, now);
            return;
        }
        BDict top;
        try {
            top = Bencode.decodeDict(java.util.Arrays.copyOf(buf, len));
        } catch (CodecException e) {
            packetsDropped.incrementAndGet();
            return;
        }
        boolean isQuery = Krpc.isQuery(top);
        long now = System.nanoTime();
        if (isQuery && (config.readOnly() || closed || !rateLimiter.allow(from.getAddress(), now))) {
            packetsDropped.incrementAndGet();
            return;
        }
        Krpc.Packet packet;
        try {
            packet = Krpc.decode(top, this::pendingMethod);
        } catch (KrpcException e) {
            byte[] tid = Krpc.transactionIdOf(top);
            if (isQuery && tid != null) reply(tid, new KrpcMessage.Error(e.code(), e.text()), from, now);
            else packetsDropped.incrementAndGet();
            return;
        }
        switch (packet.message()) {
            case Query q -> answer(packet, q, from, now);
            case Response r -> complete(packet, from);
            case KrpcMessage.Error e -> complete(packet, from);
        }
    }

    private Method pendingMethod(byte[] tid) {
        if (tid.length != 2) return null;
        Pending p = pending.get(((tid[0] & 0xff) << 8) | (tid[1] & 0xff));
        return p == null ? null : p.method();
    }

    private void complete(Krpc.Packet packet, InetSocketAddress from) {
        byte[] tid = packet.transactionId();
        if (tid.length != 2) return;
        Pending p = pending.get(((tid[0] & 0xff) << 8) | (tid[1] & 0xff));
        // an answer from another address than we asked is a forgery or a stray: ignore it
        if (p == null || !p.to().equals(from)) {
            packetsDropped.incrementAndGet();
            return;
        }
        p.answer().complete(packet);
    }

    private void answer(Krpc.Packet packet, Query q, InetSocketAddress from, long now) {
        if (!packet.readOnly()) table.heardFrom(new NodeInfo(q.id(), from), false, now);
        KrpcMessage reply;
        try {
            reply = respond(q, from, now);
        } catch (KrpcException e) {
            reply = new KrpcMessage.Error(e.code(), e.text());
        }
        reply(packet.transactionId(), reply, from, now);
    }

    /** The answer to one query, or the KRPC error it earns. */
    KrpcMessage respond(Query q, InetSocketAddress from, long now) throws KrpcException {
        return switch (q) {
            case Ping p -> new PingResponse(id);
            case FindNode f -> new FindNodeResponse(id, table.closest(f.target(), RoutingTable.K, now));
            case GetPeers g -> new GetPeersResponse(id, tokens.issue(from.getAddress(), now), peerStore.get(g.infohash(), now),
                    table.closest(g.infohash(), RoutingTable.K, now));
            case AnnouncePeer a -> {
                if (!tokens.valid(a.token(), from.getAddress(), now)) throw KrpcException.protocol("bad token");
                int port = a.impliedPort() ? from.getPort() : a.port();
                if (!peerStore.add(a.infohash(), new InetSocketAddress(from.getAddress(), port), now))
                    throw new KrpcException(KrpcException.SERVER, "peer storage full");
                yield new AnnouncePeerResponse(id);
            }
            case Get g -> {
                byte[] token = tokens.issue(from.getAddress(), now);
                List<NodeInfo> nodes = table.closest(g.target(), RoutingTable.K, now);
                ItemStore.Item item = itemStore.get(g.target(), now);
                if (item == null) yield new GetResponse(id, token, nodes, null, null, null, null);
                if (!item.mutable()) yield new GetResponse(id, token, nodes, item.value(), null, null, null);
                if (g.seq() != null && item.seq() <= g.seq())
                    yield new GetResponse(id, token, nodes, null, null, item.seq(), null);
                yield new GetResponse(id, token, nodes, item.value(), item.publicKey(), item.seq(), item.signature());
            }
            case Put p -> {
                if (!tokens.valid(p.token(), from.getAddress(), now)) throw KrpcException.protocol("bad token");
                itemStore.put(p, from.getAddress(), now);
                yield new PutResponse(id);
            }
        };
    }

    /**
     * The answer to a query from a bridged client (PROTOCOL_FINAL.md 7): tokens are bound to
     * {@code tokenAddress} (the client's per-connection pseudo-address) and an announce_peer
     * stores {@code peerAddress} (the address its stream came from, never one it names) with
     * the query's explicit port. The client never enters the routing table.
     */
    KrpcMessage respondBridged(Query q, InetAddress tokenAddress, InetAddress peerAddress, long now) throws KrpcException {
        KrpcMessage reply;
        try {
            if (q instanceof AnnouncePeer a) {
                if (!tokens.valid(a.token(), tokenAddress, now)) throw KrpcException.protocol("bad token");
                if (!peerStore.add(a.infohash(), new InetSocketAddress(peerAddress, a.port()), now))
                    throw new KrpcException(KrpcException.SERVER, "peer storage full");
                reply = new AnnouncePeerResponse(id);
            } else if (q instanceof Put p) {
                // the per-source item quota counts the stream's address when there is one; streams
                // relayed by a local proxy share one quota (the token pseudo-address is new on every connection)
                if (!tokens.valid(p.token(), tokenAddress, now)) throw KrpcException.protocol("bad token");
                itemStore.put(p, peerAddress != null ? peerAddress : Addresses.PROXIED, now);
                reply = new PutResponse(id);
            } else {
                // port 0: only announce_peer's implied_port reads it, and that case is handled above
                reply = respond(q, new InetSocketAddress(tokenAddress, 0), now);
            }
        } catch (KrpcException e) {
            errorsSent.incrementAndGet();
            throw e;
        }
        queriesAnswered.incrementAndGet();
        return reply;
    }

    private void reply(byte[] tid, KrpcMessage message, InetSocketAddress to, long now) {
        if (message instanceof KrpcMessage.Error) errorsSent.incrementAndGet();
        else queriesAnswered.incrementAndGet();
        try {
            // only the receive thread replies: its one writer is reused for every answer
            ByteBuffer answer = Krpc.encodeAnswer(new Krpc.Packet(tid, message, VERSION, false, to), replyWriter).asBuffer();
            int length = answer.remaining();
            channel.send(answer, to);
            rateLimiter.charge(to.getAddress(), length, now); // the rate counts what we send back (reflection)
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "send to " + to + " failed: " + e);
        }
    }

    // ---------------------------------------------------------------- bootstrap, refresh, lookups

    /** Asks each address for nodes near our id, then looks up our own id to fill the table. */
    public void bootstrap(List<InetSocketAddress> addresses, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            threads.add(Thread.ofVirtual().name("dht-bootstrap").start(() -> {
                try {
                    Response r = queryWithRetry(a, new FindNode(id, id));
                    if (r instanceof FindNodeResponse f)
                        for (NodeInfo n : f.nodes())
                            if (!n.id().equals(id) && Addresses.contactAllowed(n.address(), a.getAddress(), boundAddress()))
                                table.heardFrom(n, false, System.nanoTime());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.INFO, "bootstrap node " + a + " did not answer: " + e.getMessage());
                }
            }));
        }
        for (Thread t : threads) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        lookup(id, Lookup.Kind.FIND_NODE, null, false, deadline);
    }

    /** Looks up a random id in every bucket (all of them when force, else those idle 15 minutes). */
    public void refresh(boolean force) throws InterruptedException {
        long now = System.nanoTime();
        for (NodeId target : table.refreshTargets(now, force ? 0 : REFRESH_NANOS, random))
            lookup(target, Lookup.Kind.FIND_NODE, null, false, System.nanoTime() + config.queryTimeout().toNanos() * 5);
    }

    Lookup.Result lookup(NodeId target, Lookup.Kind kind, byte[] salt, boolean stopAtFirstItem, long deadline) throws InterruptedException {
        List<NodeInfo> seeds = table.closest(target, RoutingTable.K * 2, System.nanoTime());
        return new Lookup(this, id, target, kind, salt, stopAtFirstItem, boundAddress()).run(seeds, deadline);
    }

    private InetAddress boundAddress() {
        return config.bind().getAddress();
    }

    /** The lookup's outcome for callers outside the package. */
    public record LookupResult(List<NodeInfo> closest, int hops, int queries) {}

    public LookupResult findNode(NodeId target, Duration timeout) throws InterruptedException {
        Lookup.Result r = lookup(target, Lookup.Kind.FIND_NODE, null, false, System.nanoTime() + timeout.toNanos());
        return new LookupResult(r.closest(), r.hops(), r.queries());
    }

    /** Peers the lookup found, and those announced to this node itself (a lookup never queries itself). */
    @Override
    public List<InetSocketAddress> getPeers(NodeId infohash, Duration timeout) throws InterruptedException {
        java.util.LinkedHashSet<InetSocketAddress> all = new java.util.LinkedHashSet<>(items.getPeers(infohash, timeout));
        all.addAll(peerStore.get(infohash, System.nanoTime()));
        return List.copyOf(all);
    }

    /** Announces us for infohash on port (0: implied port, the UDP source port); returns how many nodes stored it. */
    @Override
    public int announce(NodeId infohash, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Lookup.Result r = lookup(infohash, Lookup.Kind.GET_PEERS, null, false, deadline);
        InetAddress bound = localAddress().getAddress();
        if (port != 0 && !bound.isAnyLocalAddress()) {
            // on a known address this node names itself a holder too (as it keeps its own items)
            peerStore.add(infohash, new InetSocketAddress(bound, port), System.nanoTime());
        }
        return items.store(r, token -> new AnnouncePeer(id, infohash, port, port == 0, token));
    }

    /** A found BEP 44 item; publicKey, signature null for immutable items. */
    public record Item(BValue value, byte[] publicKey, long seq, byte[] signature) {}

    @Override
    public Optional<Item> getImmutable(NodeId target, Duration timeout) throws InterruptedException {
        return items.getImmutable(target, timeout);
    }

    /**
     * The newest item found by the lookup, or held by this node itself when that is newer: in a
     * small network the node a put chose may be the very node that asks (a lookup never queries
     * itself).
     */
    @Override
    public Optional<Item> getMutable(byte[] publicKey, byte[] salt, Duration timeout) throws InterruptedException {
        Optional<Item> found = items.getMutable(publicKey, salt, timeout);
        ItemStore.Item local = itemStore.get(new NodeId(Bep44.mutableTarget(publicKey, salt)), System.nanoTime());
        if (local != null && local.mutable() && (found.isEmpty() || local.seq() > found.get().seq())) {
            return Optional.of(new Item(local.value(), local.publicKey(), local.seq(), local.signature()));
        }
        return found;
    }

    /** The outcome of a put: target, seq used (0 for immutable), nodes that stored it. */
    public record PutResult(NodeId target, long seq, int stored) {}

    @Override
    public PutResult putImmutable(BValue value, Duration timeout) throws InterruptedException {
        return items.putImmutable(value, timeout);
    }

    /** Signs and puts a mutable item; seq null means one above the highest found (0 when none is found). */
    @Override
    public PutResult putSigned(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature, Duration timeout) throws InterruptedException {
        PutResult r = items.putSigned(publicKey, salt, value, seq, signature, timeout);
        keepOwn(publicKey, salt, value, seq, signature);
        return r;
    }

    /**
     * A node keeps the items it puts in its own store too, so that it answers get for them: in a
     * small network the nodes that stored the item may all be gone (a restart loses a node's
     * store) while its author is still there. The item passes the same checks as a remote put.
     */
    private void keepOwn(byte[] publicKey, byte[] salt, BValue value, long seq, byte[] signature) {
        if (config.readOnly()) return;
        try {
            itemStore.put(new Put(id, new byte[0], value, publicKey, salt, seq, signature, null), System.nanoTime());
        } catch (KrpcException e) {
            LOG.log(System.Logger.Level.DEBUG, "own item not kept: " + e.getMessage());
        }
    }

    @Override
    public PutResult putMutable(byte[] seed, byte[] salt, BValue value, Long seq, Duration timeout) throws InterruptedException {
        PutResult r = items.putMutable(seed, salt, value, seq, timeout);
        Ed25519.KeyPair key = Ed25519.fromSeed(seed);
        keepOwn(key.publicKey(), salt, value, r.seq(), key.sign(Bep44.signedBuffer(salt, r.seq(), Bencode.encode(value)))); // Ed25519 signs deterministically
        return r;
    }

    // ---------------------------------------------------------------- maintenance and state

    private void maintenanceLoop() {
        try {
            while (!closed) {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(MAINTENANCE_NANOS));
                long now = System.nanoTime();
                peerStore.expire(now);
                itemStore.expire(now);
                for (NodeInfo n : table.questionable(now, RoutingTable.K)) {
                    try {
                        queryWithRetry(n.address(), new Ping(id)); // 3.8: pings are retried once
                    } catch (KrpcException | IOException e) {
                        // query() already counted the failure
                    }
                }
                refresh(false);
                saveState();
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** The saved state file's bytes, or null when there is none (read once: no exists-then-read). */
    private static byte[] readState(Path file) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            // a full table of both families is far below this; more is not a state file we wrote
            if (ch.size() > MAX_STATE_BYTES) throw new IOException(file + " is " + ch.size() + " bytes, more than a DHT state file can be (" + MAX_STATE_BYTES + ")");
            ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // until the size read above
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Writes id and table to the state folder (atomically: a temp file of a unique name renamed
     * over the old one), one save at a time.
     */
    public void saveState() {
        if (config.stateDir() == null || config.readOnly()) return;
        synchronized (saveLock) {
            writeState();
        }
    }

    private void writeState() {
        Path tmp = null;
        try {
            OwnedFolder.ensureWithParents(config.stateDir());
            byte[] state = Bencode.encode(BDict.builder()
                    .put("id", id.bytes())
                    .put("nodes", NodeInfo.compactNodes(table.all()))
                    .put("nodes6", NodeInfo.compactNodes6(table.all()))
                    .build());
            tmp = Files.createTempFile(config.stateDir(), STATE_FILE + ".", ".tmp");
            Files.write(tmp, state);
            Files.move(tmp, config.stateDir().resolve(STATE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            // the maintenance thread's save is cut short when close() interrupts it: close() saves again
            LOG.log(closed ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, "could not save DHT state: " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // a stray .tmp is never read back
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        maintenance.interrupt();
        if (maintenance.isAlive() && Thread.currentThread() != maintenance) {
            try {
                // its save, if one is running, ends before ours starts (saveLock), and it may take a moment
                maintenance.join(config.queryTimeout().toMillis() * 2 + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        saveState();
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
        OPEN_UDP_SOCKETS.decrementAndGet();
        for (Pending p : pending.values()) p.answer().completeExceptionally(new ClosedChannelException());
    }
}
