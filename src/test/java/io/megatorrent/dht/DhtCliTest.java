package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Our CLI against our nodes: three `dht node` processes-in-threads, then every one-shot command. */
@Timeout(120)
class DhtCliTest {
    static final String SEED = "01".repeat(32);
    static final String PUBKEY = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";

    @TempDir
    static Path dir;

    static final List<Thread> nodes = new ArrayList<>();
    static final List<Integer> ports = new ArrayList<>();

    record Run(int code, String out, String err) {
        JsonObject json() throws Exception {
            return Json.parseObject(out.strip().getBytes(StandardCharsets.UTF_8));
        }
    }

    static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void startNodes() throws Exception {
        for (int i = 0; i < 3; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<String> argv = new ArrayList<>(List.of("dht", "node", "--no-warm-up", "--port", "0", "--bind", "127.0.0.1", "-d", dir.resolve("n" + i).toString(), "--seconds", "100"));
            if (i > 0) argv.addAll(List.of("--bootstrap", "127.0.0.1:" + ports.get(0)));
            nodes.add(Thread.ofVirtual().start(() -> Main.run(argv.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), System.err)));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!out.toString(StandardCharsets.UTF_8).contains("\n")) {
                assertTrue(System.nanoTime() < deadline, "node did not print its port");
                Thread.sleep(10);
            }
            JsonObject hello = Json.parseObject(out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow().getBytes(StandardCharsets.UTF_8));
            assertEquals(40, hello.string("id").length());
            ports.add((int) hello.integer("port"));
        }
        Thread.sleep(300); // let the later nodes' bootstrap lookups finish
    }

    @AfterAll
    static void stopNodes() throws Exception {
        for (Thread t : nodes) t.interrupt();
        for (Thread t : nodes) t.join(5000);
        for (int i = 0; i < 3; i++) assertTrue(Files.exists(dir.resolve("n" + i).resolve("dht").resolve(DhtNode.STATE_FILE)), "state persisted");
    }

    static String bootstrap(int i) {
        return "127.0.0.1:" + ports.get(i);
    }

    @Test
    void mutablePutThenGet() throws Exception {
        Run put = run("dht", "put-mutable", "--seed", SEED, "--value", "héllo", "--salt", "cli", "--bootstrap", bootstrap(1), "--timeout", "10");
        assertEquals(0, put.code(), put.err());
        JsonObject p = put.json();
        assertEquals(3, p.integer("stored"));
        assertEquals(PUBKEY, p.string("publicKey"), "the key a get-mutable then asks for");
        long seq = p.integer("seq");
        Run again = run("dht", "put-mutable", "--seed", SEED, "--value", "second", "--salt", "cli", "--bootstrap", bootstrap(2), "--timeout", "10");
        assertEquals(seq + 1, again.json().integer("seq"), "default seq is one above the highest found");
        Run get = run("dht", "get-mutable", "--pubkey", PUBKEY, "--salt", "cli", "--bootstrap", bootstrap(0), "--timeout", "10");
        assertEquals(0, get.code(), get.err());
        JsonObject g = get.json();
        assertEquals("second", g.string("value"));
        assertEquals("363a7365636f6e64", g.string("v_hex"));
        assertEquals(seq + 1, g.integer("seq"));
        assertEquals(PUBKEY, g.string("pubkey"));
        assertEquals(128, g.string("signature").length());
        assertEquals(p.string("target"), io.megatorrent.codec.Hex.encode(Bep44.mutableTarget(io.megatorrent.codec.Hex.decode(PUBKEY), "cli".getBytes())));
    }

    @Test
    void immutablePutThenGet() throws Exception {
        Run put = run("dht", "put-immutable", "--value", "immutable text", "--bootstrap", bootstrap(0), "--timeout", "10");
        assertEquals(0, put.code(), put.err());
        String target = put.json().string("target");
        assertEquals(3, put.json().integer("stored"));
        Run get = run("dht", "get-immutable", "--target", target, "--bootstrap", bootstrap(2), "--timeout", "10");
        assertEquals(0, get.code(), get.err());
        assertEquals("immutable text", get.json().string("value"));
        assertEquals("31343a696d6d757461626c652074657874", get.json().string("v_hex"));
    }

    @Test
    void announceThenGetPeers() throws Exception {
        String infohash = "12".repeat(20);
        Run a = run("dht", "announce", "--infohash", infohash, "--announce-port", "6881", "--bootstrap", bootstrap(1), "--timeout", "10");
        assertEquals(0, a.code(), a.err());
        assertEquals(infohash, a.json().string("infohash"));
        assertEquals(3, a.json().integer("stored"));
        Run implied = run("dht", "announce", "--infohash", infohash, "--bootstrap", bootstrap(1), "--timeout", "10");
        assertEquals(0, implied.code(), implied.err());
        Run g = run("dht", "get-peers", "--infohash", infohash, "--bootstrap", bootstrap(0), "--timeout", "10");
        assertEquals(0, g.code(), g.err());
        List<JsonValue> peers = g.json().array("peers").items();
        assertTrue(peers.contains(new JsonValue.JsonString("127.0.0.1:6881")), peers.toString());
        assertEquals(2, peers.size(), "the implied-port announce adds the client's UDP port");
    }

    @Test
    void notFoundExitsOne() throws Exception {
        long t = System.nanoTime();
        Run g = run("dht", "get-immutable", "--target", "34".repeat(20), "--bootstrap", bootstrap(0), "--timeout", "30");
        assertEquals(1, g.code());
        assertEquals(1, run("dht", "get-peers", "--infohash", "56".repeat(20), "--bootstrap", bootstrap(0), "--timeout", "30").code());
        assertEquals(1, run("dht", "get-mutable", "--pubkey", PUBKEY, "--salt", "nothing", "--bootstrap", bootstrap(0), "--timeout", "30").code());
        // not a speed check: a lookup that waited for its 30 s deadline instead of ending when
        // no candidate was left would take 90 s here
        assertTrue(System.nanoTime() - t < 60_000_000_000L, "lookups end when no candidate is left, not at the timeout");
    }

    @Test
    void usageErrors() {
        assertEquals(2, run("dht").code());
        assertEquals(2, run("dht", "frobnicate").code());
        assertEquals(2, run("dht", "get-immutable", "--target", "zz", "--bootstrap", bootstrap(0)).code());
        assertEquals(2, run("dht", "get-immutable", "--target", "34".repeat(20)).code(), "no --bootstrap");
        assertEquals(0, run("dht", "--help").code());
    }
}
