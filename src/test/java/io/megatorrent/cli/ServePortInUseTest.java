package io.megatorrent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Cli;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A second node on one machine meets ports in use: serve names the port and the option that picks another, and leaves nothing behind. */
class ServePortInUseTest {
    @TempDir
    Path tmp;

    @Test
    void aDhtPortInUseIsNamedWithItsOption() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            int port = taken.getLocalPort();
            Cli.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run("serve", "-d", tmp.resolve("n").toString(), "--bind", "127.0.0.1",
                    "--dht-port", Integer.toString(port), "--listen-port", "0", "--no-default-bootstrap"));
            assertEquals(ExitCodes.FAILED, r.code(), r.err());
            assertTrue(r.err().contains("the DHT's UDP port 127.0.0.1:" + port), r.err());
            assertTrue(r.err().contains("--dht-port 0"), r.err());
            assertFalse(Files.exists(tmp.resolve("n").resolve("api.json")), "an api.json left behind would send commands to a node that is not there");
        }
    }

    @Test
    void aListenPortInUseIsNamedWithItsOption() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Cli.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run("serve", "-d", tmp.resolve("n").toString(), "--bind", "127.0.0.1",
                    "--dht-port", "0", "--listen-port", Integer.toString(port), "--no-default-bootstrap"));
            assertEquals(ExitCodes.FAILED, r.code(), r.err());
            assertTrue(r.err().contains("the Noise listener's TCP port 127.0.0.1:" + port), r.err());
            assertTrue(r.err().contains("--listen-port"), r.err());
        }
    }
}
