package io.megatorrent.cli;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.Bootstrap;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.DhtOperations;
import io.megatorrent.dht.DhtClient;
import io.megatorrent.dht.NodeId;
import io.megatorrent.crypto.X25519;
import io.megatorrent.node.BlobServer;
import io.megatorrent.node.BridgeService;
import io.megatorrent.node.BridgeTransport;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.NodeKey;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import io.megatorrent.transport.socks5.Socks5Credentials;
import io.megatorrent.transport.socks5.Socks5Dialer;
import io.megatorrent.transport.sam.SamBridge;
import io.megatorrent.transport.sam.SamDialer;
import io.megatorrent.transport.sam.SamSession;
import java.io.Closeable;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code megatorrent dht SUBCOMMAND}: a full node, and one-shot BEP 43 read-only clients that
 * put, get, announce and look up peers. Each prints one JSON object on stdout.
 */
final class DhtCommand implements Command {
    private static final Args.Option BOOTSTRAP = Args.Option.repeatable("bootstrap", "H:P", "node to bootstrap from (repeatable)");
    private static final Args.Option PORT = Args.Option.value("port", "P", "own UDP port (default ephemeral)");
    private static final Args.Option BIND = Args.Option.value("bind", "ADDR", "address to bind (default 0.0.0.0, all IPv4 addresses; an IPv6 address such as :: makes an IPv6 node)");
    private static final Args.Option TIMEOUT = Args.Option.value("timeout", "SECONDS", "give up after this long (default 30)");
    private static final List<Args.Option> COMMON = List.of(BOOTSTRAP, PORT, BIND, TIMEOUT);
    private static final Args.Option BRIDGE = Args.Option.repeatable("bridge", "[KEY@]H:P|[KEY@]DEST",
            "reach the DHT through this bridge over TCP (Noise; IK when its static KEY, 64 hex digits, is given); opens no UDP socket; repeatable: the first that answers is used; an I2P DEST (name.b32.i2p or base64) needs --sam");
    private static final Args.Option SOCKS5 = Args.Option.value("socks5", "H:P", "connect to the bridge through this SOCKS5 proxy (Tor): the proxy resolves the bridge's name");
    private static final Args.Option SOCKS5_USER = Args.Option.value("socks5-user", "USER", "SOCKS5 username (RFC 1929)");
    private static final Args.Option SOCKS5_PASS = Args.Option.value("socks5-pass", "PASS", "SOCKS5 password (RFC 1929)");
    private static final Args.Option SAM = Args.Option.value("sam", "IP:PORT",
            "connect to an I2P bridge through this I2P router's SAM v3.1 bridge (e.g. 127.0.0.1:7656), on a new transient session; not with --socks5");
    private static final Args.Option SAM_OPTION = Args.Option.repeatable("sam-option", "KEY=VALUE",
            "I2CP/tunnel option for the SAM session (repeatable), e.g. inbound.length=0 for an offline test router; none by default (the router's own)");
    /** Options of the one-shot clients: how the DHT is reached without UDP. */
    private static final List<Args.Option> BRIDGED = List.of(BRIDGE, SOCKS5, SOCKS5_USER, SOCKS5_PASS, SAM, SAM_OPTION);
    /**
     * How long SESSION CREATE may take: the router builds the session's tunnels first (i2pd
     * offline answers after ~20 s; on the network it takes up to a minute or two).
     */
    static final Duration SAM_SESSION_TIMEOUT = Duration.ofMinutes(3);
    /** The node's I2P private destination in its data folder (PROTOCOL_FINAL.md 5.4). */
    static final String I2P_KEY_FILE = "i2p-destination.key";

    DhtCommand() {}

    @Override
    public String name() {
        return "dht";
    }

    @Override
    public String summary() {
        return "DHT debugging tools (node, put/get items, announce, get-peers)";
    }

    @Override
    public String help() {
        StringBuilder sb = new StringBuilder("Usage: megatorrent dht SUBCOMMAND [OPTIONS]\n\n").append(DESCRIPTION).append("\nCommon options:\n");
        for (Args.Option o : COMMON) sb.append(o.usage()).append('\n');
        sb.append("\nOne-shot subcommands without UDP (anonymity mode, PROTOCOL_FINAL.md 7):\n");
        for (Args.Option o : BRIDGED) sb.append(o.usage()).append('\n');
        return sb.append('\n').append(ExitCodes.HELP).toString();
    }

