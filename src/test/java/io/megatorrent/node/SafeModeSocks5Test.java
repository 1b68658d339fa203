package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.LoggedProcess;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.ProcessSockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safe mode behind a real SOCKS5 proxy (microsocks, no users): a UDP-only node A publishes, a
 * hybrid node B (serve --bridge-port) bridges the DHT, and a safe-mode node T (serve --socks5
 * --bridge KEY@localhost:P), every one a separate process started as a user starts it,
 * subscribes. T gets the files byte-identical, holds no UDP socket (its own accounting and
 * /proc for its PID), looks no name up (the recording resolver in its JVM), and every TCP
 * connection it opens goes to the proxy (its sockets, sampled during the walk).
 */
@Timeout(180)
class SafeModeSocks5Test {
    static final Duration START = Duration.ofSeconds(60);
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path tmp;

    @Test
    void safeModeNodeSubscribesThroughMicrosocksAndAHybridBridge() throws Exception {
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        try (Microsocks proxy = Microsocks.start(logs);
                LoggedProcess b = LoggedProcess.start(logs, "B", "serve", "-d", tmp.resolve("B").toString(), "--bind", "127.0.0.1", "--dht-port", "0",
                        "--listen-port", "0", "--bridge-port", "0")) {
            JsonObject bReady = b.ready(START);
            int bridgePort = (int) bReady.integer("bridgePort");
            assertNotEquals(bReady.integer("listenPort"), bridgePort, "the bridge listener is a listener of its own");
            try (LoggedProcess a = LoggedProcess.start(logs, "A", "serve", "-d", tmp.resolve("A").toString(), "--bind", "127.0.0.1", "--dht-port", "0",
                    "--listen-port", "0", "--bootstrap", "127.0.0.1:" + bReady.integer("dhtPort"))) {
                a.ready(START);
                Path folder = Files.createDirectories(tmp.resolve("album"));
                Random r = new Random(7);
                byte[][] contents = {new byte[(5 << 20) / 2], new byte[(1 << 20) + 3], "liner notes\n".getBytes(StandardCharsets.UTF_8)};
                for (byte[] c : contents) if (c.length > 100) r.nextBytes(c);
                String[] names = {"one.flac", "two.flac", "notes.txt"};
                for (int i = 0; i < names.length; i++) Files.write(folder.resolve(names[i]), contents[i]);
                Cli.Result pub = Cli.run("publish", "-d", tmp.resolve("A").toString(), "-i", folder.toString());
                assertEquals(0, pub.code(), pub.err());
                String uri = Json.parseObject(pub.out().strip().getBytes(StandardCharsets.UTF_8)).string("uri");

                String bridge = bReady.string("staticKey") + "@localhost:" + bridgePort;
                try (LoggedProcess t = LoggedProcess.start(logs, "T", "serve", "-d", tmp.resolve("T").toString(), "--socks5", "127.0.0.1:" + proxy.port,
                        "--bridge", bridge)) {
                    JsonObject tReady = t.ready(START);
                    assertEquals("socks5", tReady.string("mode"));
                    assertFalse(tReady.has("dhtPort"), "a safe-mode node has no DHT port: " + Json.write(tReady));
                    Set<Integer> tListening = Set.of((int) tReady.integer("listenPort"), rpcPort(tReady.string("rpc")));
                    List<String> strayConnections = new CopyOnWriteArrayList<>();
                    List<String> udpSockets = new CopyOnWriteArrayList<>();
                    AtomicBoolean sampling = new AtomicBoolean(true);
                    int[] samples = {0};
                    Thread sampler = Thread.ofVirtual().start(() -> {
                        while (sampling.get()) {
                            try {
                                for (ProcessSockets.Socket s : ProcessSockets.of(t.pid(), "tcp", "tcp6", "udp", "udp6")) {
                                    if (s.table().startsWith("udp")) udpSockets.add(s.toString());
                                    else if (!s.listening() && s.remotePort() != 0 && s.remotePort() != proxy.port && !tListening.contains(s.localPort()))
                                        strayConnections.add(s.toString());
                                }
                                samples[0]++;
                                Thread.sleep(20);
                            } catch (IOException | InterruptedException e) {
                                return;
                            }
                        }
                    });
                    Cli.Result sub = Cli.run("subscribe", "-d", tmp.resolve("T").toString(), uri, "--wait");
                    sampling.set(false);
                    sampler.join();
                    assertEquals(0, sub.code(), sub.err() + "\nT:\n" + t.logText() + "\nB:\n" + b.logText());
                    JsonObject done = Json.parseObject(sub.out().strip().getBytes(StandardCharsets.UTF_8));
                    Set<String> got = new HashSet<>();
                    for (JsonValue p : done.array("paths").items()) {
                        Path file = Path.of(((JsonValue.JsonString) p).value());
                        got.add(file.getFileName().toString());
                        int i = List.of(names).indexOf(file.getFileName().toString());
                        assertArrayEquals(contents[i], Files.readAllBytes(file), "byte-identical " + file);
                    }
                    assertEquals(Set.of(names), got);

                    JsonObject status = status(tmp.resolve("T"));
                    assertEquals("socks5", status.string("mode"));
                    assertEquals("127.0.0.1:" + proxy.port, status.string("proxy"));
                    assertFalse(status.bool("udpSocketOpen"), "the node's own accounting: " + Json.write(status));
                    assertTrue(status.integer("blobsFetched") > 0);
                    assertTrue(samples[0] > 0, "the sockets were sampled during the walk");
                    udpSockets.addAll(ProcessSockets.of(t.pid(), "udp", "udp6").stream().map(Object::toString).toList());
                    assertEquals(List.of(), udpSockets, "T held a UDP socket (/proc/net/udp, udp6 for its PID)");
                    assertEquals(List.of(), strayConnections, "T opened TCP connections to somewhere other than the proxy");
                    assertEquals(List.of(), t.lookups(), "T looked names up itself");
                    // the proxy resolved the bridge's name: microsocks logs the target as T sent it
                    assertTrue(proxy.log().contains("localhost:" + bridgePort), "microsocks log:\n" + proxy.log());
                }
            }
        }
    }

