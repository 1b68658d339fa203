package io.megatorrent.cli;

import io.megatorrent.node.Daemon;
import io.megatorrent.node.NetworkMode;
import io.megatorrent.node.Node;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.socks5.Socks5Credentials;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The options of commands that run a node on a data folder (serve, and publish/subscribe in the foreground). */
final class NodeOptions {
    static final Args.Option DHT_PORT = Args.Option.value("dht-port", "P", "UDP port of the DHT node (default: 6881 for serve, any free port otherwise)");
    static final Args.Option LISTEN_PORT = Args.Option.value("listen-port", "P", "TCP port of the Noise listener (default: as --dht-port)");
    static final Args.Option BIND = Args.Option.value("bind", "ADDR", "address the DHT and the listener bind to (default 0.0.0.0; with --socks5/--sam 127.0.0.1, and only a loopback address)");
    static final Args.Option BOOTSTRAP = Args.Option.repeatable("bootstrap", "H:P", "DHT node to join through (repeatable)");
    static final Args.Option POLL = Args.Option.value("poll-interval", "SECONDS",
            "look followed channels up in the DHT this often, jittered by 20% (default 300; 0: never, updates come by gossip)");
    static final Args.Option SOCKS5 = Args.Option.value("socks5", "IP:PORT",
            "safe mode through this SOCKS5 proxy (Tor's SocksPort): no UDP socket, no local name lookup, the DHT only through --bridge");
    static final Args.Option SOCKS5_USER = Args.Option.value("socks5-user", "USER", "SOCKS5 username for every stream (default: isolation credentials per peer)");
    static final Args.Option SOCKS5_PASS = Args.Option.value("socks5-pass", "PASS", "SOCKS5 password (with --socks5-user)");
    static final Args.Option SAM = Args.Option.value("sam", "IP:PORT",
            "safe mode over I2P through this router's SAM v3.1 bridge: streams on the destination kept in DIR/i2p-destination.key, the DHT only through --bridge");
    static final Args.Option SAM_OPTION = Args.Option.repeatable("sam-option", "KEY=VALUE", "I2CP option for the SAM session of --sam or --bridge-sam (repeatable)");
    static final Args.Option BRIDGE = Args.Option.repeatable("bridge", "KEY@H:P|[KEY@]DEST",
            "with --socks5/--sam: a DHT bridge reached through the proxy or router (repeatable; the first that answers is used); through SOCKS5 a bridge not on .onion needs its static KEY");
    static final Args.Option BRIDGE_PORT = Args.Option.value("bridge-port", "P", "also serve DHT bridge clients on this TCP port of the --bind address (hybrid node; 0: any)");
    static final Args.Option BRIDGE_SAM = Args.Option.value("bridge-sam", "IP:PORT",
            "also serve bridge clients over I2P through this SAM bridge, on the destination kept in DIR/i2p-destination.key");

    static final Args.Option DOWNLOAD_RATE = Args.Option.value("download-rate", "RATE", "cap downloads at RATE bytes/s (K, M, G suffixes; default: no cap)");

    static final Args.Option NO_DEFAULT_BOOTSTRAP = Args.Option.flag("no-default-bootstrap",
            "with no --bootstrap and no saved routing table, stay alone instead of joining through the public routers");

    static final Args.Option TOR_CONTROL = Args.Option.value("tor-control", "IP:PORT",
            "make the node's own onion service through this Tor control port (cookie or --tor-password authentication); key kept in DIR/onion-service.key");
    static final Args.Option TOR_PASSWORD = Args.Option.value("tor-password", "PASS", "password of the Tor control port (HashedControlPassword)");

    static final List<Args.Option> ALL = List.of(DHT_PORT, LISTEN_PORT, BIND, BOOTSTRAP, NO_DEFAULT_BOOTSTRAP, POLL, DOWNLOAD_RATE, SOCKS5, SOCKS5_USER,
            SOCKS5_PASS, SAM, SAM_OPTION, BRIDGE, BRIDGE_PORT, BRIDGE_SAM, TOR_CONTROL, TOR_PASSWORD);

    /** --tor-control and --tor-password, or null. */
    private static Node.TorService tor(Args args, NetworkMode mode) throws UsageException {
        if (!args.has("tor-control")) {
            if (args.has("tor-password")) throw new UsageException("--tor-password needs --tor-control");
            return null;
        }
        if (mode instanceof NetworkMode.I2p) throw new UsageException("--tor-control does not go with --sam: an I2P node is reached on its I2P destination");
        return new Node.TorService(DhtCommand.ipAndPort("--tor-control", args.require("tor-control")), args.get("tor-password").orElse(null));
    }

    private NodeOptions() {}