    private static final String DESCRIPTION = """
                Subcommands (each prints one JSON object on stdout; logs go to stderr):
                  node --port P [-d DIR] [--seconds S] [--rate-limit N] [--bridge-port P]
                       [--bridge-sam IP:PORT [--sam-option KEY=VALUE]...] [--no-default-bootstrap]
                       [--no-warm-up]
                                                         run a full node; prints {"id","port"} once listening,
                                                         after a warm-up (its receive path run 40,000 times
                                                         on a throwaway loopback node, and on while the JIT
                                                         still compiles, at most 10 s, so that it is compiled
                                                         before the first query; about 1 s; --no-warm-up
                                                         skips it);
                                                         id and routing table persist in DIR/dht; it joins
                                                         through --bootstrap, else its saved table, else
                                                         the public routers (router.bittorrent.com:6881,
                                                         dht.transmissionbt.com:6881, router.utorrent.com:6881,
                                                         dht.libtorrent.org:25401), resolved then; never when
                                                         bound to loopback or with --no-default-bootstrap; with
                                                         --bridge-port it is also a DHT bridge: it answers
                                                         MSG_DHT_QUERY over Noise on that TCP port (same
                                                         address as --bind) and prints "bridgePort" and its
                                                         static key "bridgeKey" (kept in DIR), so clients
                                                         use --bridge KEY@HOST:PORT; with --bridge-sam it
                                                         also serves bridge clients over I2P through that
                                                         SAM bridge, on the destination kept in
                                                         DIR/i2p-destination.key, prints it as "bridgeI2p"
                                                         (name.b32.i2p) and refuses announce_peer from them
                                                         (an I2P stream has no IP address to store)
                  put-mutable --seed HEX --value STRING [--salt STRING] [--seq N]
                                                         prints {"target","publicKey","seq","stored"};
                                                         without --seq: one above the highest found, put
                                                         with BEP 44 cas (a node holding a newer item
                                                         refuses it), 0 when none is found
                  get-mutable --pubkey HEX [--salt STRING]
                                                         prints {"value","v_hex","seq","pubkey","signature"}
                  put-immutable --value STRING           prints {"target","stored"}
                  get-immutable --target HEX             prints {"value","v_hex"}
                  announce --infohash HEX [--announce-port N]
                                                         prints {"infohash","stored"}; without the port,
                                                         implied_port (our UDP source port); with --bridge
                                                         the port is required and only the bridge's own
                                                         node stores it, with the address the bridge sees
                  get-peers --infohash HEX               prints {"peers":["ip:port",...]}
                One-shot subcommands are BEP 43 read-only clients with a fresh node id that persist
                nothing. With --bridge they open no UDP socket: every query travels over one Noise
                connection to the bridge (with a fresh static key), which answers from its own node
                or forwards to the node named; --bootstrap, --port and --bind do not apply. The
                connection is direct TCP, through --socks5 (Tor), or through --sam (I2P: the bridge
                is a name.b32.i2p or base64 destination, dialed on a new transient session).
                --value is stored as the bencoded byte string of its UTF-8 bytes.
                Exit 1 when a get finds nothing before the timeout, or a put or announce reached no node.
                """;