    @Test
    void safeModeRefusesLeakingFlags() throws Exception {
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        String key = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
        String[][] cases = {
            {"--bootstrap", "127.0.0.1:6881"},
            {"--dht-port", "7000"},
        };
        for (String[] leak : cases) {
            List<String> args = new ArrayList<>(List.of("serve", "-d", tmp.resolve("refuse").toString(), "--socks5", "127.0.0.1:9", "--bridge",
                    key + "@bridge.example:6881"));
            args.addAll(List.of(leak));
            try (LoggedProcess p = LoggedProcess.start(logs, "refuse" + leak[0].substring(2), args.toArray(String[]::new))) {
                assertEquals(2, p.exitCode(Duration.ofSeconds(30)), p.logText());
                assertTrue(p.logText().contains(leak[0]), "the message names " + leak[0] + ": " + p.logText());
                assertEquals(List.of(), p.lookups());
            }
        }
        Cli.Result noKey = Cli.run("serve", "-d", tmp.resolve("refuse").toString(), "--socks5", "127.0.0.1:9", "--bridge", "bridge.example:6881");
        assertEquals(2, noKey.code());
        assertTrue(noKey.err().contains("static key"), noKey.err());
        Cli.Result wideBind = Cli.run("serve", "-d", tmp.resolve("refuse").toString(), "--socks5", "127.0.0.1:9", "--bridge", key + "@bridge.example:6881",
                "--bind", "0.0.0.0");
        assertEquals(2, wideBind.code());
        assertTrue(wideBind.err().contains("--bind"), wideBind.err());
    }

    static int rpcPort(String url) {
        return java.net.URI.create(url).getPort();
    }

    static JsonObject status(Path dir) throws Exception {
        Cli.Result r = Cli.run("status", "-d", dir.toString());
        assertEquals(0, r.code(), r.err());
        return Json.parseObject(r.out().strip().getBytes(StandardCharsets.UTF_8));
    }

    /** microsocks on loopback, no users, on a free port. */
    static final class Microsocks implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;

        private Microsocks(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Microsocks start(Path dir) throws Exception {
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = Peers.freePort();
                Path log = dir.resolve("microsocks-" + port + ".log");
                Process p = new ProcessBuilder("microsocks", "-i", "127.0.0.1", "-p", Integer.toString(port)).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (p.isAlive() && System.nanoTime() < deadline) {
                    try (Socket s = new Socket(LOOPBACK, port)) {
                        return new Microsocks(p, port, log);
                    } catch (IOException e) {
                        Thread.sleep(20);
                    }
                }
                p.destroy();
                p.waitFor();
            }
            throw new AssertionError("microsocks did not start");
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }
}
