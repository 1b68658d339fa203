package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.SecretFile;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.Peers;
import io.megatorrent.transport.HandshakePolicy;
import io.megatorrent.transport.sam.I2pDestination;
import io.megatorrent.transport.sam.I2pdRouter;
import io.megatorrent.transport.sam.SamBridge;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DHT over TCP through I2P, end to end with a real i2pd offline on loopback
 * (PROTOCOL_FINAL.md 5.3, 7): {@code megatorrent dht node --bridge-sam} serves bridged clients
 * over I2P, and one-shot {@code dht} commands with {@code --sam --bridge NAME.b32.i2p} and no UDP
 * socket put and get mutable items through it; three UDP nodes see what they store.
 *
 * <p>i2pd answers every SESSION CREATE after ~20 s offline, and each command makes its own
 * transient session, so the bridge's session and the clients' are all created at once: the
 * bridge's destination is generated beforehand into its data folder, so its name is known
 * before its session exists. For the same reason the commands run side by side on different
 * items (the put's item is read by a UDP node, the get reads a UDP node's item) rather than a
 * get after the put, which would cost another 20 s session.
 */
@Timeout(150)
class BridgeI2pTest {
    static final Duration T = Duration.ofSeconds(5);
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** The zero-hop, lease-set-1 options an offline router needs, as the CLI takes them. */
    static final List<String> SAM_OPTIONS = samOptionArgs(I2pdRouter.SESSION_OPTIONS);

