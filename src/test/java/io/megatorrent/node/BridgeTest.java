package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.BValue;
import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.Bep44;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtClient;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.KrpcException;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.dht.NodeInfo;
import io.megatorrent.transport.HandshakePolicy;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Framing;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.Noise;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DHT over TCP (PROTOCOL_FINAL.md 7): a bridge node and four UDP nodes on loopback; clients
 * with no UDP socket reach the DHT through the bridge, and what they store is seen by the UDP
 * nodes and the other way round.
 */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeTest {
    static final Duration T = Duration.ofSeconds(5);
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static final List<DhtNode> udpNodes = new ArrayList<>();
    static DhtNode bridgeDht;
    static BridgeService bridgeService;
    static Listener bridgeListener;
    static X25519.KeyPair bridgeKey = X25519.generate();

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 4; i++) udpNodes.add(DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0))));
        bridgeDht = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0)));
        InetSocketAddress first = udpNodes.get(0).localAddress();
        for (int i = 1; i < udpNodes.size(); i++) udpNodes.get(i).bootstrap(List.of(first), T);
        bridgeDht.bootstrap(List.of(first), T);
        udpNodes.get(0).bootstrap(List.of(udpNodes.get(1).localAddress()), T);
        bridgeService = new BridgeService(bridgeDht, true);
        bridgeListener = Listener.open(new InetSocketAddress(LOOPBACK, 0), bridgeKey, Connection.Timeouts.DEFAULT,
                new BlobServer(id -> null, () -> 0, bridgeService));
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridgeListener != null) bridgeListener.close();
        if (bridgeDht != null) bridgeDht.close();
        for (DhtNode n : udpNodes) n.close();
    }

    static PeerTarget bridgeTarget() throws IOException {
        return new PeerTarget(bridgeKey.publicKey(), new PeerAddress("127.0.0.1", bridgeListener.localAddress().getPort()));
    }

    static BridgeTransport connect() throws IOException {
        return BridgeTransport.connect(new TcpDialer(), bridgeTarget(), X25519.generate(), T);
    }

    static DhtClient client(BridgeTransport t) throws Exception {
        DhtClient c = new DhtClient(t);
        c.bootstrap();
        return c;
    }

    @Test
    void bridgedClientSeesTheDhtThroughTheBridge() throws Exception {
        try (BridgeTransport t = connect()) {
            DhtClient c = client(t);
            assertEquals(bridgeDht.id(), c.bridgeId());
            assertTrue(HandshakePolicy.KnownHybridPeers.PROCESS.contains(bridgeKey.publicKey()), "DHT over TCP ran the hybrid handshake");
            // the bridge's node handed out the other nodes as seeds: a find_node through it reaches them
            KrpcMessage.Response r = t.query(DhtClient.BRIDGE_NODE, new KrpcMessage.FindNode(c.id(), c.id()));
            assertTrue(((KrpcMessage.FindNodeResponse) r).nodes().size() >= 4, String.valueOf(r));
        }
    }

    @Test
    void mutableItemsTravelBothWays() throws Exception {
        byte[] seedA = new byte[32];
        seedA[0] = 1;
        byte[] seedB = new byte[32];
        seedB[0] = 2;
        byte[] salt = "bridge".getBytes(StandardCharsets.UTF_8);
        try (BridgeTransport t = connect()) {
            DhtClient c = client(t);
            DhtNode.PutResult put = c.putMutable(seedA, salt, BBytes.of("from the bridged client"), null, T);
            assertTrue(put.stored() >= 4, "stored at " + put.stored());
            Optional<DhtNode.Item> seen = udpNodes.get(3).getMutable(Ed25519.fromSeed(seedA).publicKey(), salt, T);
            assertEquals(BBytes.of("from the bridged client"), seen.orElseThrow().value());

            assertTrue(udpNodes.get(2).putMutable(seedB, new byte[0], BBytes.of("from UDP"), 7L, T).stored() >= 4);
            DhtNode.Item got = c.getMutable(Ed25519.fromSeed(seedB).publicKey(), new byte[0], T).orElseThrow();
            assertEquals(BBytes.of("from UDP"), got.value());
            assertEquals(7, got.seq());
            // the next put without --seq goes one above what was found
            assertEquals(8, c.putMutable(seedB, new byte[0], BBytes.of("updated"), null, T).seq());
            assertEquals(BBytes.of("updated"), udpNodes.get(0).getMutable(Ed25519.fromSeed(seedB).publicKey(), new byte[0], T).orElseThrow().value());
        }
    }

    @Test
    void immutableItemsTravelBothWays() throws Exception {
        try (BridgeTransport t = connect()) {
            DhtClient c = client(t);
            BValue v = BBytes.of("immutable through a bridge");
            DhtNode.PutResult put = c.putImmutable(v, T);
            assertTrue(put.stored() >= 4);
            assertEquals(v, udpNodes.get(1).getImmutable(put.target(), T).orElseThrow().value());

            BValue w = BBytes.of("immutable from UDP");
            NodeId target = udpNodes.get(2).putImmutable(w, T).target();
            assertEquals(w, c.getImmutable(target, T).orElseThrow().value());
            assertTrue(c.getImmutable(new NodeId(new byte[20]), Duration.ofSeconds(2)).isEmpty());
        }
    }

    @Test
    void announceAndGetPeersBothWays() throws Exception {
        NodeId fromClient = NodeId.random();
        NodeId fromUdp = NodeId.random();
        try (BridgeTransport t = connect()) {
            DhtClient c = client(t);
            assertEquals(1, c.announce(fromClient, 6881, T));
            // the bridge stored the address the client's TCP stream comes from, with its explicit port
            List<InetSocketAddress> peers = udpNodes.get(3).getPeers(fromClient, T);
            assertEquals(List.of(new InetSocketAddress(LOOPBACK, 6881)), peers);

            assertTrue(udpNodes.get(1).announce(fromUdp, 7000, T) >= 4);
            assertEquals(List.of(new InetSocketAddress(LOOPBACK, 7000)), c.getPeers(fromUdp, T));
            assertThrows(IllegalArgumentException.class, () -> c.announce(fromClient, 0, T));
        }
    }

    @Test
    void forwardsToANamedNodeReadOnly() throws Exception {
        DhtNode target = udpNodes.get(2);
        try (BridgeTransport t = connect()) {
            NodeId me = NodeId.random();
            KrpcMessage.Response r = t.query(target.localAddress(), new KrpcMessage.Ping(me));
            assertEquals(target.id(), r.id());
            KrpcMessage.Response f = t.query(target.localAddress(), new KrpcMessage.FindNode(me, me));
            assertFalse(((KrpcMessage.FindNodeResponse) f).nodes().isEmpty());
            DhtClient c = client(t);
            // bridged clients enter no routing table: neither the bridge's nor the forwarded-to node's
            for (DhtNode n : List.of(target, bridgeDht)) {
                for (NodeInfo known : n.knownNodes()) {
                    assertNotEquals(me, known.id());
                    assertNotEquals(c.id(), known.id());
                }
            }
            // a KRPC error from the named node comes back as a KRPC error
            KrpcException bad = assertThrows(KrpcException.class, () -> t.query(target.localAddress(),
                    new KrpcMessage.Put(me, new byte[] {1, 2, 3}, BBytes.of("x"), null, null, 0, null, null)));
            assertEquals(KrpcException.PROTOCOL, bad.code());
        }
    }

    @Test
    void tokensAreBoundToTheConnection() throws Exception {
        try (BridgeTransport a = connect(); BridgeTransport b = connect()) {
            NodeId me = NodeId.random();
            BValue v = BBytes.of("token test");
            NodeId target = new NodeId(Bep44.immutableTarget(io.megatorrent.codec.Bencode.encode(v)));
            byte[] token = ((KrpcMessage.GetResponse) a.query(DhtClient.BRIDGE_NODE, new KrpcMessage.Get(me, target, null))).token();
            KrpcMessage.Put put = new KrpcMessage.Put(me, token, v, null, null, 0, null, null);
            KrpcException e = assertThrows(KrpcException.class, () -> b.query(DhtClient.BRIDGE_NODE, put));
            assertEquals(KrpcException.PROTOCOL, e.code());
            assertTrue(e.getMessage().contains("bad token"), e.getMessage());
            // nor does a UDP node that sends the same token from its own address get it accepted
            KrpcException udp = assertThrows(KrpcException.class, () -> udpNodes.get(0).query(bridgeDht.localAddress(), put));
            assertEquals(KrpcException.PROTOCOL, udp.code());
            assertInstanceOf(KrpcMessage.PutResponse.class, a.query(DhtClient.BRIDGE_NODE, put));
        }
    }

    @Test
    void policyRefusals() throws Exception {
        try (BridgeTransport t = connect()) {
            NodeId me = NodeId.random();
            NodeId ih = NodeId.random();
            byte[] token = ((KrpcMessage.GetPeersResponse) t.query(DhtClient.BRIDGE_NODE, new KrpcMessage.GetPeers(me, ih))).token();
            // implied_port: the TCP source port is no listening port
            IOException implied = assertThrows(IOException.class,
                    () -> t.query(DhtClient.BRIDGE_NODE, new KrpcMessage.AnnouncePeer(me, ih, 0, true, token)));
            assertTrue(implied.getMessage().contains("code 5"), implied.getMessage());
            // announce_peer is never forwarded: the named node would store the bridge's address
            IOException forwarded = assertThrows(IOException.class,
                    () -> t.query(udpNodes.get(0).localAddress(), new KrpcMessage.AnnouncePeer(me, ih, 6881, false, token)));
            assertTrue(forwarded.getMessage().contains("code 5"), forwarded.getMessage());
            // nothing was stored by either
            assertTrue(udpNodes.get(0).getPeers(ih, Duration.ofSeconds(2)).isEmpty());
            // an IPv6 node cannot be reached from this IPv4 bridge
            IOException v6 = assertThrows(IOException.class,
                    () -> t.query(new InetSocketAddress(InetAddress.getByName("::1"), 6881), new KrpcMessage.Ping(me)));
            assertTrue(v6.getMessage().contains("code 5"), v6.getMessage());
        }
    }

    /** A bridge on a public address must not forward to loopback or private ones (checked at the DhtBridge level). */
    @Test
    void publicBridgeRefusesPrivateTargets() throws Exception {
        try (DhtNode any = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0)))) {
            DhtBridge bridge = new DhtBridge(any);
            byte[] ping = DhtBridge.encodeQuery(new byte[] {1}, new KrpcMessage.Ping(NodeId.random()));
            for (String target : List.of("127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.1.1", "255.255.255.255", "224.0.0.1")) {
                DhtBridge.Outcome o = bridge.forward(bridge.newClient(null), new InetSocketAddress(InetAddress.getByName(target), 6881), ping);
                assertInstanceOf(DhtBridge.Outcome.Refused.class, o, target);
            }
        }
    }

    @Test
    void malformedKrpcIsAnsweredAndTheConnectionStays() throws Exception {
        try (Connection c = Connection.connect(new TcpDialer(), bridgeTarget(), X25519.generate(), Connection.Timeouts.DEFAULT)) {
            assertInstanceOf(Message.Hello.class, c.receive());
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            c.send(new Message.DhtQuery(1, null, "not bencode".getBytes(StandardCharsets.US_ASCII)));
            Message.Error e = assertInstanceOf(Message.Error.class, c.receive());
            assertEquals(1, e.requestId());
            assertEquals(Message.Error.BAD_MESSAGE, e.code());
            // a query with a usable t but an unknown method gets the KRPC error 204, as over UDP
            c.send(new Message.DhtQuery(2, null, "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q3:foo1:t2:xy1:y1:qe".getBytes(StandardCharsets.US_ASCII)));
            Message.DhtResponse r = assertInstanceOf(Message.DhtResponse.class, c.receive());
            assertEquals(2, r.requestId());
            assertTrue(new String(r.krpc(), StandardCharsets.ISO_8859_1).contains("i204e"), new String(r.krpc(), StandardCharsets.ISO_8859_1));
            // a response is not a query
            c.send(new Message.DhtQuery(3, null, "d1:rd2:id20:aaaaaaaaaaaaaaaaaaaae1:t2:xy1:y1:re".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(Message.Error.BAD_MESSAGE, assertInstanceOf(Message.Error.class, c.receive()).code());
            // still open: a good query is answered
            c.send(new Message.DhtQuery(4, null, DhtBridge.encodeQuery(new byte[] {9}, new KrpcMessage.Ping(NodeId.random()))));
            assertInstanceOf(Message.DhtResponse.class, c.receive());
        }
    }

    @Test
    void tooManyInFlightIsAnsweredBusy() throws Exception {
        // a UDP socket that never answers: every forwarded query to it waits the full timeout
        try (DatagramChannel silent = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             Connection c = Connection.connect(new TcpDialer(), bridgeTarget(), X25519.generate(), Connection.Timeouts.DEFAULT)) {
            assertInstanceOf(Message.Hello.class, c.receive());
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            InetSocketAddress to = (InetSocketAddress) silent.getLocalAddress();
            int sent = BridgeService.MAX_IN_FLIGHT + 8;
            for (int i = 1; i <= sent; i++)
                c.send(new Message.DhtQuery(i, to, DhtBridge.encodeQuery(new byte[] {(byte) i}, new KrpcMessage.Ping(NodeId.random()))));
            int busy = 0;
            int noAnswer = 0;
            for (int i = 0; i < sent; i++) {
                Message.Error e = assertInstanceOf(Message.Error.class, c.receive());
                if (e.code() == Message.Error.BUSY) busy++;
                else if (e.code() == Message.Error.NOT_FOUND) noAnswer++;
                else fail("unexpected " + e);
            }
            assertEquals(8, busy);
            assertEquals(BridgeService.MAX_IN_FLIGHT, noAnswer);
        }
    }

    @Test
    void queriesBeyondTheRateAreAnsweredBusy() throws Exception {
        try (Connection c = Connection.connect(new TcpDialer(), bridgeTarget(), X25519.generate(), Connection.Timeouts.DEFAULT)) {
            assertInstanceOf(Message.Hello.class, c.receive());
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            // one at a time, so only the rate (not the in-flight bound) can refuse
            int busy = 0;
            for (int i = 1; i <= 2 * BridgeService.RATE_BURST; i++) {
                c.send(new Message.DhtQuery(i, null, DhtBridge.encodeQuery(new byte[] {1}, new KrpcMessage.Ping(NodeId.random()))));
                Message m = c.receive();
                if (m instanceof Message.Error e && e.code() == Message.Error.BUSY) busy++;
                else assertInstanceOf(Message.DhtResponse.class, m, "answered while within the burst");
                if (i == BridgeService.RATE_BURST) assertEquals(0, busy, "the whole burst is answered");
            }
            // the second hundred comes faster than 50 per second refill: most of it is refused
            assertTrue(busy >= BridgeService.RATE_BURST / 2, "busy " + busy);
        }
    }

    @Test
    void oversizeKrpcClosesTheConnection() throws Exception {
        int port = bridgeListener.localAddress().getPort();
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(LOOPBACK, port))) {
            InputStream in = ch.socket().getInputStream();
            Noise.HandshakeState hs = new Noise.HandshakeState(Connection.XX, true, Connection.PROLOGUE, X25519.generate(), null, null);
            write(ch, Connection.firstHandshakeFrame(false, hs.writeMessage(new byte[0])));
            byte[] len = in.readNBytes(2);
            hs.readMessage(in.readNBytes(((len[0] & 0xff) << 8) | (len[1] & 0xff)));
            write(ch, Framing.handshakeFrame(hs.writeMessage(new byte[0])));
            Noise.Transport session = hs.split();
            // MSG_DHT_QUERY, id 1, node_kind 0, a KRPC packet one byte over 2048
            byte[] krpc = new byte[Message.MAX_KRPC_LENGTH + 1];
            byte[] msg = ByteBuffer.allocate(6 + krpc.length).put(Message.DHT_QUERY).putInt(1).put((byte) 0).put(krpc).array();
            write(ch, new Framing.Sealer(session.send()).seal(msg));
            ch.socket().setSoTimeout(5000);
            // the bridge greets with MSG_HELLO, then closes without answering the query
            byte[] rest = in.readAllBytes();
            assertTrue(rest.length < 100, "only the greeting came back, " + rest.length + " bytes");
        }
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) ch.write(b);
    }

    // ---- the CLI ----

    record Run(int code, String out, String err) {}

    static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** UDP sockets this JVM holds open (Linux /proc): its socket fds whose inode is in /proc/net/udp or udp6. */
    static long udpSocketsOpen() throws IOException {
        java.util.Set<String> udpInodes = new java.util.HashSet<>();
        for (String table : List.of("/proc/self/net/udp", "/proc/self/net/udp6")) {
            Path f = Path.of(table);
            if (!java.nio.file.Files.exists(f)) continue;
            List<String> lines = java.nio.file.Files.readAllLines(f); // read once: other processes change the table meanwhile
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length > 9) udpInodes.add(cols[9]);
            }
        }
        long n = 0;
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String link = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[") && udpInodes.contains(link.substring(8, link.length() - 1))) n++;
                } catch (IOException e) {
                    // the fd closed while we listed
                }
            }
        }
        return n;
    }

    /** While a `--bridge` command is waiting on its bridge, this JVM holds no more UDP sockets than before. */
    @Test
    void aBridgedCommandOpensNoUdpSocket() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc");
        java.util.concurrent.CountDownLatch queried = new java.util.concurrent.CountDownLatch(1);
        X25519.KeyPair key = X25519.generate();
        // a bridge that reads the first query and never answers, so the command stays mid-flight
        try (Listener silent = Listener.open(new InetSocketAddress(LOOPBACK, 0), key, Connection.Timeouts.DEFAULT, c -> {
            Message m;
            while ((m = c.receive()) != null) if (m instanceof Message.DhtQuery) queried.countDown();
        })) {
            long before = udpSocketsOpen();
            assertTrue(before >= 5, "the fixture's DHT nodes are counted: " + before);
            String bridge = Hex.encode(key.publicKey()) + "@127.0.0.1:" + silent.localAddress().getPort();
            java.util.concurrent.atomic.AtomicInteger code = new java.util.concurrent.atomic.AtomicInteger(-1);
            Thread cmd = Thread.ofVirtual().start(() -> code.set(run("dht", "get-immutable", "--target", "00".repeat(20), "--bridge", bridge).code()));
            assertTrue(queried.await(10, java.util.concurrent.TimeUnit.SECONDS), "the command sent its first query");
            assertEquals(before, udpSocketsOpen());
            silent.close();
            cmd.join(10_000);
            assertNotEquals(0, code.get(), "no answer: the command fails");
        }
    }

    /** Last: the bridge node it starts joins the DHT and is gone afterwards, which would slow later lookups. */
    @Test
    @Order(Integer.MAX_VALUE)
    void cliThroughABridge(@TempDir Path dir) throws Exception {
        String bridge = Hex.encode(bridgeKey.publicKey()) + "@127.0.0.1:" + bridgeListener.localAddress().getPort();
        String seed = "05".repeat(32);
        String pub = Hex.encode(Ed25519.fromSeed(Hex.decode(seed)).publicKey());
        Run put = run("dht", "put-mutable", "--seed", seed, "--value", "via cli", "--bridge", bridge, "--timeout", "5");
        assertEquals(0, put.code(), put.err());
        assertTrue(Json.parseObject(put.out().strip().getBytes(StandardCharsets.UTF_8)).integer("stored") >= 4, put.out());
        Run get = run("dht", "get-mutable", "--pubkey", pub, "--bridge", bridge, "--timeout", "5");
        assertEquals(0, get.code(), get.err());
        assertEquals("via cli", Json.parseObject(get.out().strip().getBytes(StandardCharsets.UTF_8)).string("value"));
        // the UDP side sees the item too
        assertEquals(BBytes.of("via cli"), udpNodes.get(1).getMutable(Hex.decode(pub), new byte[0], T).orElseThrow().value());

        // a bridge started from the CLI: `dht node --bridge-port 0` prints its port and key
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread node = Thread.ofVirtual().start(() -> Main.run(new String[] {"dht", "node", "--no-warm-up", "--port", "0", "--bind", "127.0.0.1", "-d",
                dir.toString(), "--seconds", "30", "--bridge-port", "0", "--bootstrap", udpNodes.get(0).localAddress().getAddress().getHostAddress()
                + ":" + udpNodes.get(0).localAddress().getPort()}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!out.toString(StandardCharsets.UTF_8).contains("\n")) {
                assertTrue(System.nanoTime() < deadline, "node did not print its line");
                Thread.sleep(10);
            }
            JsonObject hello = Json.parseObject(out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow().getBytes(StandardCharsets.UTF_8));
            String viaCliBridge = hello.string("bridgeKey") + "@127.0.0.1:" + hello.integer("bridgePort");
            Run again = run("dht", "get-mutable", "--pubkey", pub, "--bridge", viaCliBridge, "--timeout", "5");
            assertEquals(0, again.code(), again.err());
            assertEquals("via cli", Json.parseObject(again.out().strip().getBytes(StandardCharsets.UTF_8)).string("value"));
            // a wrong key fails the handshake: the command fails, nothing is printed as found
            String wrongKey = Hex.encode(X25519.generate().publicKey()) + "@127.0.0.1:" + hello.integer("bridgePort");
            assertNotEquals(0, run("dht", "get-mutable", "--pubkey", pub, "--bridge", wrongKey, "--timeout", "5").code());
        } finally {
            node.interrupt();
            node.join(10_000);
        }
        assertEquals(2, run("dht", "get-mutable", "--pubkey", pub, "--bridge", bridge, "--bootstrap", "127.0.0.1:1").code());
        assertEquals(2, run("dht", "get-mutable", "--pubkey", pub, "--socks5", "127.0.0.1:1080").code());
        assertEquals(2, run("dht", "announce", "--infohash", "00".repeat(20), "--bridge", bridge).code());
    }
}