    /** The node's configuration from the command line; {@code defaultPort} when no port is given (0: any). */
    static Daemon.Config config(Args args, Path dataDir, int defaultPort, boolean gateway) throws UsageException {
        NetworkMode mode = mode(args);
        long poll = args.longValue("poll-interval", Daemon.DEFAULT_POLL_INTERVAL.toSeconds(), 0, 86_400L * 7);
        Duration pollInterval = poll == 0 ? null : Duration.ofSeconds(poll);
        if (!(mode instanceof NetworkMode.Direct)) {
            // a safe mode: nothing here may open a UDP socket or make the node reachable outside loopback
            if (!args.all("bootstrap").isEmpty()) throw new UsageException("--bootstrap is refused with --" + mode.label()
                    + ": a safe-mode node reaches the DHT only through --bridge (no UDP socket)");
            if (args.has("dht-port")) throw new UsageException("--dht-port is refused with --" + mode.label() + ": a safe-mode node opens no UDP socket");
            if (args.has("bridge-port") || args.has("bridge-sam"))
                throw new UsageException("--" + (args.has("bridge-port") ? "bridge-port" : "bridge-sam") + " needs a direct node (its UDP DHT node is what a bridge offers)");
            InetAddress bind = literal("--bind", args.get("bind").orElse("127.0.0.1"));
            if (!bind.isLoopbackAddress()) throw new UsageException("--bind " + bind.getHostAddress()
                    + " is refused with --" + mode.label() + ": a safe-mode node listens on loopback only (the target of an onion service)");
            int listenPort = (int) args.longValue("listen-port", 0, 0, 65535);
            InetSocketAddress none = new InetSocketAddress(bind, 0);
            return new Daemon.Config(dataDir, none, new InetSocketAddress(bind, listenPort), List.of(), gateway, pollInterval, null, mode, null, tor(args, mode));
        }
        InetAddress bind;
        try {
            bind = InetAddress.getByName(args.get("bind").orElse("0.0.0.0"));
        } catch (UnknownHostException e) {
            throw new UsageException("--bind: not an address: " + args.get("bind").orElse(""));
        }
        int dhtPort = (int) args.longValue("dht-port", defaultPort, 0, 65535);
        int listenPort = (int) args.longValue("listen-port", args.has("dht-port") ? dhtPort : defaultPort, 0, 65535);
        List<InetSocketAddress> bootstrap = new ArrayList<>(DhtCommand.bootstrap(args));
        Node.BridgeOffer offer = null;
        if (args.has("bridge-port") || args.has("bridge-sam")) {
            Integer bridgePort = args.has("bridge-port") ? (int) args.longValue("bridge-port", 0, 0, 65535) : null;
            InetSocketAddress bridgeSam = args.has("bridge-sam") ? DhtCommand.ipAndPort("--bridge-sam", args.require("bridge-sam")) : null;
            offer = new Node.BridgeOffer(bridgePort, bridgeSam, DhtCommand.samOptions(args));
        } else if (!args.all("sam-option").isEmpty()) {
            throw new UsageException("--sam-option needs --sam or --bridge-sam");
        }
        long rate = args.has("download-rate") ? SubscribeCommand.parseSize("--download-rate", args.require("download-rate")) : 0;
        return new Daemon.Config(dataDir, new InetSocketAddress(bind, dhtPort), new InetSocketAddress(bind, listenPort), bootstrap, gateway,
                pollInterval, null, NetworkMode.DIRECT, offer, tor(args, mode), rate, !args.has("no-default-bootstrap"));
    }

    /** Direct, or a safe mode from --socks5 / --sam with its bridges. */
    static NetworkMode mode(Args args) throws UsageException {
        boolean socks = args.has("socks5");
        boolean sam = args.has("sam");
        if (socks && sam) throw new UsageException("--socks5 and --sam are mutually exclusive: a node runs behind one of them");
        if (!socks && (args.has("socks5-user") || args.has("socks5-pass"))) throw new UsageException("--socks5-user and --socks5-pass need --socks5");
        if (!socks && !sam) {
            if (!args.all("bridge").isEmpty()) throw new UsageException("--bridge needs --socks5 or --sam: a direct node reaches the DHT over UDP");
            return NetworkMode.DIRECT;
        }
        List<PeerTarget> bridges = new ArrayList<>();
        for (String b : args.all("bridge")) {
            PeerTarget t;
            try {
                t = PeerTarget.parse(b);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--bridge: " + e.getMessage());
            }
            if (sam && !t.address().isI2p()) throw new UsageException("--bridge " + t.address() + " is not an I2P destination: with --sam only those are reached");
            if (socks && t.address().isI2p()) throw new UsageException("--bridge " + t.address() + " is an I2P destination: it needs --sam");
            // a Tor exit could answer for a clearnet bridge; an onion or I2P address authenticates its holder itself
            if (socks && t.staticKey() == null && !t.address().isOnion())
                throw new UsageException("--bridge " + t.address() + " needs its static key (KEY@HOST:PORT) behind a proxy: without it an exit relay could pose as the bridge");
            bridges.add(t);
        }
        if (bridges.isEmpty()) throw new UsageException("--" + (socks ? "socks5" : "sam") + " needs at least one --bridge: a safe-mode node reaches the DHT only through bridges");
        if (sam) {
            if (args.has("socks5-user") || args.has("socks5-pass")) throw new UsageException("--socks5-user and --socks5-pass need --socks5");
            return new NetworkMode.I2p(DhtCommand.ipAndPort("--sam", args.require("sam")), DhtCommand.samOptions(args), bridges);
        }
        if (!args.all("sam-option").isEmpty()) throw new UsageException("--sam-option needs --sam or --bridge-sam");
        if (args.has("socks5-user") != args.has("socks5-pass")) throw new UsageException("--socks5-user and --socks5-pass go together");
        Socks5Credentials credentials = null;
        if (args.has("socks5-user")) {
            try {
                credentials = new Socks5Credentials(args.require("socks5-user"), args.require("socks5-pass"));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--socks5-user/--socks5-pass: " + e.getMessage());
            }
        }
        return new NetworkMode.Socks5(DhtCommand.ipAndPort("--socks5", args.require("socks5")), credentials, bridges);
    }

    /** An IP literal, parsed without any name lookup. */
    private static InetAddress literal(String flag, String text) throws UsageException {
        byte[] ip = new io.megatorrent.transport.PeerAddress(text.isEmpty() ? "?" : text, 0).ipAddress();
        if (ip == null) throw new UsageException(flag + " wants an IP address (nothing is looked up in a safe mode), got '" + text + "'");
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new UsageException(flag + ": bad IP address '" + text + "'");
        }
    }
}
