package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtClient;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.Peers;
import io.megatorrent.transport.HandshakePolicy;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.socks5.Socks5Credentials;
import io.megatorrent.transport.socks5.Socks5Dialer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridged client through a real SOCKS5 proxy (microsocks, with RFC 1929 auth), the way a
 * node behind Tor reaches a bridge: the bridge is named, and the proxy resolves the name.
 */
@Timeout(60)
class BridgeSocks5Test {
    static final Duration T = Duration.ofSeconds(5);
    static final Socks5Credentials USER = new Socks5Credentials("mt-bridge", "mt-secret-2");
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    static Path dir;
    static Process microsocks;
    static Path log;
    static int proxyPort;
    static final List<DhtNode> udpNodes = new ArrayList<>();
    static DhtNode bridgeDht;
    static Listener bridgeListener;
    static final X25519.KeyPair bridgeKey = X25519.generate();

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        startMicrosocks();
        for (int i = 0; i < 3; i++) udpNodes.add(DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0))));
        bridgeDht = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0)));
        InetSocketAddress first = udpNodes.get(0).localAddress();
        for (int i = 1; i < udpNodes.size(); i++) udpNodes.get(i).bootstrap(List.of(first), T);
        bridgeDht.bootstrap(List.of(first), T);
        bridgeListener = Listener.open(new InetSocketAddress(LOOPBACK, 0), bridgeKey, Connection.Timeouts.DEFAULT,
                new BlobServer(id -> null, () -> 0, new BridgeService(bridgeDht, true)));
    }

    /** On a free port; another test may take the port between probe and bind: then another try. */
    private static void startMicrosocks() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            proxyPort = Peers.freePort();
            log = dir.resolve("microsocks-" + proxyPort + ".log");
            microsocks = new ProcessBuilder("microsocks", "-i", "127.0.0.1", "-p", Integer.toString(proxyPort),
                    "-u", USER.username(), "-P", USER.password()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (microsocks.isAlive() && System.nanoTime() < deadline) {
                try (Socket s = new Socket(LOOPBACK, proxyPort)) {
                    return;
                } catch (IOException e) {
                    Thread.sleep(20);
                }
            }
            microsocks.destroy();
            microsocks.waitFor();
        }
        fail("microsocks did not start: " + Files.readString(log));
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridgeListener != null) bridgeListener.close();
        if (bridgeDht != null) bridgeDht.close();
        for (DhtNode n : udpNodes) n.close();
        if (microsocks != null) {
            microsocks.destroy();
            if (!microsocks.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) microsocks.destroyForcibly();
        }
    }

    private static void assertProxied(String expected) throws Exception {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!Files.readString(log).contains(expected) && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(Files.readString(log).contains(expected), "microsocks log lacks '" + expected + "':\n" + Files.readString(log));
    }

    @Test
    void bridgedClientThroughSocks5() throws Exception {
        int port = bridgeListener.localAddress().getPort();
        Socks5Dialer dialer = Socks5Dialer.withCredentials(new InetSocketAddress(LOOPBACK, proxyPort), USER);
        PeerTarget bridge = new PeerTarget(bridgeKey.publicKey(), new PeerAddress("localhost", port));
        try (BridgeTransport t = BridgeTransport.connect(dialer, bridge, X25519.generate(), T)) {
            // microsocks logs the target as the client sent it: the name, so the proxy resolved it
            assertProxied("connected to localhost:" + port);
            assertTrue(HandshakePolicy.KnownHybridPeers.PROCESS.contains(bridgeKey.publicKey()), "the session through SOCKS5 ran the hybrid handshake");
            DhtClient c = new DhtClient(t);
            c.bootstrap();
            NodeId target = c.putImmutable(BBytes.of("through socks5"), T).target();
            assertEquals(BBytes.of("through socks5"), udpNodes.get(2).getImmutable(target, T).orElseThrow().value());
            NodeId ih = NodeId.random();
            assertTrue(udpNodes.get(1).announce(ih, 7001, T) > 0);
            assertEquals(List.of(new InetSocketAddress(LOOPBACK, 7001)), c.getPeers(ih, T));
        }
    }

    @Test
    void cliThroughSocks5() throws Exception {
        String bridge = Hex.encode(bridgeKey.publicKey()) + "@localhost:" + bridgeListener.localAddress().getPort();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"dht", "put-immutable", "--value", "cli through socks5", "--bridge", bridge,
                "--socks5", "127.0.0.1:" + proxyPort, "--socks5-user", USER.username(), "--socks5-pass", USER.password(), "--timeout", "5"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        JsonObject r = Json.parseObject(out.toString(StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8));
        assertTrue(r.integer("stored") > 0);
        NodeId target = new NodeId(Hex.decode(r.string("target")));
        assertEquals(BBytes.of("cli through socks5"), udpNodes.get(0).getImmutable(target, T).orElseThrow().value());
        // a wrong password: microsocks refuses, the command fails
        int refused = Main.run(new String[] {"dht", "get-immutable", "--target", r.string("target"), "--bridge", bridge,
                "--socks5", "127.0.0.1:" + proxyPort, "--socks5-user", USER.username(), "--socks5-pass", "wrong", "--timeout", "5"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertNotEquals(0, refused);
    }
}
