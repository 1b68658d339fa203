package io.megatorrent.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BDict;
import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The six interop checks of issue 3 against one other Mainline DHT implementation. Each test
 * class starts its own network on loopback: two of their nodes (T1, T2) and our long-lived
 * {@code dht node} (A), all knowing each other. Our one-shot commands bootstrap from a node of
 * theirs only, so they must walk the network through their answers. Each check then also asks
 * the storing nodes directly ({@link KrpcProbe}) so that it shows which side accepted what:
 * <ol>
 *   <li>our put-mutable is stored by T1 and T2, and T2's get finds it;
 *   <li>T1's mutable put is stored by A, and our get-mutable finds it;
 *   <li>and 4. the same for immutable items;
 *   <li>our announce is stored by T1 and T2, and T2's get_peers finds it;
 *   <li>T1's announce is stored by A, and our get-peers finds it.
 * </ol>
 * Every key, target and infohash is different per check, so the checks do not depend on each
 * other's results. They run their side's stores first, though: a BEP 43 read-only client that
 * stores (our one-shot commands) enters libtorrent's routing table anyway (libtorrent adds every
 * node that presents a valid token), and once it has exited, each later libtorrent lookup that
 * must hear from all of the k closest nodes (a put, an announce, a mutable get) waits out its
 * 15 s query timeout on it. Failures print both sides' logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(90)
