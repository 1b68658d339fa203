package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.LoggedProcess;
import io.megatorrent.testing.Peers;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.TcpDialer;
import io.megatorrent.transport.tor.TorControl;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --tor-control} against a real tor started offline by the test (DisableNetwork:
 * descriptors are never published, so nobody can connect, but the control port works): the
 * node creates its onion service (the control port lists its ServiceID), keeps the key 0600 in
 * its folder so the address is the same after a restart, announces the address to its bridge
 * (its own entry in MSG_PEERS, then MSG_ANNOUNCE: the bridge names it in MSG_FIND_PEERS
 * answers), and the service is gone once the node stops. The node is a safe-mode node behind
 * microsocks with a hybrid bridge, as a user behind Tor runs it.
 */
@Timeout(180)
class OnionServiceTest {
    static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void onionServiceIsCreatedStableAnnouncedAndRemoved() throws Exception {
        Peers.require(Peers.hasExecutable("tor"), "tor", "apt-get install tor");
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        try (Tor tor = Tor.start(tmp.resolve("tor"));
                SafeModeSocks5Test.Microsocks proxy = SafeModeSocks5Test.Microsocks.start(logs);
                LoggedProcess b = LoggedProcess.start(logs, "B", "serve", "-d", tmp.resolve("B").toString(), "--bind", "127.0.0.1", "--dht-port", "0",
                        "--listen-port", "0", "--bridge-port", "0")) {
            JsonObject bReady = b.ready(START);
            String[] serve = {"serve", "-d", tmp.resolve("T").toString(), "--socks5", "127.0.0.1:" + proxy.port, "--bridge",
                bReady.string("staticKey") + "@localhost:" + bReady.integer("bridgePort"), "--tor-control", "127.0.0.1:" + tor.controlPort};
            String onion;
            try (LoggedProcess t = LoggedProcess.start(logs, "T1", serve); TorControl control = tor.control()) {
                onion = t.ready(START).string("onion");
                assertTrue(onion.matches("[a-z2-7]{56}\\.onion:6881"), onion);
                String id = onion.substring(0, 56);
                assertEquals(List.of(id), control.detachedOnions(), "the control port lists the node's ServiceID");
                Path key = tmp.resolve("T").resolve(Node.ONION_KEY_FILE);
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
                assertEquals(onion, SafeModeSocks5Test.status(tmp.resolve("T")).string("onion"));

                // the node announces its onion address with the blobs it holds: the bridge hands it on
                Path file = tmp.resolve("note.txt");
                Files.writeString(file, "reachable behind tor\n");
                Cli.Result pub = Cli.run("publish", "-d", tmp.resolve("T").toString(), "-i", file.toString());
                assertEquals(0, pub.code(), pub.err() + "\n" + t.logText());
                JsonObject published = Json.parseObject(pub.out().strip().getBytes(StandardCharsets.UTF_8));
                assertEquals(published.integer("blobs"), published.integer("blobsAnnounced"), Json.write(published));
                String blobId = anyBlobId(tmp.resolve("T"));
                try (BlobFetcher asker = BlobFetcher.connect(new TcpDialer(), new PeerAddress("127.0.0.1", (int) bReady.integer("listenPort")),
                        X25519.generate(), 0)) {
                    List<Message.PeerEntry> holders = asker.findPeers(BlobKeys.shortId(blobId));
                    assertTrue(holders.stream().anyMatch(e -> e.address().equals(new PeerAddress(onion.substring(0, 62), 6881))),
                            "the bridge names the onion holder: " + holders);
                }
            }
            try (TorControl control = tor.control()) {
                assertEquals(List.of(), control.detachedOnions(), "the service is deleted when the node stops");
            }
            try (LoggedProcess t = LoggedProcess.start(logs, "T2", serve); TorControl control = tor.control()) {
                assertEquals(onion, t.ready(START).string("onion"), "the same address after a restart");
                assertEquals(List.of(onion.substring(0, 56)), control.detachedOnions());
            }
            try (TorControl control = tor.control()) {
                assertEquals(List.of(), control.detachedOnions());
            }
        }
    }

    private static String anyBlobId(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir.resolve("blobs"))) {
            return all.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{64}")).findFirst().orElseThrow();
        }
    }

    /** tor offline: DisableNetwork 1, no SOCKS port, a control port with cookie authentication. */
    static final class Tor implements AutoCloseable {
        final Process process;
        final int controlPort;
        final Path dir;

        private Tor(Process process, int controlPort, Path dir) {
            this.process = process;
            this.controlPort = controlPort;
            this.dir = dir;
        }

        static Tor start(Path dir) throws Exception {
            Path data = dir.resolve("data");
            Files.createDirectories(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = Peers.freePort();
                Path torrc = dir.resolve("torrc");
                Files.writeString(torrc, "DataDirectory " + data + "\nDisableNetwork 1\nSocksPort 0\nControlPort 127.0.0.1:" + port
                        + "\nCookieAuthentication 1\nCookieAuthFile " + data.resolve("cookie") + "\nLog notice stdout\n");
                Process p = new ProcessBuilder("tor", "-f", torrc.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("tor.log").toFile()).start();
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (p.isAlive() && System.nanoTime() < deadline) {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        if (Files.exists(data.resolve("cookie"))) return new Tor(p, port, dir);
                    } catch (IOException e) {
                        // not yet
                    }
                    Thread.sleep(50);
                }
                p.destroy();
                p.waitFor();
            }
            throw new AssertionError("tor did not start: " + Files.readString(dir.resolve("tor.log")));
        }

        TorControl control() throws IOException {
            return TorControl.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), controlPort), null, Duration.ofSeconds(10));
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }
}
