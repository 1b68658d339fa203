package io.megatorrent.transport.socks5;

import static io.megatorrent.transport.socks5.Socks5TestSupport.assertNoLookups;
import static io.megatorrent.transport.socks5.Socks5TestSupport.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Peers;
import io.megatorrent.testing.RecordingResolver;
import io.megatorrent.transport.PeerAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real tor 0.4.x, offline (a bridge that is not there), for its SOCKS5 handshake, stream
 * isolation credentials and error codes: offline it completes no CONNECT.
 */
class TorSocksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static ProxyProcesses.Started tor;

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.hasExecutable("tor"), "tor", "apt-get install tor");
        tor = ProxyProcesses.start("tor", dir, port -> {
            try {
                Path data = dir.resolve("tor-data-" + port);
                Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path conf = ProxyProcesses.write(dir, "torrc-" + port, ProxyProcesses.template("torrc",
                        Map.of("SOCKS_PORT", Integer.toString(port), "DATA_DIR", data.toString())));
                return List.of("tor", "-f", conf.toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (tor != null) tor.process().close();
    }

    @Test
    void aPrivateAddressIsGeneralFailure() {
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> Socks5Dialer.noAuth(loopback(tor.port()))
                .connect(new PeerAddress("127.0.0.1", 6881), TIMEOUT));
        assertEquals(0x01, e.replyCode());
        assertTrue(e.getMessage().contains("general SOCKS server failure (REP 0x01)"), e.getMessage());
    }

    @Test
    void localhostByNameIsRefusedAndNotLookedUpHere() throws Exception {
        Socks5TestSupport.assertResolverRecords();
        String name = Socks5TestSupport.freshLocalhostSpelling();
        RecordingResolver.clear();
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> Socks5Dialer.noAuth(loopback(tor.port()))
                .connect(new PeerAddress(name, 6881), TIMEOUT));
        assertNoLookups("a connect through tor to " + name);
        assertEquals(0x01, e.replyCode());
    }

    @Test
    void aMalformedOnionIsInvalidOnionAddress() throws Exception {
        Socks5TestSupport.assertResolverRecords();
        RecordingResolver.clear();
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> Socks5Dialer.noAuth(loopback(tor.port()))
                .connect(new PeerAddress("notavalidonionaddress.onion", 80), TIMEOUT));
        assertNoLookups("a connect through tor to an onion");
        assertEquals(0xF6, e.replyCode());
        assertTrue(e.getMessage().contains("invalid onion service address (Tor) (REP 0xf6)"), e.getMessage());
    }

    @Test
    void isolationCredentialsAreAcceptedPerPeer() {
        // tor takes any username/password (they pick the circuit); getting to the CONNECT reply
        // proves the RFC 1929 exchange went through
        Socks5Dialer dialer = Socks5Dialer.isolatingPerPeer(loopback(tor.port()));
        for (int port : new int[] {1, 2}) {
            Socks5Exception e = assertThrows(Socks5Exception.class, () -> dialer.connect(new PeerAddress("127.0.0.1", port), TIMEOUT));
            assertEquals(-1, e.authStatus());
            assertEquals(0x01, e.replyCode());
        }
        Socks5Exception onion = assertThrows(Socks5Exception.class,
                () -> dialer.connect(new PeerAddress("bad.onion", 6881), TIMEOUT));
        assertEquals(0xF6, onion.replyCode());
    }
}