    // Subcommands have their own flags: parse after the subcommand name.
    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        if (argv.length == 0) throw new UsageException("dht needs a subcommand: node, put-mutable, get-mutable, put-immutable, get-immutable, announce, get-peers");
        String sub = argv[0];
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        return switch (sub) {
            case "node" -> node(parse(rest, DataDir.with(List.of(Args.Option.value("seconds", "S", "stop after S seconds (default: run until killed)"),
                    Args.Option.value("rate-limit", "N", "queries per second answered per IP (an answer costs one per 128 bytes sent back), 0 = no limit (default 250; loopback exempt)"),
                    Args.Option.value("bridge-port", "P", "also serve DHT-over-TCP bridge clients on this TCP port (0: ephemeral)"),
                    Args.Option.value("bridge-sam", "IP:PORT", "also serve bridge clients over I2P through this SAM v3.1 bridge (destination kept in DIR/" + I2P_KEY_FILE + ")"),
                    SAM_OPTION,
                    Args.Option.flag("no-default-bootstrap", "without --bootstrap and a saved routing table, stay alone instead of joining through the public routers"),
                    Args.Option.flag("no-warm-up", "skip the warm-up before the port is printed (the receive path run 40,000 times on a throwaway node over loopback, and on while the JIT still compiles, at most 10 s, so that it is compiled before the first query)")))), out, err);
            case "put-mutable" -> putMutable(oneShot(rest, List.of(req("seed", "HEX", "Ed25519 seed, 64 hex digits"),
                    req("value", "STRING", "the value"), Args.Option.value("salt", "STRING", "salt"),
                    Args.Option.value("seq", "N", "sequence number"))), out);
            case "get-mutable" -> getMutable(oneShot(rest, List.of(req("pubkey", "HEX", "public key, 64 hex digits"),
                    Args.Option.value("salt", "STRING", "salt"))), out);
            case "put-immutable" -> putImmutable(oneShot(rest, List.of(req("value", "STRING", "the value"))), out);
            case "get-immutable" -> getImmutable(oneShot(rest, List.of(req("target", "HEX", "target, 40 hex digits"))), out);
            case "announce" -> announce(oneShot(rest, List.of(req("infohash", "HEX", "infohash, 40 hex digits"),
                    Args.Option.value("announce-port", "N", "port to announce (default: implied port)"))), out);
            case "get-peers" -> getPeers(oneShot(rest, List.of(req("infohash", "HEX", "infohash, 40 hex digits"))), out);
            default -> throw new UsageException("unknown dht subcommand '" + sub + "'");
        };
    }

    private static Args.Option req(String name, String valueName, String help) {
        return Args.Option.value(name, valueName, help);
    }

    private static Args parse(String[] argv, List<Args.Option> specific) throws UsageException {
        List<Args.Option> all = new ArrayList<>(COMMON);
        all.addAll(specific);
        Args args = Args.parse(argv, all);
        args.noPositional();
        return args;
    }

    private static Args oneShot(String[] argv, List<Args.Option> specific) throws UsageException {
        List<Args.Option> all = new ArrayList<>(BRIDGED);
        all.addAll(specific);
        return parse(argv, all);
    }

    // ---- the full node ----

    @SuppressWarnings("try") // the shutdown hook closes the node and bridges when the JVM is told to stop
    private int node(Args args, PrintStream out, PrintStream err) throws Exception {
        long seconds = args.longValue("seconds", 0, 0, Long.MAX_VALUE / 1_000_000_000L);
        int rateLimit = (int) args.longValue("rate-limit", DhtNode.DEFAULT_RATE_LIMIT, 0, 1_000_000);
        DhtNode.Config config = config(args, false).withStateDir(DataDir.resolve(args).resolve("dht")).withRateLimit(rateLimit, false);
        Integer bridgePort = args.has("bridge-port") ? (int) args.longValue("bridge-port", 0, 0, 65535) : null;
        InetSocketAddress bridgeSam = args.has("bridge-sam") ? ipAndPort("--bridge-sam", args.require("bridge-sam")) : null;
        Map<String, String> samOptions = samOptions(args);
        if (bridgeSam == null && !samOptions.isEmpty()) throw new UsageException("--sam-option needs --bridge-sam");
        List<Closeable> closing = new ArrayList<>(); // closed in reverse order by the hook
        try (DhtNode node = DhtNode.start(config); Listener bridge = bridgePort == null ? null : bridgeListener(node, args, bridgePort);
                Listener samListener = bridgeSam == null ? null : samBridgeListener(node, args);
                SamSession samSession = bridgeSam == null ? null : samBridgeSession(bridgeSam, samOptions, args)) {
            if (samSession != null) samSession.startAccepting((channel, peer) -> samListener.accept(channel));
            for (Closeable c : new Closeable[] {bridge, samListener, samSession}) if (c != null) closing.add(c);
            Thread hook = new Thread(() -> {
                for (int i = closing.size() - 1; i >= 0; i--) {
                    try {
                        closing.get(i).close();
                    } catch (java.io.IOException e) {
                        // exiting anyway
                    }
                }
                node.close();
            }, "dht-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                JsonObject.Builder line = JsonObject.builder().put("id", node.id().toString()).put("port", node.localAddress().getPort());
                if (bridge != null) line.put("bridgePort", bridge.localAddress().getPort());
                if (bridge != null || samSession != null) line.put("bridgeKey", Hex.encode(bridgeKey(args).publicKey()));
                if (samSession != null) line.put("bridgeI2p", samSession.b32Address());
                // after the line is made (its first JSON number initialises BigDecimal, whose compilation then ends during the warm-up)
                if (!args.has("no-warm-up")) DhtNode.warmUp(DhtNode.WARM_UP_QUERIES, Duration.ofSeconds(10));
                out.println(Json.write(line.build()));
                out.flush();
                Bootstrap.join(node, bootstrap(args), !args.has("no-default-bootstrap"), Bootstrap.SYSTEM, timeout(args));
                node.saveState();
                if (seconds > 0) Thread.sleep(seconds * 1000);
                else Thread.sleep(Long.MAX_VALUE);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook closes the node
                }
            }
        }
        return ExitCodes.OK;
    }

    /** The static key a bridge proves in the handshake, kept in the data folder (section 4.1). */
    private static X25519.KeyPair bridgeKey(Args args) throws java.io.IOException {
        return NodeKey.loadOrCreate(DataDir.resolve(args));
    }

    /** A listener on the node's bind address that answers only MSG_DHT_QUERY (it holds no blobs). */
    private static Listener bridgeListener(DhtNode node, Args args, int port) throws Exception {
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(args.get("bind").orElse("0.0.0.0")), port);
        BlobServer server = new BlobServer(id -> null, () -> 0, new BridgeService(node, true));
        return Listener.open(bind, bridgeKey(args), Connection.Timeouts.DEFAULT, server);
    }

    /**
     * A socketless listener for streams accepted through SAM. Its BridgeService is built for
     * streams without an IP address of their own (their remote address is the local SAM
     * socket), so it refuses announce_peer from them (PROTOCOL_FINAL.md 7.2).
     */
    private static Listener samBridgeListener(DhtNode node, Args args) throws Exception {
        BlobServer server = new BlobServer(id -> null, () -> 0, new BridgeService(node, false));
        // every stream comes from the SAM bridge's one address: a per-address cap would cap I2P clients
        Listener.Limits limits = new Listener.Limits(Listener.Limits.MAX_HANDSHAKES, Listener.Limits.CONNECTIONS_FOR_HEAP, Listener.Limits.MAX_CONNECTIONS, false);
        return Listener.withoutSocket(bridgeKey(args), Connection.Timeouts.DEFAULT, limits, server);
    }

    /** The bridge's SAM session, on the destination kept in the data folder so its address survives restarts. */
    private static SamSession samBridgeSession(InetSocketAddress sam, Map<String, String> options, Args args) throws Exception {
        java.nio.file.Path dir = DataDir.resolve(args);
        io.megatorrent.crypto.OwnedFolder.ensureWithParents(dir);
        try {
            return new SamBridge(sam).createPersistentSession(samNickname("mt-bridge-"), dir.resolve(I2P_KEY_FILE), options, SAM_SESSION_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--sam-option: " + e.getMessage());
        }
    }

    /** --sam-option KEY=VALUE pairs, in the order given (a repeated key: the last wins). */
    static Map<String, String> samOptions(Args args) throws UsageException {
        Map<String, String> options = new LinkedHashMap<>();
        for (String kv : args.all("sam-option")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new UsageException("--sam-option wants KEY=VALUE, got '" + kv + "'");
            options.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return options;
    }

    /** Session nicknames are per router: a random suffix keeps concurrent commands apart. */
    private static String samNickname(String prefix) {
        byte[] r = new byte[6];
        new java.security.SecureRandom().nextBytes(r);
        return prefix + HexFormat.of().formatHex(r);
    }

    // ---- one-shot clients ----

    private int putMutable(Args args, PrintStream out) throws Exception {
        byte[] seed = hex(args.require("seed"), Ed25519.SEED_LENGTH, "--seed");
        byte[] salt = args.get("salt").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        if (salt.length > io.megatorrent.dht.Bep44.MAX_SALT_LENGTH) throw new UsageException("--salt is longer than 64 bytes");
        BValue value = value(args);
        Long seq = args.has("seq") ? args.longValue("seq", 0, 0, Long.MAX_VALUE) : null;
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            DhtNode.PutResult r = node.putMutable(seed, salt, value, seq, timeout(args));
            out.println(Json.write(JsonObject.builder().put("target", r.target().toString()).put("publicKey", Hex.encode(Ed25519.fromSeed(seed).publicKey()))
                    .put("seq", r.seq()).put("stored", r.stored()).build()));
            return r.stored() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getMutable(Args args, PrintStream out) throws Exception {
        byte[] pub = hex(args.require("pubkey"), Ed25519.PUBLIC_KEY_LENGTH, "--pubkey");
        byte[] salt = args.get("salt").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            Optional<DhtNode.Item> item = node.getMutable(pub, salt, timeout(args));
            if (item.isEmpty()) return notFound(out);
            DhtNode.Item i = item.get();
            byte[] v = Bencode.encode(i.value());
            out.println(Json.write(JsonObject.builder().put("value", text(i.value())).put("v_hex", Hex.encode(v)).put("seq", i.seq())
                    .put("pubkey", Hex.encode(i.publicKey())).put("signature", Hex.encode(i.signature())).build()));
            return ExitCodes.OK;
        }
    }

    private int putImmutable(Args args, PrintStream out) throws Exception {
        BValue value = value(args);
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            DhtNode.PutResult r = node.putImmutable(value, timeout(args));
            out.println(Json.write(JsonObject.builder().put("target", r.target().toString()).put("stored", r.stored()).build()));
            return r.stored() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getImmutable(Args args, PrintStream out) throws Exception {
        NodeId target = new NodeId(hex(args.require("target"), NodeId.LENGTH, "--target"));
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            Optional<DhtNode.Item> item = node.getImmutable(target, timeout(args));
            if (item.isEmpty()) return notFound(out);
            out.println(Json.write(JsonObject.builder().put("value", text(item.get().value()))
                    .put("v_hex", Hex.encode(Bencode.encode(item.get().value()))).build()));
            return ExitCodes.OK;
        }
    }

    private int announce(Args args, PrintStream out) throws Exception {
        NodeId infohash = new NodeId(hex(args.require("infohash"), NodeId.LENGTH, "--infohash"));
        int port = (int) args.longValue("announce-port", 0, 1, 65535);
        if (port == 0 && args.has("bridge")) throw new UsageException("announce through a bridge needs --announce-port (implied_port is not available over TCP)");
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            int stored = node.announce(infohash, port, timeout(args));
            out.println(Json.write(JsonObject.builder().put("infohash", infohash.toString()).put("stored", stored).build()));
            return stored > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getPeers(Args args, PrintStream out) throws Exception {
        NodeId infohash = new NodeId(hex(args.require("infohash"), NodeId.LENGTH, "--infohash"));
        try (Dht dht = client(args)) {
            DhtOperations node = dht.ops();
            List<InetSocketAddress> peers = node.getPeers(infohash, timeout(args));
            List<JsonValue> list = new ArrayList<>();
            for (InetSocketAddress p : peers) list.add(new JsonValue.JsonString(io.megatorrent.dht.NodeInfo.format(p)));
            out.println(Json.write(JsonObject.builder().put("peers", new JsonValue.JsonArray(list)).build()));
            return peers.isEmpty() ? ExitCodes.FAILED : ExitCodes.OK;
        }
    }

    // ---- helpers ----

    private static int notFound(PrintStream out) {
        out.println(Json.write(JsonObject.builder().put("error", "not found").build()));
        return ExitCodes.FAILED;
    }

    /** A one-shot command's view of the DHT, over UDP or through a bridge, and what closing it releases. */
    private record Dht(DhtOperations ops, Runnable closer) implements AutoCloseable {
        @Override
        public void close() {
            closer.run();
        }
    }

    private static Dht client(Args args) throws Exception {
        return args.has("bridge") ? bridged(args) : udp(args);
    }

    /** Through a bridge: one Noise connection (direct or via SOCKS5), a fresh static key, no UDP socket. */
    private static Dht bridged(Args args) throws Exception {
        if (!args.all("bootstrap").isEmpty() || args.has("port") || args.has("bind"))
            throw new UsageException("--bridge opens no UDP socket: --bootstrap, --port and --bind do not apply");
        List<PeerTarget> bridges = new ArrayList<>();
        for (String b : args.all("bridge")) {
            try {
                bridges.add(PeerTarget.parse(b));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--bridge: " + e.getMessage());
            }
        }
        if (args.has("sam") && args.has("socks5")) throw new UsageException("--sam and --socks5 are mutually exclusive: a bridge is reached through one of them");
        if (!args.has("sam") && !args.all("sam-option").isEmpty()) throw new UsageException("--sam-option needs --sam");
        for (PeerTarget b : bridges) {
            if (args.has("sam") && !b.address().isI2p())
                throw new UsageException("--bridge " + b.address() + " is not an I2P destination (name.b32.i2p or base64): --sam reaches only those");
            if (!args.has("sam") && b.address().isI2p()) throw new UsageException("--bridge: an I2P destination needs --sam IP:PORT (an I2P router's SAM bridge)");
        }
        if (args.has("sam")) return samBridged(args, bridges);
        if (args.has("socks5")) {
            for (PeerTarget b : bridges) {
                // serve refuses this; a one-shot debugging command only warns (PROTOCOL_FINAL.md 5.5)
                if (b.staticKey() == null && !b.address().isOnion())
                    System.getLogger(DhtCommand.class.getName()).log(System.Logger.Level.WARNING, "--bridge " + b.address()
                            + " has no static key: through a proxy an exit relay could pose as it; give KEY@" + b.address());
            }
        }
        Dialer dialer = new TcpDialer();
        if (args.has("socks5")) {
            InetSocketAddress proxy = ipAndPort("--socks5", args.require("socks5"));
            if (args.has("socks5-user") != args.has("socks5-pass")) throw new UsageException("--socks5-user and --socks5-pass go together");
            if (args.has("socks5-user")) {
                try {
                    dialer = Socks5Dialer.withCredentials(proxy, new Socks5Credentials(args.require("socks5-user"), args.require("socks5-pass")));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--socks5-user/--socks5-pass: " + e.getMessage());
                }
            } else {
                // isolation credentials for this run only: two runs never share a Tor circuit (PROTOCOL_FINAL.md 5.2, 5.5)
                String run = samNickname("run-");
                dialer = Socks5Dialer.withCredentials(proxy, peer -> Socks5Credentials.isolating(run + " " + peer.host().toLowerCase(java.util.Locale.ROOT) + ":" + peer.port()));
            }
        } else if (args.has("socks5-user") || args.has("socks5-pass")) {
            throw new UsageException("--socks5-user and --socks5-pass need --socks5");
        }
        BridgeTransport transport = BridgeTransport.connectAny(dialer, bridges, X25519.generate(), BridgeTransport.DEFAULT_QUERY_TIMEOUT);
        try {
            DhtClient c = new DhtClient(transport);
            c.bootstrap();
            return new Dht(c, transport::close);
        } catch (Exception e) {
            transport.close();
            throw e;
        }
    }

    /**
     * Through an I2P router's SAM bridge: a new transient session (its destination is never
     * reused, like the client's static key), closed with the connection.
     */
    private static Dht samBridged(Args args, List<PeerTarget> bridges) throws Exception {
        InetSocketAddress sam = ipAndPort("--sam", args.require("sam"));
        SamSession session;
        try {
            session = new SamBridge(sam).createTransientSession(samNickname("mt-dht-"), samOptions(args), SAM_SESSION_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--sam-option: " + e.getMessage());
        }
        try {
            BridgeTransport transport = connectOverI2p(new SamDialer(session), bridges);
            try {
                DhtClient c = new DhtClient(transport);
                c.bootstrap();
                return new Dht(c, () -> {
                    transport.close();
                    closeQuietly(session);
                });
            } catch (Exception e) {
                transport.close();
                throw e;
            }
        } catch (Exception e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** Attempts at reaching an I2P bridge: a destination just published takes a few seconds to be found. */
    private static final int I2P_CONNECT_ATTEMPTS = 4;
    private static final Duration I2P_CONNECT_RETRY = Duration.ofSeconds(3);

    private static BridgeTransport connectOverI2p(SamDialer dialer, List<PeerTarget> bridges) throws java.io.IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return BridgeTransport.connectAny(dialer, bridges, X25519.generate(), BridgeTransport.DEFAULT_QUERY_TIMEOUT);
            } catch (io.megatorrent.transport.sam.SamException e) {
                boolean notYetFound = "CANT_REACH_PEER".equals(e.result()) || "PEER_NOT_FOUND".equals(e.result());
                if (!notYetFound || attempt == I2P_CONNECT_ATTEMPTS) throw e;
                Thread.sleep(I2P_CONNECT_RETRY);
            }
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (java.io.IOException e) {
            // nothing more to release
        }
    }

    /** A proxy's or SAM bridge's own address must be an IP literal: resolving it would be a local DNS query. */
    static InetSocketAddress ipAndPort(String flag, String hp) throws UsageException {
        PeerTarget t;
        try {
            t = PeerTarget.parse(hp);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + ": " + e.getMessage());
        }
        String host = t.address().host();
        if (t.staticKey() != null || t.address().port() == 0 || !(host.contains(":") || host.matches("[0-9.]+")))
            throw new UsageException(flag + " wants IP:PORT (an IP literal, so nothing is looked up locally), got '" + hp + "'");
        try {
            return new InetSocketAddress(InetAddress.getByName(host), t.address().port());
        } catch (java.net.UnknownHostException e) {
            throw new UsageException(flag + ": bad IP address '" + host + "'");
        }
    }

    /** A read-only client with a fresh id, bootstrapped, persisting nothing. */
    private static Dht udp(Args args) throws Exception {
        if (args.has("socks5")) throw new UsageException("--socks5 needs --bridge: the DHT's UDP cannot go through SOCKS5");
        if (args.has("sam") || args.has("sam-option")) throw new UsageException("--sam needs --bridge: the DHT's UDP does not go through I2P here");
        DhtNode node = DhtNode.start(config(args, true).withId(NodeId.random()));
        try {
            List<InetSocketAddress> bootstrap = bootstrap(args);
            if (bootstrap.isEmpty()) throw new UsageException("a one-shot dht command needs at least one --bootstrap H:P");
            node.bootstrap(bootstrap, timeout(args));
            return new Dht(node, node::close);
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private static DhtNode.Config config(Args args, boolean readOnly) throws Exception {
        int port = (int) args.longValue("port", 0, 0, 65535);
        InetAddress bind = InetAddress.getByName(args.get("bind").orElse("0.0.0.0"));
        return DhtNode.Config.of(new InetSocketAddress(bind, port)).withReadOnly(readOnly);
    }

    private static Duration timeout(Args args) throws UsageException {
        return Duration.ofSeconds(args.longValue("timeout", 30, 1, 86_400));
    }

    static List<InetSocketAddress> bootstrap(Args args) throws UsageException {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String hp : args.all("bootstrap")) {
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) throw new UsageException("--bootstrap wants HOST:PORT, got '" + hp + "'");
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            int port;
            try {
                port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new UsageException("--bootstrap port is not a number in '" + hp + "'");
            }
            if (port < 1 || port > 65535) throw new UsageException("--bootstrap port out of range in '" + hp + "'");
            InetSocketAddress a = new InetSocketAddress(host, port);
            if (a.isUnresolved()) throw new UsageException("--bootstrap host '" + host + "' does not resolve");
            out.add(a);
        }
        return out;
    }

    private static BValue value(Args args) throws UsageException {
        BValue v = BBytes.of(args.require("value"));
        if (Bencode.encode(v).length > io.megatorrent.dht.Bep44.MAX_VALUE_LENGTH)
            throw new UsageException("--value is too long: its bencoding exceeds 1000 bytes");
        return v;
    }

    private static byte[] hex(String s, int length, String what) throws UsageException {
        try {
            return Hex.decode(s.toLowerCase(java.util.Locale.ROOT), length, what);
        } catch (CodecException e) {
            throw new UsageException(what + ": " + e.getMessage());
        }
    }

    /** The UTF-8 text of a bencoded byte string, or JSON null for anything else. */
    private static JsonValue text(BValue v) {
        if (!(v instanceof BBytes b)) return JsonValue.JsonNull.INSTANCE;
        try {
            return new JsonValue.JsonString(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b.bytes())).toString());
        } catch (CharacterCodingException e) {
            return JsonValue.JsonNull.INSTANCE;
        }
    }
}
