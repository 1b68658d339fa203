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
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.NodeId;
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
import java.util.List;
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
        return sb.append('\n').append(ExitCodes.HELP).toString();
    }

    private static final String DESCRIPTION = """
                Subcommands (each prints one JSON object on stdout; logs go to stderr):
                  node --port P [-d DIR] [--seconds S] [--rate-limit N]
                                                         run a full node; prints {"id","port"} once listening;
                                                         id and routing table persist in DIR/dht
                  put-mutable --seed HEX --value STRING [--salt STRING] [--seq N]
                                                         prints {"target","seq","stored"}; seq defaults to
                                                         one above the highest found
                  get-mutable --pubkey HEX [--salt STRING]
                                                         prints {"value","v_hex","seq","pubkey","signature"}
                  put-immutable --value STRING           prints {"target","stored"}
                  get-immutable --target HEX             prints {"value","v_hex"}
                  announce --infohash HEX [--announce-port N]
                                                         prints {"infohash","stored"}; without the port,
                                                         implied_port (our UDP source port)
                  get-peers --infohash HEX               prints {"peers":["ip:port",...]}
                One-shot subcommands are BEP 43 read-only clients with a fresh node id that persist
                nothing. --value is stored as the bencoded byte string of its UTF-8 bytes.
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
                    Args.Option.value("rate-limit", "N", "queries per second answered per IP, 0 = no limit (default 250; loopback exempt)")))), out, err);
            case "put-mutable" -> putMutable(parse(rest, List.of(req("seed", "HEX", "Ed25519 seed, 64 hex digits"),
                    req("value", "STRING", "the value"), Args.Option.value("salt", "STRING", "salt"),
                    Args.Option.value("seq", "N", "sequence number"))), out);
            case "get-mutable" -> getMutable(parse(rest, List.of(req("pubkey", "HEX", "public key, 64 hex digits"),
                    Args.Option.value("salt", "STRING", "salt"))), out);
            case "put-immutable" -> putImmutable(parse(rest, List.of(req("value", "STRING", "the value"))), out);
            case "get-immutable" -> getImmutable(parse(rest, List.of(req("target", "HEX", "target, 40 hex digits"))), out);
            case "announce" -> announce(parse(rest, List.of(req("infohash", "HEX", "infohash, 40 hex digits"),
                    Args.Option.value("announce-port", "N", "port to announce (default: implied port)"))), out);
            case "get-peers" -> getPeers(parse(rest, List.of(req("infohash", "HEX", "infohash, 40 hex digits"))), out);
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

    // ---- the full node ----

    private int node(Args args, PrintStream out, PrintStream err) throws Exception {
        long seconds = args.longValue("seconds", 0, 0, Long.MAX_VALUE / 1_000_000_000L);
        int rateLimit = (int) args.longValue("rate-limit", DhtNode.DEFAULT_RATE_LIMIT, 0, 1_000_000);
        DhtNode.Config config = config(args, false).withStateDir(DataDir.resolve(args).resolve("dht")).withRateLimit(rateLimit, false);
        try (DhtNode node = DhtNode.start(config)) {
            Thread hook = new Thread(node::close, "dht-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                out.println(Json.write(JsonObject.builder().put("id", node.id().toString()).put("port", node.localAddress().getPort()).build()));
                out.flush();
                List<InetSocketAddress> bootstrap = bootstrap(args);
                if (!bootstrap.isEmpty()) node.bootstrap(bootstrap, timeout(args));
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

    // ---- one-shot clients ----

    private int putMutable(Args args, PrintStream out) throws Exception {
        byte[] seed = hex(args.require("seed"), Ed25519.SEED_LENGTH, "--seed");
        byte[] salt = args.get("salt").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        if (salt.length > io.megatorrent.dht.Bep44.MAX_SALT_LENGTH) throw new UsageException("--salt is longer than 64 bytes");
        BValue value = value(args);
        Long seq = args.has("seq") ? args.longValue("seq", 0, 0, Long.MAX_VALUE) : null;
        try (DhtNode node = client(args)) {
            DhtNode.PutResult r = node.putMutable(seed, salt, value, seq, timeout(args));
            out.println(Json.write(JsonObject.builder().put("target", r.target().toString()).put("seq", r.seq()).put("stored", r.stored()).build()));
            return r.stored() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getMutable(Args args, PrintStream out) throws Exception {
        byte[] pub = hex(args.require("pubkey"), Ed25519.PUBLIC_KEY_LENGTH, "--pubkey");
        byte[] salt = args.get("salt").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        try (DhtNode node = client(args)) {
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
        try (DhtNode node = client(args)) {
            DhtNode.PutResult r = node.putImmutable(value, timeout(args));
            out.println(Json.write(JsonObject.builder().put("target", r.target().toString()).put("stored", r.stored()).build()));
            return r.stored() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getImmutable(Args args, PrintStream out) throws Exception {
        NodeId target = new NodeId(hex(args.require("target"), NodeId.LENGTH, "--target"));
        try (DhtNode node = client(args)) {
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
        try (DhtNode node = client(args)) {
            int stored = node.announce(infohash, port, timeout(args));
            out.println(Json.write(JsonObject.builder().put("infohash", infohash.toString()).put("stored", stored).build()));
            return stored > 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private int getPeers(Args args, PrintStream out) throws Exception {
        NodeId infohash = new NodeId(hex(args.require("infohash"), NodeId.LENGTH, "--infohash"));
        try (DhtNode node = client(args)) {
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

    /** A read-only client with a fresh id, bootstrapped, persisting nothing. */
    private static DhtNode client(Args args) throws Exception {
        DhtNode node = DhtNode.start(config(args, true).withId(NodeId.random()));
        try {
            List<InetSocketAddress> bootstrap = bootstrap(args);
            if (bootstrap.isEmpty()) throw new UsageException("a one-shot dht command needs at least one --bootstrap H:P");
            node.bootstrap(bootstrap, timeout(args));
            return node;
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

    private static List<InetSocketAddress> bootstrap(Args args) throws UsageException {
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
