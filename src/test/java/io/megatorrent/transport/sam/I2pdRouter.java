package io.megatorrent.transport.sam;

import io.megatorrent.testing.Peers;
import io.megatorrent.transport.socks5.TestProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real i2pd started by a test, offline on loopback with its SAM bridge on a free port
 * (config from src/test/resources/proxies/i2pd.conf; ../shared/notes/test-peers.md). Stopped by
 * PID: SIGTERM, then SIGKILL after {@link #STOP_GRACE} (i2pd ignores SIGTERM while a SESSION
 * CREATE is pending).
 */
public final class I2pdRouter implements AutoCloseable {
    public static final Duration STOP_GRACE = Duration.ofSeconds(3);
    /** Time for i2pd to open its SAM port. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    /** What a session on an offline router needs: zero-hop tunnels, and lease-set type 1 to be reachable. */
    public static final Map<String, String> SESSION_OPTIONS = SamSession.options(SamSession.ZERO_HOP_OPTIONS, SamSession.LEASE_SET_TYPE_1);

    private final TestProcess process;
    private final SamBridge sam;

    private I2pdRouter(TestProcess process, SamBridge sam) {
        this.process = process;
        this.sam = sam;
    }

    /** Starts i2pd with its data under {@code dir}; another test may take the probed port: then another try. */
    public static I2pdRouter start(Path dir) throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = Peers.freePort();
            Path data = dir.resolve("i2pd-" + port);
            Files.createDirectories(data.resolve("tunnels.d"));
            Files.writeString(data.resolve("hosts.txt"), "");
            Files.writeString(data.resolve("tunnels.conf"), "");
            Files.writeString(data.resolve("i2pd.conf"), template(Map.of("SAM_PORT", Integer.toString(port), "DATA_DIR", data.toString())));
            TestProcess p = TestProcess.start("i2pd", List.of("i2pd", "--datadir=" + data, "--conf=" + data.resolve("i2pd.conf"),
                    "--tunconf=" + data.resolve("tunnels.conf"), "--tunnelsdir=" + data.resolve("tunnels.d"),
                    "--certsdir=/usr/share/i2pd/certificates", "--pidfile=" + data.resolve("i2pd.pid")),
                    data.resolve("i2pd.log"), STOP_GRACE);
            try {
                p.awaitPort(port, START_TIMEOUT);
                return new I2pdRouter(p, new SamBridge(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            } catch (IOException e) {
                last = e;
                p.close();
            }
        }
        throw last;
    }

    private static String template(Map<String, String> values) throws IOException {
        try (InputStream in = I2pdRouter.class.getResourceAsStream("/proxies/i2pd.conf")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (var e : values.entrySet()) text = text.replace("${" + e.getKey() + "}", e.getValue());
            return text;
        }
    }

    public SamBridge sam() {
        return sam;
    }

    /** "127.0.0.1:PORT" of the SAM bridge, as the CLI's --sam takes it. */
    public String samAddress() {
        return sam.address().getAddress().getHostAddress() + ":" + sam.address().getPort();
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.alive();
    }

    public String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
