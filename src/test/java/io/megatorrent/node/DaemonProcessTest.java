package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.content.Blob;
import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.Bep44;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.NodeProcess;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as users run it: {@code serve} processes on loopback, driven by the same commands a
 * user types ({@code publish}, {@code subscribe --wait}, {@code unsubscribe}, {@code gc}) and by
 * its JSON-RPC API. Each test checks files byte for byte and reads the nodes' own counters.
 */
class DaemonProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Path randomFile(Path file, long size, long seed) throws Exception {
        Files.createDirectories(file.getParent());
        Random r = new Random(seed);
        byte[] buf = new byte[1 << 20];
        try (var out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
        }
        return file;
    }

    private static JsonObject ok(Cli.Result r) throws Exception {
        assertEquals(0, r.code(), () -> "exit " + r.code() + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return Json.parseObject(r.out().strip().getBytes(StandardCharsets.UTF_8));
    }

    private static String bootstrap(NodeProcess n) throws Exception {
        return "127.0.0.1:" + n.dhtPort();
    }

    /** Every path the subscription printed holds the same bytes as the published file of that name under {@code source}. */
    private static void assertSameFiles(Path source, JsonObject waited) throws Exception {
        JsonArray paths = (JsonArray) waited.require("paths");
        assertFalse(paths.items().isEmpty());
        for (JsonValue v : paths.items()) {
            Path got = Path.of(((JsonString) v).value());
            String relative = got.toString().substring(got.toString().indexOf("/" + source.getFileName() + "/") + source.getFileName().toString().length() + 2);
            assertArrayEquals(Files.readAllBytes(source.resolve(relative)), Files.readAllBytes(got), "content of " + got);
        }
    }

    private static JsonObject waitFor(NodeProcess n, String key, long seq) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonObject s;
        do {
            s = (JsonObject) n.call("subscription", JsonObject.builder().put("publicKey", key).build());
            if (s.bool("complete") && s.integer("lastSequence") >= seq) return s;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        fail(n.name() + " did not complete sequence " + seq + ": " + Json.write(s) + "\n" + n.stderr());
        return s;
    }

    @Test
    void threeServingNodesSwarmAFolderAndAnUpdateArrivesByGossip(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("album");
        randomFile(folder.resolve("one.bin"), 40L << 20, 1);
        randomFile(folder.resolve("two.bin"), (20L << 20) + 1234, 2);
        randomFile(folder.resolve("deep/three.bin"), (4L << 20) - 7, 3);
        try (NodeProcess a = NodeProcess.serve("A", tmp.resolve("A"));
             NodeProcess b = NodeProcess.serve("B", tmp.resolve("B"), "--bootstrap", bootstrap(a), "--poll-interval", "0");
             NodeProcess c = NodeProcess.serve("C", tmp.resolve("C"), "--bootstrap", bootstrap(a))) {
            JsonObject published = ok(Cli.run("publish", "-d", tmp.resolve("A").toString(), "-i", folder.toString()));
            assertEquals(0, published.integer("seq"));
            String uri = published.string("uri");
            String key = published.string("publicKey");

            JsonObject atB = ok(Cli.run("subscribe", "-d", tmp.resolve("B").toString(), "--wait", uri));
            assertSameFiles(folder, atB);
            JsonObject atC = ok(Cli.run("subscribe", "-d", tmp.resolve("C").toString(), "--wait", uri));
            assertSameFiles(folder, atC);
            // C fetched from both holders: A (the author) and B (a subscriber that seeds)
            JsonObject byPeer = c.call("status").object("blobsByPeer");
            assertTrue(byPeer.has("/127.0.0.1:" + a.listenPort()), "C got no blob from A: " + Json.write(byPeer));
            assertTrue(byPeer.has("/127.0.0.1:" + b.listenPort()), "C got no blob from B: " + Json.write(byPeer));

            // sequence 1: B polls no DHT, so the update can only come by gossip
            Path oneAtB = ((JsonArray) atB.require("paths")).items().stream().map(v -> Path.of(((JsonString) v).value()))
                    .filter(q -> q.endsWith(Path.of("album", "one.bin"))).findFirst().orElseThrow();
            Object inodeBefore = Files.getAttribute(oneAtB, "unix:ino");
            randomFile(folder.resolve("four.bin"), 3L << 20, 4);
            JsonObject second = ok(Cli.run("publish", "-d", tmp.resolve("A").toString(), "-i", folder.toString()));
            assertEquals(1, second.integer("seq"));
            assertEquals(3, second.integer("filesUnchanged"), "the three files of sequence 0 keep their blobs: " + Json.write(second));
            long start = System.nanoTime();
            JsonObject s = waitFor(b, key, 1);
            double seconds = (System.nanoTime() - start) / 1e9;
            JsonObject status = b.call("status");
            assertFalse(status.bool("dhtPolling"));
            assertTrue(status.integer("pointersByGossip") >= 1, "B's pointer did not come by gossip: " + Json.write(status));
            System.out.printf("sequence 1 complete at B %.1f s after the publish returned (pointer by gossip, DHT polling off)%n", seconds);
            assertTrue(Files.isRegularFile(Path.of(s.string("outDir")).resolve("album/four.bin")));
            assertArrayEquals(Files.readAllBytes(folder.resolve("four.bin")), Files.readAllBytes(Path.of(s.string("outDir")).resolve("album/four.bin")));
            // the update wrote the new file only: the files sequence 0 wrote are the same files, not rewritten copies
            assertEquals(inodeBefore, Files.getAttribute(oneAtB, "unix:ino"), "B wrote one.bin again for an update that did not change it");
        }
    }

    @Test
    void anAuthorWithoutTheDhtPublishesThroughAGatewayThatRefusesForgedAndReplayedItems(@TempDir Path tmp) throws Exception {
        Path file = randomFile(tmp.resolve("notes.bin"), 300_000, 5);
        try (NodeProcess g = NodeProcess.serve("G", tmp.resolve("G"), "--gateway");
             NodeProcess d = NodeProcess.serve("D", tmp.resolve("D"), "--bootstrap", bootstrap(g))) {
            // P knows no DHT node at all: only the gateway
            try (NodeProcess p = NodeProcess.start("P", tmp.resolve("P"), List.of("publish", "-d", tmp.resolve("P").toString(), "-i", file.toString(),
                    "--bind", "127.0.0.1", "--gateway", g.staticKey() + "@127.0.0.1:" + g.listenPort()))) {
                JsonObject result = p.nextLine(WAIT);
                assertTrue(result.string("via").startsWith("gateway"), Json.write(result));
                assertEquals(1, g.call("status").integer("gatewayAccepted"));
            }
            ChannelIdentity author = ChannelIdentity.load(tmp.resolve("P/identity.json"));
            byte[] pub = author.publicKey();
            byte[] value = Bencode.encode(BValue.BBytes.of("a valid bencoded value"));
            try (Connection conn = Connection.connect(new TcpDialer(), new PeerTarget(Hex.decode(g.staticKey()), new PeerAddress("127.0.0.1", g.listenPort())),
                    X25519.generate(), Connection.Timeouts.DEFAULT)) {
                conn.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
                Message ok = exchange(conn, publish(7, author.keyPair(), pub, 5, value));
                assertTrue(ok instanceof Message.Ok, String.valueOf(ok));
                // forged: another key signs an item under the author's key
                Message forged = exchange(conn, publish(8, Ed25519.generate(), pub, 9, value));
                assertTrue(forged instanceof Message.Error e && e.code() == Message.Error.REFUSED && e.text().contains("signature"), String.valueOf(forged));
                // replayed: validly signed, but older than what the DHT holds
                Message replayed = exchange(conn, publish(9, author.keyPair(), pub, 3, value));
                assertTrue(replayed instanceof Message.Error e && e.code() == Message.Error.REFUSED && e.text().contains("older"), String.valueOf(replayed));
            }
            JsonObject item = ok(Cli.run("dht", "get-mutable", "--bootstrap", bootstrap(d), "--pubkey", Hex.encode(pub), "--salt", "megatorrent"));
            assertEquals(5, item.integer("seq"));
            assertEquals(2, g.call("status").integer("gatewayRefused"));
        }
    }

    private static Message.Publish publish(int id, Ed25519.KeyPair signer, byte[] claimedKey, long seq, byte[] value) {
        byte[] sig = signer.sign(Bep44.signedBuffer(SignedPointer.SALT, seq, value));
        return new Message.Publish(id, claimedKey, seq, SignedPointer.SALT, sig, value);
    }

    private static Message exchange(Connection conn, Message request) throws Exception {
        conn.send(request);
        while (true) {
            Message m = conn.receive();
            if (m == null) fail("the gateway closed the connection");
            if (m.requestId() == request.requestId()) return m;
        }
    }

    @Test
    void aPeerServingCorruptBlobsIsBannedAndTheDownloadCompletesFromTheOthers(@TempDir Path tmp) throws Exception {
        Path file = randomFile(tmp.resolve("movie/film.bin"), 12L << 20, 6);
        try (NodeProcess a = NodeProcess.serve("A", tmp.resolve("A"));
             NodeProcess b = NodeProcess.serve("B", tmp.resolve("B"), "--bootstrap", bootstrap(a))) {
            JsonObject published = ok(Cli.run("publish", "-d", tmp.resolve("A").toString(), "-i", file.getParent().toString()));
            SecureRandom random = new SecureRandom();
            BlobServer liar = new BlobServer(shortId -> {
                byte[] junk = new byte[Blob.BLOB_SIZE];
                random.nextBytes(junk);
                return junk;
            }, () -> 0);
            try (Listener hostile = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), X25519.generate(), Connection.Timeouts.DEFAULT, liar);
                 DhtNode announcer = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
                announcer.bootstrap(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), a.dhtPort())), Duration.ofSeconds(10));
                for (JsonValue v : ((JsonArray) a.call("blobs", JsonObject.builder().build())).items()) {
                    String id = ((JsonObject) v).string("blobId");
                    announcer.announce(BlobKeys.infohash(id), hostile.localAddress().getPort(), Duration.ofSeconds(10));
                }
                JsonObject atB = ok(Cli.run("subscribe", "-d", tmp.resolve("B").toString(), "--wait", published.string("uri")));
                assertSameFiles(file.getParent(), atB);
                JsonObject status = b.call("status");
                assertTrue(status.integer("corruptBlobsReceived") >= 1, Json.write(status));
                assertEquals(1, status.integer("peersBanned"), Json.write(status));
                assertTrue(liar.blobsServed.get() >= 1);
            }
        }
    }

    @Test
    void aKilledDownloadResumesWithoutFetchingAVerifiedBlobTwice(@TempDir Path tmp) throws Exception {
        Path file = randomFile(tmp.resolve("big/data.bin"), 40L << 20, 7);
        try (NodeProcess a = NodeProcess.serve("A", tmp.resolve("A"))) {
            long total;
            String key;
            try (NodeProcess b = NodeProcess.serve("B", tmp.resolve("B"), "--bootstrap", bootstrap(a), "--download-rate", "6M")) {
                JsonObject published = ok(Cli.run("publish", "-d", tmp.resolve("A").toString(), "-i", file.getParent().toString()));
                key = published.string("publicKey");
                ok(Cli.run("subscribe", "-d", tmp.resolve("B").toString(), published.string("uri")));
                long deadline = System.nanoTime() + WAIT.toNanos();
                JsonObject file0 = null;
                while (System.nanoTime() < deadline) {
                    JsonArray d = (JsonArray) b.call("downloads", JsonObject.builder().build());
                    if (!d.items().isEmpty()) {
                        file0 = (JsonObject) d.items().get(0);
                        if (file0.integer("bytesDone") >= (8L << 20)) break;
                    }
                    Thread.sleep(50);
                }
                assertTrue(file0 != null && file0.integer("bytesDone") >= (8L << 20) && file0.integer("bytesDone") < file0.integer("size"),
                        "B was not caught mid-download: " + file0);
                total = file0.integer("blobs");
                b.kill();
            }
            try (NodeProcess b2 = NodeProcess.serve("B again", tmp.resolve("B"), "--bootstrap", bootstrap(a))) {
                JsonObject s = waitFor(b2, key, 0);
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(Path.of(s.string("outDir")).resolve("big/data.bin")));
                JsonObject status = b2.call("status");
                assertEquals(0, status.integer("blobsFetchedTwice"), Json.write(status));
                assertTrue(status.integer("blobsFetched") < total, "the restarted node fetched " + status.integer("blobsFetched") + " of " + total + " blobs");
            }
        }
    }

    @Test
    void aRestartedNodeStillFollowsAndSeedsAndGcFreesOnlyAnUnsubscribedChannel(@TempDir Path tmp) throws Exception {
        Path first = randomFile(tmp.resolve("first/a.bin"), 5L << 20, 8);
        Path second = randomFile(tmp.resolve("second/b.bin"), 3L << 20, 9);
        Path dirA = tmp.resolve("A");
        Path dirB = tmp.resolve("B");
        try (NodeProcess a = NodeProcess.serve("A", dirA);
             NodeProcess c = NodeProcess.serve("C", tmp.resolve("C"), "--bootstrap", bootstrap(a))) {
            JsonObject one = ok(Cli.run("publish", "-d", dirA.toString(), "-i", first.getParent().toString()));
            ok(Cli.run("gen-key", "-k", dirA.resolve("other.json").toString()));
            JsonObject two = ok(Cli.run("publish", "-d", dirA.toString(), "-k", dirA.resolve("other.json").toString(), "-i", second.getParent().toString()));
            long firstBlobs;
            long bothBlobs;
            try (NodeProcess b = NodeProcess.serve("B", dirB, "--bootstrap", bootstrap(a))) {
                ok(Cli.run("subscribe", "-d", dirB.toString(), "--wait", one.string("uri")));
                firstBlobs = b.call("status").integer("blobsHeld");
                ok(Cli.run("subscribe", "-d", dirB.toString(), "--wait", two.string("uri")));
                bothBlobs = b.call("status").integer("blobsHeld");
                int code = b.terminate(30);
                assertTrue(code == 0 || code == 143, "exit code " + code + " after SIGTERM\n" + b.stderr());
            }
            assertEquals(0, a.terminate(30) == -1 ? -1 : 0, "A did not stop");
            try (NodeProcess b = NodeProcess.serve("B restarted", dirB, "--bootstrap", bootstrap(c))) {
                JsonArray subs = (JsonArray) b.call("subscriptions", JsonObject.builder().build());
                assertEquals(2, subs.items().size());
                waitFor(b, one.string("publicKey"), 0);
                waitFor(b, two.string("publicKey"), 0);
                // A is gone: C gets the first channel from B alone
                JsonObject atC = ok(Cli.run("subscribe", "-d", tmp.resolve("C").toString(), "--wait", one.string("uri")));
                assertSameFiles(first.getParent(), atC);
                assertTrue(c.call("status").object("blobsByPeer").has("/127.0.0.1:" + b.listenPort()));

                ok(Cli.run("unsubscribe", "-d", dirB.toString(), two.string("publicKey")));
                JsonObject dry = ok(Cli.run("gc", "-d", dirB.toString(), "--dry-run"));
                assertEquals(bothBlobs - firstBlobs, dry.integer("blobsRemoved"));
                assertEquals(bothBlobs, b.call("status").integer("blobsHeld"), "a dry run removed blobs");
                JsonObject gc = ok(Cli.run("gc", "-d", dirB.toString()));
                assertEquals(bothBlobs - firstBlobs, gc.integer("blobsRemoved"));
                assertEquals(firstBlobs, gc.integer("blobsKept"));
                assertEquals(firstBlobs, b.call("status").integer("blobsHeld"));
                JsonObject still = (JsonObject) b.call("subscription", JsonObject.builder().put("publicKey", one.string("publicKey")).build());
                assertTrue(still.bool("complete"));
            }
        }
    }

    @Test
    void everyApiMethodAnswersAndBadInputGetsAClearErrorWhileTheNodeKeepsServing(@TempDir Path tmp) throws Exception {
        Path file = randomFile(tmp.resolve("f.bin"), 100_000, 10);
        Path dir = tmp.resolve("N");
        try (NodeProcess n = NodeProcess.serve("N", dir);
             NodeProcess peer = NodeProcess.serve("peer", tmp.resolve("peer"), "--bootstrap", bootstrap(n))) {
            assertTrue(n.call("status").integer("listenPort") > 0);
            JsonObject published = (JsonObject) n.call("publish", JsonObject.builder().put("path", file.toString()).build());
            assertEquals(0, published.integer("seq"));
            assertEquals(1, ((JsonArray) n.call("published", JsonObject.builder().build())).items().size());
            assertFalse(((JsonArray) n.call("blobs", JsonObject.builder().put("limit", 5).build())).items().isEmpty());
            String other = Hex.encode(Ed25519.generate().publicKey());
            JsonObject sub = (JsonObject) n.call("subscribe", JsonObject.builder().put("uri", "megatorrent://" + other).put("label", "x").put("maxSize", 1000).build());
            assertFalse(sub.bool("alreadyFollowed"));
            assertTrue(((JsonObject) n.call("subscribe", JsonObject.builder().put("uri", "megatorrent://" + other).build())).bool("alreadyFollowed"));
            assertEquals(1, ((JsonArray) n.call("subscriptions", JsonObject.builder().build())).items().size());
            assertEquals(other, ((JsonObject) n.call("subscription", JsonObject.builder().put("publicKey", other).build())).string("publicKey"));
            n.call("downloads", JsonObject.builder().build());
            assertTrue(((JsonObject) n.call("gc", JsonObject.builder().put("dryRun", true).build())).bool("dryRun"));
            assertTrue(((JsonObject) n.call("unsubscribe", JsonObject.builder().put("publicKey", other).build())).bool("unsubscribed"));

            assertRpcError(n, "frobnicate", JsonObject.builder().build(), -32601, "no method");
            assertRpcError(n, "subscribe", JsonObject.builder().build(), -32602, "uri");
            assertRpcError(n, "subscribe", JsonObject.builder().put("uri", "megatorrent://" + other).put("maxSize", "big").build(), -32602, "maxSize");
            assertRpcError(n, "subscribe", JsonObject.builder().put("uri", "magnet:?xt=urn:btih:00").build(), -32602, "not a channel URI");
            assertRpcError(n, "publish", JsonObject.builder().put("path", "relative/path").build(), -32602, "absolute");
            assertRpcError(n, "publish", JsonObject.builder().put("path", tmp.resolve("missing").toString()).build(), -32602, "no such file");
            assertRpcError(n, "unsubscribe", JsonObject.builder().put("publicKey", other).build(), -32001, "no subscription");
            assertRpcError(n, "status", JsonObject.builder().put("verbose", true).build(), -32602, "verbose");
            assertRpcError(n, "setDownloadRate", JsonObject.builder().put("bytesPerSecond", -1L).build(), -32602, "bytesPerSecond");
            assertRpcError(n, "setDownloadRate", JsonObject.builder().build(), -32602, "bytesPerSecond");
            assertEquals(2L << 20, ok(Cli.run("download-rate", "2M", "-d", dir.toString())).integer("downloadRate"));
            assertEquals(2L << 20, n.call("status").integer("downloadRate"));
            assertEquals(0, ok(Cli.run("download-rate", "0", "-d", dir.toString())).integer("downloadRate"));
            assertEquals(2, Cli.run("download-rate", "fast", "-d", dir.toString()).code(), "a rate that is no size is a usage error");

            String body = "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}";
            assertEquals(401, n.post(body, null).statusCode());
            assertEquals(401, n.post(body, "00".repeat(32)).statusCode());
            HttpResponse<String> big = n.post("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"params\":{\"x\":\"" + "a".repeat(200_000) + "\"},\"id\":1}", n.token());
            assertEquals(413, big.statusCode());
            HttpResponse<String> notJson = n.post("{not json", n.token());
            assertTrue(notJson.body().contains("-32700"), notJson.body());
            HttpResponse<String> batch = n.post("[" + body + "]", n.token());
            assertTrue(batch.body().contains("-32600"), batch.body());

            // still serving, and a second node on the same folder refuses to start
            assertTrue(n.call("status").integer("uptimeSeconds") >= 0);
            try (NodeProcess twin = NodeProcess.start("twin", dir, List.of("serve", "-d", dir.toString(), "--bind", "127.0.0.1", "--dht-port", "0"))) {
                assertEquals(1, twin.exitCode(60));
                assertTrue(twin.stderr().contains("another megatorrent node is serving"), twin.stderr());
            }
            assertTrue(n.call("status").integer("uptimeSeconds") >= 0);
        }
    }

    private static void assertRpcError(NodeProcess n, String method, JsonObject params, int code, String text) throws Exception {
        try {
            n.call(method, params);
            fail(method + " " + Json.write(params) + " was accepted");
        } catch (NodeProcess.RpcError e) {
            assertEquals(code, e.code, e.getMessage());
            assertTrue(e.getMessage().contains(text), e.getMessage());
        }
    }
}
