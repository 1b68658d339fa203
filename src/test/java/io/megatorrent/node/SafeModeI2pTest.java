package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.SecretFile;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.LoggedProcess;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.ProcessSockets;
import io.megatorrent.transport.sam.I2pDestination;
import io.megatorrent.transport.sam.I2pdRouter;
import io.megatorrent.transport.sam.SamBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safe mode over a real i2pd (offline, zero-hop tunnels on loopback): two I2P-only nodes,
 * {@code serve --sam}, each a process of its own. P publishes; its blobs are known only by its
 * .b32.i2p address, which it hands its bridge (its own entry in MSG_PEERS, then MSG_ANNOUNCE);
 * S subscribes, finds P through the bridge (MSG_FIND_PEERS), dials it over I2P and gets the files
 * byte-identical. Neither holds a UDP socket or looks a name up. The bridge B is a hybrid node
 * ({@code serve --bridge-sam}). All three SAM sessions are created at once (i2pd takes ~20 s
 * each), on destinations generated beforehand into the data folders so their names are known.
 */
@Timeout(240)
class SafeModeI2pTest {
    static final Duration START = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    @Test
    void twoI2pOnlyNodesPublishAndSubscribeThroughAHybridBridge() throws Exception {
        Peers.require(Peers.hasExecutable("i2pd"), "i2pd", "apt-get install i2pd");
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        try (I2pdRouter i2pd = I2pdRouter.start(tmp.resolve("i2pd"))) {
            String bB32 = destination(i2pd, tmp.resolve("B"));
            String pB32 = destination(i2pd, tmp.resolve("P"));
            destination(i2pd, tmp.resolve("S"));
            List<String> options = new ArrayList<>();
            for (Map.Entry<String, String> e : I2pdRouter.SESSION_OPTIONS.entrySet()) options.addAll(List.of("--sam-option", e.getKey() + "=" + e.getValue()));
            String sam = i2pd.samAddress();
            try (LoggedProcess b = LoggedProcess.start(logs, "B", args(List.of("serve", "-d", tmp.resolve("B").toString(), "--bind", "127.0.0.1", "--dht-port", "0",
                    "--listen-port", "0", "--bridge-sam", sam), options));
                    LoggedProcess p = LoggedProcess.start(logs, "P", args(List.of("serve", "-d", tmp.resolve("P").toString(), "--sam", sam, "--bridge", bB32), options));
                    LoggedProcess s = LoggedProcess.start(logs, "S", args(List.of("serve", "-d", tmp.resolve("S").toString(), "--sam", sam, "--bridge", bB32), options))) {
                assertEquals(bB32, b.ready(START).string("bridgeI2p"));
                JsonObject pReady = p.ready(START);
                assertEquals("i2p", pReady.string("mode"));
                assertEquals(pB32, pReady.string("i2p"));
                s.ready(START);
                awaitBridge(tmp.resolve("P"));
                awaitBridge(tmp.resolve("S"));

                Path folder = Files.createDirectories(tmp.resolve("mix"));
                Random r = new Random(11);
                byte[][] contents = {new byte[(3 << 20) + 17], "tracklist\n".getBytes(StandardCharsets.UTF_8)};
                r.nextBytes(contents[0]);
                String[] names = {"side-a.ogg", "tracklist.txt"};
                for (int i = 0; i < names.length; i++) Files.write(folder.resolve(names[i]), contents[i]);
                Cli.Result pub = Cli.run("publish", "-d", tmp.resolve("P").toString(), "-i", folder.toString());
                assertEquals(0, pub.code(), pub.err() + "\nP:\n" + p.logText());
                JsonObject published = Json.parseObject(pub.out().strip().getBytes(StandardCharsets.UTF_8));
                assertEquals(published.integer("blobs"), published.integer("blobsAnnounced"), "P told the bridge it holds its blobs");

                Cli.Result sub = Cli.run("subscribe", "-d", tmp.resolve("S").toString(), published.string("uri"), "--wait");
                assertEquals(0, sub.code(), sub.err() + "\nS:\n" + s.logText() + "\nB:\n" + b.logText());
                Set<String> got = new HashSet<>();
                for (JsonValue v : Json.parseObject(sub.out().strip().getBytes(StandardCharsets.UTF_8)).array("paths").items()) {
                    Path file = Path.of(((JsonValue.JsonString) v).value());
                    got.add(file.getFileName().toString());
                    assertArrayEquals(contents[List.of(names).indexOf(file.getFileName().toString())], Files.readAllBytes(file), "byte-identical " + file);
                }
                assertEquals(Set.of(names), got);
                JsonObject sStatus = SafeModeSocks5Test.status(tmp.resolve("S"));
                assertTrue(sStatus.integer("blobsFetched") > 0);
                for (LoggedProcess n : List.of(p, s)) {
                    JsonObject st = SafeModeSocks5Test.status(n == p ? tmp.resolve("P") : tmp.resolve("S"));
                    assertEquals("i2p", st.string("mode"));
                    assertEquals(sam, st.string("samBridge"));
                    assertFalse(st.bool("udpSocketOpen"), Json.write(st));
                    assertEquals(List.of(), ProcessSockets.of(n.pid(), "udp", "udp6"), "a UDP socket in /proc for " + n.log.getFileName());
                    assertEquals(List.of(), n.lookups(), "name lookups by " + n.log.getFileName());
                }
            }
        }
    }

    private static String[] args(List<String> head, List<String> options) {
        List<String> all = new ArrayList<>(head);
        all.addAll(options);
        return all.toArray(String[]::new);
    }

    /** A fresh destination in DIR/i2p-destination.key (mode 0600); returns its name.b32.i2p. */
    private static String destination(I2pdRouter i2pd, Path dir) throws Exception {
        Files.createDirectories(dir);
        SamBridge.GeneratedDestination d = i2pd.sam().generateDestination(Duration.ofSeconds(5));
        SecretFile.write(dir.resolve(Node.I2P_KEY_FILE), (d.privateBase64() + "\n").getBytes(StandardCharsets.US_ASCII), false);
        return I2pDestination.b32Of(d.publicBase64());
    }

    /** Waits until the node's bridge connection is up (status dhtNodes 1). */
    private static void awaitBridge(Path dir) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonObject st;
        do {
            st = SafeModeSocks5Test.status(dir);
            if (st.integer("dhtNodes") > 0) return;
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        fail("no bridge connection: " + Json.write(st));
    }
}