    @TempDir
    static Path dir;
    static I2pdRouter i2pd;
    static final List<DhtNode> udpNodes = new ArrayList<>();
    static Thread bridgeNode;
    static final ByteArrayOutputStream bridgeOut = new ByteArrayOutputStream();
    static final ByteArrayOutputStream bridgeErr = new ByteArrayOutputStream();
    static String bridgeB32;

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.hasExecutable("i2pd"), "i2pd", "apt-get install i2pd");
        i2pd = I2pdRouter.start(dir);
        for (int i = 0; i < 3; i++) udpNodes.add(DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0))));
        InetSocketAddress first = udpNodes.get(0).localAddress();
        for (int i = 1; i < udpNodes.size(); i++) udpNodes.get(i).bootstrap(List.of(first), T);
        udpNodes.get(0).bootstrap(List.of(udpNodes.get(1).localAddress()), T);

        // the bridge's I2P destination, made now so clients can name it while its session is being created
        Path bridgeDir = dir.resolve("bridge");
        java.nio.file.Files.createDirectories(bridgeDir);
        SamBridge.GeneratedDestination dest = i2pd.sam().generateDestination(T);
        SecretFile.write(bridgeDir.resolve("i2p-destination.key"), (dest.privateBase64() + "\n").getBytes(StandardCharsets.US_ASCII), false);
        bridgeB32 = I2pDestination.b32Of(dest.publicBase64());

        List<String> argv = new ArrayList<>(List.of("dht", "node", "--no-warm-up", "--bind", "127.0.0.1", "--port", "0", "-d", bridgeDir.toString(),
                "--bootstrap", "127.0.0.1:" + first.getPort(), "--bridge-sam", i2pd.samAddress(), "--seconds", "300"));
        argv.addAll(SAM_OPTIONS);
        PrintStream out = new PrintStream(bridgeOut, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(bridgeErr, true, StandardCharsets.UTF_8);
        // stopped by interrupting its sleep: the command then closes its session, listener and node
        bridgeNode = Thread.ofPlatform().name("bridge-node").start(() -> Main.run(argv.toArray(String[]::new), out, err));
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridgeNode != null) {
            bridgeNode.interrupt();
            bridgeNode.join(Duration.ofSeconds(15));
        }
        for (DhtNode n : udpNodes) n.close();
        if (i2pd != null) i2pd.close(); // SIGTERM, then SIGKILL after a grace period, by PID
        assertFalse(bridgeNode != null && bridgeNode.isAlive(), "the bridge node did not stop");
        assertFalse(i2pd != null && i2pd.alive(), "i2pd did not stop");
    }

    private static List<String> samOptionArgs(Map<String, String> options) {
        List<String> args = new ArrayList<>();
        for (var e : options.entrySet()) args.addAll(List.of("--sam-option", e.getKey() + "=" + e.getValue()));
        return args;
    }

    record Run(int code, String out, String err) {
        JsonObject json() throws Exception {
            return Json.parseObject(out.strip().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A one-shot command through the bridge over I2P: --sam, --bridge NAME.b32.i2p, no UDP. */
    private static Run bridged(String... command) {
        List<String> argv = new ArrayList<>(List.of("dht"));
        argv.addAll(List.of(command));
        argv.addAll(List.of("--sam", i2pd.samAddress(), "--bridge", bridgeB32, "--timeout", "20"));
        argv.addAll(SAM_OPTIONS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void bridgedClientsPutAndGetOverI2pAndUdpNodesSeeIt() throws Exception {
        long started = System.nanoTime();
        byte[] seedA = new byte[32];
        seedA[0] = 0x1a;
        byte[] seedB = new byte[32];
        seedB[0] = 0x2b;
        byte[] pubA = Ed25519.fromSeed(seedA).publicKey();
        byte[] pubB = Ed25519.fromSeed(seedB).publicKey();
        byte[] salt = "i2p".getBytes(StandardCharsets.UTF_8);
        assertTrue(udpNodes.get(1).putMutable(seedB, salt, BBytes.of("from UDP"), 5L, T).stored() > 0);
        NodeId infohash = NodeId.random();

        // the client sessions start a moment after the bridge's, so its accept is pending when they dial
        Thread.sleep(1000);
        Run put, get, announce;
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Run> p = pool.submit(() -> bridged("put-mutable", "--seed", Hex.encode(seedA), "--salt", "i2p", "--value", "over I2P"));
            Future<Run> g = pool.submit(() -> bridged("get-mutable", "--pubkey", Hex.encode(pubB), "--salt", "i2p"));
            Future<Run> a = pool.submit(() -> bridged("announce", "--infohash", infohash.toString(), "--announce-port", "7001"));
            put = p.get();
            get = g.get();
            announce = a.get();
        }
        String bridgeLog = "\nbridge node stdout: " + bridgeOut.toString(StandardCharsets.UTF_8) + "\nstderr: " + bridgeErr.toString(StandardCharsets.UTF_8);

        // the node printed the name it serves on
        JsonObject line = Json.parseObject(bridgeOut.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow().getBytes(StandardCharsets.UTF_8));
        assertEquals(bridgeB32, line.string("bridgeI2p"), bridgeLog);
        assertEquals(64, line.string("bridgeKey").length());
        assertTrue(HandshakePolicy.KnownHybridPeers.PROCESS.contains(Hex.decode(line.string("bridgeKey"))), "the sessions over I2P ran the hybrid handshake");
        assertFalse(line.has("bridgePort"), "no TCP bridge port was asked for");

        // bridged client -> UDP: the item stored through I2P is found by a UDP node
        assertEquals(0, put.code(), put.err() + bridgeLog);
        assertTrue(put.json().integer("stored") > 0, put.out());
        DhtNode.Item seen = udpNodes.get(2).getMutable(pubA, salt, T).orElseThrow();
        assertEquals(BBytes.of("over I2P"), seen.value());

        // UDP -> bridged client: what a UDP node stored comes back through I2P
        assertEquals(0, get.code(), get.err() + bridgeLog);
        assertEquals("from UDP", get.json().string("value"));
        assertEquals(5, get.json().integer("seq"));

        // an I2P stream has no IP address: the bridge stores no peer for it (section 7.2)
        assertEquals(1, announce.code(), announce.err() + announce.out());
        assertEquals(0, announce.json().integer("stored"));
        assertTrue(udpNodes.get(0).getPeers(infohash, T).isEmpty(), "nothing was announced");

        System.out.printf("BridgeI2pTest: put, get and announce over I2P, sessions included, in %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    @Test
    void samAndSocks5AreExclusiveAndI2pNeedsSam() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
        String b32 = "a".repeat(52) + ".b32.i2p";
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bridge", b32,
                "--sam", "127.0.0.1:7656", "--socks5", "127.0.0.1:9050"}, ps, ps));
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bridge", b32}, ps, ps));
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bridge", "127.0.0.1:6881",
                "--sam", "127.0.0.1:7656"}, ps, ps));
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bridge", b32,
                "--sam", "localhost:7656"}, ps, ps));
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bridge", b32,
                "--sam", "127.0.0.1:7656", "--sam-option", "novalue"}, ps, ps));
        assertEquals(2, Main.run(new String[] {"dht", "get-immutable", "--target", "00".repeat(20), "--bootstrap", "127.0.0.1:6881",
                "--sam", "127.0.0.1:7656"}, ps, ps));
    }
}
