package io.megatorrent.cli;

import io.megatorrent.node.Daemon;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of commands that run a node on a data folder (serve, and publish/subscribe in the foreground). */
final class NodeOptions {
    static final Args.Option DHT_PORT = Args.Option.value("dht-port", "P", "UDP port of the DHT node (default: 6881 for serve, any free port otherwise)");
    static final Args.Option LISTEN_PORT = Args.Option.value("listen-port", "P", "TCP port of the Noise listener (default: as --dht-port)");
    static final Args.Option BIND = Args.Option.value("bind", "ADDR", "address the DHT and the listener bind to (default 0.0.0.0)");
    static final Args.Option BOOTSTRAP = Args.Option.repeatable("bootstrap", "H:P", "DHT node to join through (repeatable)");
    static final Args.Option POLL = Args.Option.value("poll-interval", "SECONDS",
            "look followed channels up in the DHT this often, jittered by 20% (default 300; 0: never, updates come by gossip)");

    static final Args.Option DOWNLOAD_RATE = Args.Option.value("download-rate", "RATE", "cap downloads at RATE bytes/s (K, M, G suffixes; default: no cap)");

    static final Args.Option NO_DEFAULT_BOOTSTRAP = Args.Option.flag("no-default-bootstrap",
            "with no --bootstrap and no saved routing table, stay alone instead of joining through the public routers");

    static final List<Args.Option> ALL = List.of(DHT_PORT, LISTEN_PORT, BIND, BOOTSTRAP, NO_DEFAULT_BOOTSTRAP, POLL, DOWNLOAD_RATE);

    private NodeOptions() {}

    /** The node's configuration from the command line; {@code defaultPort} when no port is given (0: any). */
    static Daemon.Config config(Args args, Path dataDir, int defaultPort, boolean gateway) throws UsageException {
        InetAddress bind;
        try {
            bind = InetAddress.getByName(args.get("bind").orElse("0.0.0.0"));
        } catch (UnknownHostException e) {
            throw new UsageException("--bind: not an address: " + args.get("bind").orElse(""));
        }
        int dhtPort = (int) args.longValue("dht-port", defaultPort, 0, 65535);
        int listenPort = (int) args.longValue("listen-port", args.has("dht-port") ? dhtPort : defaultPort, 0, 65535);
        long poll = args.longValue("poll-interval", Daemon.DEFAULT_POLL_INTERVAL.toSeconds(), 0, 86_400L * 7);
        List<InetSocketAddress> bootstrap = new ArrayList<>(DhtCommand.bootstrap(args));
        long rate = args.has("download-rate") ? SubscribeCommand.parseSize("--download-rate", args.require("download-rate")) : 0;
        return new Daemon.Config(dataDir, new InetSocketAddress(bind, dhtPort), new InetSocketAddress(bind, listenPort), bootstrap, gateway,
                poll == 0 ? null : Duration.ofSeconds(poll), null, rate, !args.has("no-default-bootstrap"));
    }
}