abstract class MainlineInteropChecks {
    /** Seed 01 x 32: its Ed25519 public key is 8a88e3dd...6f5c in every implementation. */
    static final String OUR_SEED = "01".repeat(32);
    static final String OUR_PUBKEY = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    static final String THEIR_SEED = "03".repeat(32);
    static final long OUR_SEQ = 7;
    /** Non-ASCII on purpose: --value is stored as the UTF-8 bytes of the string. */
    static final String OUR_MUTABLE_VALUE = "megatorrent mutable: Grüße, 世界";
    static final String OUR_IMMUTABLE_VALUE = "megatorrent immutable: ½ + ¼";
    static final int OUR_ANNOUNCE_PORT = 51413;
    static final int THEIR_ANNOUNCE_PORT = 6889;
    /** How long a network gets to connect, and an asynchronous announce to land. */
    static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);
    static final Duration POLL_INTERVAL = Duration.ofMillis(250);

    private final List<AutoCloseable> started = new ArrayList<>();
    private Path workDir;
    private TheirDhtNode t1;
    private TheirDhtNode t2;
    private OurDht.Node ours;
    private KrpcProbe probe;

    /** Skips (or fails under CI) unless the peer is installed. */
    abstract void requirePeer();

    @BeforeEach
    final void eachTestNeedsThePeer() {
        requirePeer();
    }

    abstract TheirDhtNode startTheirs(String name, Path dir) throws IOException, CodecException;

    /** Short name of their implementation, used in keys and values so networks never mix. */
    abstract String tag();

    /** Whether their implementation is installed here. */
    abstract boolean peerAvailable();

    @BeforeAll
    void startNetwork() throws Exception {
        // Without the peer, each test skips (or fails under CI) by itself in requirePeer, so
        // the report lists all six with the reason instead of an empty class.
        if (!peerAvailable()) return;
        workDir = Files.createTempDirectory("megatorrent-interop-" + tag() + "-");
        timed("starting and connecting the network", () -> {
            startAndConnect();
            return null;
        });
    }

    private void startAndConnect() throws Exception {
        probe = remember(new KrpcProbe());
        t1 = remember(startTheirs(tag() + "-T1", dir("t1")));
        t2 = remember(startTheirs(tag() + "-T2", dir("t2")));
        ours = remember(OurDht.startNode(tag() + "-A", dir("a"), List.of(t1.address(), t2.address())));
        t1.addNode("127.0.0.1", t2.port());
        t2.addNode("127.0.0.1", t1.port());
        t1.addNode("127.0.0.1", ours.port());
        t2.addNode("127.0.0.1", ours.port());
        awaitConnected();
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(workDir.resolve(name));
    }

    private <T extends AutoCloseable> T remember(T resource) {
        started.add(resource);
        return resource;
    }

    /** Until each of their nodes has the two others in its table and ours knows both of theirs. */
    private void awaitConnected() throws Exception {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            int n1 = t1.routingTableSize();
            int n2 = t2.routingTableSize();
            List<Integer> oursKnows = probe.knownNodePorts(ours.port(), randomId());
            state = t1.name() + " has " + n1 + " nodes, " + t2.name() + " has " + n2 + " nodes, our node returns ports "
                    + oursKnows + " (theirs: " + t1.port() + ", " + t2.port() + ")";
            if (n1 >= 2 && n2 >= 2 && oursKnows.contains(t1.port()) && oursKnows.contains(t2.port())) return;
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
        fail("the loopback network did not connect within " + SETTLE_TIMEOUT.toSeconds() + " s: " + state + logs());
    }

    private static byte[] randomId() {
        byte[] id = new byte[20];
        new java.security.SecureRandom().nextBytes(id);
        return id;
    }

    @AfterAll
    void stopNetwork() throws IOException {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("interop: closing " + started.get(i) + " failed: " + e);
            }
        }
        started.clear();
        if (workDir != null) {
            try (Stream<Path> files = Files.walk(workDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException e) {
                System.err.println("interop: could not delete " + workDir + ": " + e);
            }
        }
    }

    /** Both sides' recent logs, for failure messages. */
    private String logs() {
        StringBuilder s = new StringBuilder();
        for (var node : List.of(t1, t2)) {
            if (node != null) s.append("\n--- ").append(node.name()).append(" (").append(node.impl()).append(") stderr:\n")
                    .append(node.stderrTail());
        }
        if (ours != null) s.append("\n--- our node A (").append(ours.address()).append(") stderr:\n").append(ours.stderrTail());
        return s.toString();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bencodedString(String s) {
        return Bencode.encode(new BBytes(utf8(s)));
    }

    interface Step<T> {
        T run() throws Exception;
    }

    /** Runs one step and prints how long it took (figures for the report, never asserted). */
    private <T> T timed(String what, Step<T> step) throws Exception {
        long start = System.nanoTime();
        try {
            return step.run();
        } finally {
            System.out.printf("interop %s: %s took %d ms%n", tag(), what, (System.nanoTime() - start) / 1_000_000);
        }
    }

    private OurDht.Run ourCommand(String command, String... args) throws Exception {
        OurDht.Run run = timed("our " + command, () -> OurDht.dht(command, args));
        if (run.exit() != 0 || run.json() == null) {
            fail("our " + command + " failed against " + t1.impl() + ":\n" + run.describe() + logs());
        }
        return run;
    }

    private String[] bootstrapFromTheirs(String... rest) {
        List<String> args = new ArrayList<>(List.of("--bootstrap", t1.address()));
        args.addAll(List.of(rest));
        return args.toArray(String[]::new);
    }

    /** What node port stores under target, asked directly; fails naming the node when nothing. */
    private BDict storedAt(String who, int port, byte[] target, OurDht.Run ourRun) throws IOException {
        Optional<BDict> item = probe.storedItem(port, target);
        if (item.isEmpty()) {
            fail(who + " (127.0.0.1:" + port + ") does not store item " + Hex.encode(target)
                    + (ourRun == null ? "" : " after\n" + ourRun.describe()) + logs());
        }
        return item.get();
    }

    private static String text(JsonObject o, String key) throws CodecException {
        JsonValue v = o.require(key);
        return v instanceof JsonValue.JsonString s ? s.value() : null;
    }

    @Test
    @Order(4)
    void ourMutablePutIsReadByTheirGet() throws Exception {
        String salt = "megatorrent-" + tag();
        String value = OUR_MUTABLE_VALUE + " → " + tag();
        byte[] target = Hashes.sha1(Hex.decode(OUR_PUBKEY), utf8(salt));
        OurDht.Run put = ourCommand("put-mutable", bootstrapFromTheirs("--seed", OUR_SEED, "--value", value,
                "--salt", salt, "--seq", Long.toString(OUR_SEQ)));
        assertEquals(Hex.encode(target), put.json().string("target"), "target = SHA-1(pubkey + salt)\n" + put.describe());
        assertEquals(OUR_SEQ, put.json().integer("seq"), put.describe());
        for (TheirDhtNode node : List.of(t1, t2)) {
            BDict item = storedAt(node.name() + " (" + node.impl() + ")", node.port(), target, put);
            assertArrayEquals(bencodedString(value), Bencode.encode(item.get("v").orElseThrow()),
                    node.name() + " stores another v");
            assertEquals(OUR_SEQ, item.integer("seq").orElseThrow(), node.name() + " stores another seq");
        }
        assertTrue(put.json().integer("stored") >= 2, "their two nodes stored the put, but we report\n" + put.describe());

        JsonObject got = timed("their get_mutable", () -> t2.getMutable(OUR_PUBKEY, salt));
        assertTrue(got.bool("found"), t2.impl() + " get found nothing: " + got + logs());
        assertEquals(value, text(got, "value"), t2.impl() + " read " + got);
        assertEquals(OUR_SEQ, got.integer("seq"), t2.impl() + " read " + got);
        assertEquals(OUR_PUBKEY, got.string("pubkey"));
    }

    @Test
    @Order(1)
    void theirMutablePutIsReadByOurGet() throws Exception {
        String value = "their mutable value from " + tag() + ": ünïcode ✓";
        JsonObject put = timed("their put_mutable", () -> t1.putMutable(THEIR_SEED, value, "", 3));
        String pubkey = put.string("pubkey");
        assertEquals(Hex.encode(Ed25519.fromSeed(Hex.decode(THEIR_SEED)).publicKey()), pubkey,
                t1.impl() + " derived another public key from the seed");
        long seq = put.integer("seq");
        byte[] target = Hashes.sha1(Hex.decode(pubkey));
        assertEquals(Hex.encode(target), put.string("target"));
        BDict stored = storedAt("our node A", ours.port(), target, null);
        assertEquals(seq, stored.integer("seq").orElseThrow(), "our node stores another seq");
        assertArrayEquals(bencodedString(value), Bencode.encode(stored.get("v").orElseThrow()), "our node stores another v");
        // What our node answers to a get must be what BEP 44 readers need: k, sig, and a token.
        assertEquals(pubkey, Hex.encode(stored.requireBytes("k")), "our node's get answer carries another k");
        assertEquals(put.string("signature"), Hex.encode(stored.requireBytes("sig")), "our node's get answer carries another sig");
        assertTrue(stored.has("token"), "our node's get answer carries no token: " + stored);

        OurDht.Run got = ourCommand("get-mutable", bootstrapFromTheirs("--pubkey", pubkey));
        assertEquals(value, text(got.json(), "value"), got.describe());
        assertEquals(Hex.encode(bencodedString(value)), got.json().string("v_hex"), got.describe());
        assertEquals(seq, got.json().integer("seq"), got.describe());
        assertEquals(pubkey, got.json().string("pubkey"), got.describe());
        assertEquals(put.string("signature"), got.json().string("signature"), got.describe());
    }

    @Test
    @Order(5)
    void ourImmutablePutIsReadByTheirGet() throws Exception {
        String value = OUR_IMMUTABLE_VALUE + " for " + tag();
        byte[] target = Hashes.sha1(bencodedString(value));
        OurDht.Run put = ourCommand("put-immutable", bootstrapFromTheirs("--value", value));
        assertEquals(Hex.encode(target), put.json().string("target"), "target = SHA-1(bencoded v)\n" + put.describe());
        for (TheirDhtNode node : List.of(t1, t2)) {
            BDict item = storedAt(node.name() + " (" + node.impl() + ")", node.port(), target, put);
            assertArrayEquals(bencodedString(value), Bencode.encode(item.get("v").orElseThrow()));
        }
        assertTrue(put.json().integer("stored") >= 2, "their two nodes stored the put, but we report\n" + put.describe());

        JsonObject got = timed("their get_immutable", () -> t2.getImmutable(Hex.encode(target)));
        assertTrue(got.bool("found"), t2.impl() + " get found nothing: " + got + logs());
        assertEquals(value, text(got, "value"), t2.impl() + " read " + got);
    }

    @Test
    @Order(2)
    void theirImmutablePutIsReadByOurGet() throws Exception {
        String value = "their immutable value from " + tag() + ": ✓";
        JsonObject put = timed("their put_immutable", () -> t1.putImmutable(value));
        byte[] target = Hashes.sha1(bencodedString(value));
        assertEquals(Hex.encode(target), put.string("target"));
        BDict stored = storedAt("our node A", ours.port(), target, null);
        assertArrayEquals(bencodedString(value), Bencode.encode(stored.get("v").orElseThrow()), "our node stores another v");

        OurDht.Run got = ourCommand("get-immutable", bootstrapFromTheirs("--target", Hex.encode(target)));
        assertEquals(value, text(got.json(), "value"), got.describe());
        assertEquals(Hex.encode(bencodedString(value)), got.json().string("v_hex"), got.describe());
    }

    @Test
    @Order(6)
    void ourAnnounceIsFoundByTheirGetPeers() throws Exception {
        byte[] infohash = Hashes.sha1(utf8("megatorrent interop: our announce to " + tag()));
        String peer = "127.0.0.1:" + OUR_ANNOUNCE_PORT;
        OurDht.Run announce = ourCommand("announce", bootstrapFromTheirs("--infohash", Hex.encode(infohash),
                "--announce-port", Integer.toString(OUR_ANNOUNCE_PORT)));
        assertEquals(Hex.encode(infohash), announce.json().string("infohash"), announce.describe());
        for (TheirDhtNode node : List.of(t1, t2)) {
            List<String> peers = probe.storedPeers(node.port(), infohash);
            assertTrue(peers.contains(peer), node.name() + " (" + node.impl() + ") stores peers " + peers + ", not " + peer
                    + ", after\n" + announce.describe() + logs());
        }
        assertTrue(announce.json().integer("stored") >= 2,
                "their two nodes stored the announce, but we report\n" + announce.describe());

        List<String> found = timed("their get_peers", () -> t2.getPeers(Hex.encode(infohash)));
        assertTrue(found.contains(peer), t2.impl() + " get_peers found " + found + ", not " + peer + logs());
    }

    @Test
    @Order(3)
    void theirAnnounceIsFoundByOurGetPeers() throws Exception {
        byte[] infohash = Hashes.sha1(utf8("megatorrent interop: their announce from " + tag()));
        JsonObject announce = timed("their announce", () -> t1.announce(Hex.encode(infohash), THEIR_ANNOUNCE_PORT));
        String peer = "127.0.0.1:" + announce.integer("port");
        // libtorrent announces in the background and reports no completion: wait until it lands.
        List<String> atOurs = timed("their announce reaching our node", () -> {
            long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
            List<String> stored = probe.storedPeers(ours.port(), infohash);
            while (!stored.contains(peer) && System.nanoTime() < deadline) {
                Thread.sleep(POLL_INTERVAL.toMillis());
                stored = probe.storedPeers(ours.port(), infohash);
            }
            return stored;
        });
        assertTrue(atOurs.contains(peer), "our node A stores peers " + atOurs + ", not " + peer + " announced by "
                + t1.impl() + " (" + announce + ")" + logs());

        OurDht.Run got = ourCommand("get-peers", bootstrapFromTheirs("--infohash", Hex.encode(infohash)));
        List<String> peers = new ArrayList<>();
        for (JsonValue v : got.json().array("peers").items()) {
            if (v instanceof JsonValue.JsonString s) peers.add(s.value());
        }
        assertTrue(peers.contains(peer), "our get-peers found " + peers + ", not " + peer + "\n" + got.describe());
    }
}
