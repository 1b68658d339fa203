package io.megatorrent.cli;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.http.ApiServer;
import io.megatorrent.node.Daemon;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code megatorrent serve}: the long-running node. */
final class ServeCommand extends OptionCommand {
    private static final System.Logger LOG = System.getLogger(ServeCommand.class.getName());
    static final int DEFAULT_PORT = 6881;

    ServeCommand() {
        super("serve", "run a node: DHT, listener, subscriptions, seeding, local API", "[-d DIR] [--dht-port P] [--listen-port P] [--bind ADDR] [--bootstrap H:P ...] [--rpc-port P] [--gateway]"
                + " [--bridge-port P] [--bridge-sam IP:PORT] | [--socks5 IP:PORT | --sam IP:PORT] --bridge KEY@H:P ...");
    }

    @Override
    List<Args.Option> options() {
        List<Args.Option> o = new ArrayList<>(NodeOptions.ALL);
        o.add(Args.Option.value("rpc-port", "P", "TCP port of the local API (default: any free port; DIR/api.json names it)"));
        o.add(Args.Option.value("rpc-bind", "ADDR", "address of the local API (default 127.0.0.1; anything else is reachable by others: the token still guards it)"));
        o.add(Args.Option.flag("gateway", "accept MSG_PUBLISH from peers and store their checked items in the DHT"));
        return DataDir.with(o);
    }

    @Override
    String description() {
        return """
                Runs one node on DIR until SIGTERM or SIGINT: the DHT node (UDP), the Noise listener
                (TCP; it also answers bridged DHT clients), the blob store, the channels it follows
                and publishes, seeding (blob announces, pointer re-puts) and the local API.
                Once the listeners and the API are open it prints one JSON line on stdout:
                  {"id","dhtPort","listenPort","staticKey","rpc"}
                then logs on stderr. Before joining the DHT it writes DIR/api.json (mode 0600):
                {"url","token","pid"}, which publish, subscribe, status, downloads, unsubscribe
                and gc use to hand their work to this node. A second serve on the same DIR
                refuses to start (exit 1). Restarted, it takes up every subscription, download
                and published channel where it stood.
                Hybrid: --bridge-port P adds a DHT-only bridge listener with the same static key
                (printed as "bridgePort"), --bridge-sam IP:PORT serves bridge clients over I2P
                (printed as "bridgeI2p").
                Safe mode: with --socks5 IP:PORT (Tor) or --sam IP:PORT (I2P) the node opens no UDP
                socket and looks no name up: every peer is dialled through the proxy or router and
                the DHT is reached only through --bridge (repeatable). --bootstrap and --dht-port
                are refused (exit 2), bootstrap nodes in URIs are ignored, --bind must be loopback.
                Behind SOCKS5 each peer stream carries its own isolation credentials unless
                --socks5-user/--socks5-pass are given, each connection a fresh static key, and
                MSG_HELLO no listen port. With --sam the node also accepts peers on its I2P
                destination (DIR/i2p-destination.key, printed as "i2p"). The JSON line then says
                "mode" and has no "dhtPort".
                --tor-control IP:PORT makes the node's own onion service (ED25519-V3, port 6881 of the
                .onion to the Noise listener) through Tor's control port, authenticating with the
                cookie file Tor names or --tor-password; the key stays in DIR/onion-service.key
                (0600) so the address is the same after a restart; printed as "onion"; announced
                to the bridges in safe mode; deleted from Tor when the node stops.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        Path dir = DataDir.resolve(args);
        Daemon.Config config = NodeOptions.config(args, dir, DEFAULT_PORT, args.has("gateway"));
        InetAddress rpcBind = InetAddress.getByName(args.get("rpc-bind").orElse("127.0.0.1"));
        if (!rpcBind.isLoopbackAddress()) LOG.log(System.Logger.Level.WARNING, "the local API listens on " + rpcBind.getHostAddress() + ", not on loopback: others can reach it (the token still guards it)");
        int rpcPort = (int) args.longValue("rpc-port", 0, 0, 65535);
        Daemon daemon;
        try {
            daemon = Daemon.open(config);
        } catch (IOException e) {
            err.println("megatorrent serve: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        ApiServer api;
        try {
            api = ApiServer.start(daemon, new InetSocketAddress(rpcBind, rpcPort), dir);
        } catch (IOException e) {
            daemon.close();
            throw new IOException("cannot open the local API on " + rpcBind.getHostAddress() + ":" + rpcPort + ": " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            api.close();
            daemon.close();
        }, "megatorrent-shutdown"));
        daemon.start();
        io.megatorrent.node.Node node = daemon.node();
        JsonObject.Builder line = JsonObject.builder().put("id", node.dhtId().toString());
        if (node.hasUdpSocket()) line.put("dhtPort", node.udpAddress().getPort());
        line.put("listenPort", node.listenAddress().getPort())
                .put("staticKey", Hex.encode(node.staticPublicKey()))
                .put("rpc", api.url());
        if (!node.hasUdpSocket()) line.put("mode", node.mode().label());
        if (node.bridgePort() != null) line.put("bridgePort", node.bridgePort());
        if (node.i2pAddress() != null) line.put(node.hasUdpSocket() ? "bridgeI2p" : "i2p", node.i2pAddress());
        if (node.onionAddress() != null) line.put("onion", node.onionAddress() + ":" + io.megatorrent.node.Node.ONION_PORT);
        out.println(Json.write(line.build()));
        out.flush();
        // Runs until the process is signalled: the shutdown hook saves and closes everything.
        new CountDownLatch(1).await();
        return ExitCodes.OK;
    }
}
