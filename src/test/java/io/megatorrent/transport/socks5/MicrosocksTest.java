package io.megatorrent.transport.socks5;

import static io.megatorrent.transport.socks5.Socks5TestSupport.assertEchoes;
import static io.megatorrent.transport.socks5.Socks5TestSupport.assertNoLookups;
import static io.megatorrent.transport.socks5.Socks5TestSupport.loopback;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.X25519;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.RecordingResolver;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SOCKS5 client through a real microsocks 1.0.x, without and with RFC 1929 auth. */
class MicrosocksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Socks5Credentials USER = new Socks5Credentials("mt-user", "mt-secret-1");

    @TempDir
    static Path dir;
    private static Socks5TestSupport.EchoServer echo;
    private static ProxyProcesses.Started open;
    private static ProxyProcesses.Started authenticated;

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        echo = new Socks5TestSupport.EchoServer();
        open = ProxyProcesses.start("microsocks", dir,
                port -> List.of("microsocks", "-i", "127.0.0.1", "-p", Integer.toString(port)));
        authenticated = ProxyProcesses.start("microsocks with auth", dir, port -> List.of("microsocks", "-i", "127.0.0.1",
                "-p", Integer.toString(port), "-u", USER.username(), "-P", USER.password()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (open != null) open.process().close();
        if (authenticated != null) authenticated.process().close();
        if (echo != null) echo.close();
    }

    private static void connectByName(Socks5Dialer dialer, ProxyProcesses.Started proxy) throws Exception {
        Socks5TestSupport.assertResolverRecords();
        String name = Socks5TestSupport.freshLocalhostSpelling();
        RecordingResolver.clear();
        try (SocketChannel ch = dialer.connect(new PeerAddress(name, echo.port()), TIMEOUT)) {
            assertEchoes(ch, "through microsocks to " + name);
        }
        assertNoLookups("a connect through microsocks to " + name);
        // microsocks logs the target as the client sent it: the name itself, so ATYP DOMAINNAME
        String expected = "connected to " + name + ":" + echo.port();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!proxy.process().log().contains(expected) && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(proxy.process().log().contains(expected), "microsocks log lacks '" + expected + "':\n" + proxy.process().log());
    }

    @Test
    void connectsByHostNameWithoutAuth() throws Exception {
        connectByName(Socks5Dialer.noAuth(loopback(open.port())), open);
    }

    @Test
    void connectsByHostNameWithUsernameAndPassword() throws Exception {
        connectByName(Socks5Dialer.withCredentials(loopback(authenticated.port()), USER), authenticated);
    }

    /** The transport's Noise handshake and a message, dialed through microsocks by host name. */
    @Test
    void aNoiseConnectionThroughMicrosocks() throws Exception {
        X25519.KeyPair serverStatic = X25519.generate();
        X25519.KeyPair clientStatic = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(TIMEOUT, TIMEOUT);
        try (Listener listener = Listener.open(loopback(0), serverStatic, timeouts, c -> {
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            Message m;
            while ((m = c.receive()) != null) {
                if (m.requestId() != 0) c.send(new Message.Ok(m.requestId()));
            }
        })) {
            Socks5TestSupport.assertResolverRecords();
            String name = Socks5TestSupport.freshLocalhostSpelling();
            RecordingResolver.clear();
            PeerTarget target = new PeerTarget(serverStatic.publicKey(), new PeerAddress(name, listener.localAddress().getPort()));
            try (Connection c = Connection.connect(Socks5Dialer.withCredentials(loopback(authenticated.port()), USER), target, clientStatic, timeouts)) {
                assertNoLookups("a Noise connect through microsocks to " + name);
                assertArrayEquals(serverStatic.publicKey(), c.remoteStatic());
                c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
                assertInstanceOf(Message.Hello.class, c.receive());
                c.send(new Message.FindPeers(5, new byte[Message.ID_LENGTH]));
                assertEquals(new Message.Ok(5), c.receive());
            }
        }
    }

    @Test
    void connectsToAnIpLiteral() throws Exception {
        try (SocketChannel ch = Socks5Dialer.noAuth(loopback(open.port())).connect(new PeerAddress("127.0.0.1", echo.port()), TIMEOUT)) {
            assertEchoes(ch, "by address");
        }
    }

    @Test
    void wrongPasswordIsAClearAuthError() {
        Socks5Dialer dialer = Socks5Dialer.withCredentials(loopback(authenticated.port()), new Socks5Credentials(USER.username(), "wrong"));
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> dialer.connect(new PeerAddress("localhost", echo.port()), TIMEOUT));
        assertTrue(e.authStatus() > 0, "status " + e.authStatus());
        assertTrue(e.getMessage().contains("rejected our username/password"), e.getMessage());
    }

    @Test
    void noCredentialsForAnAuthenticatingProxyIsAClearError() {
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> Socks5Dialer.noAuth(loopback(authenticated.port()))
                .connect(new PeerAddress("localhost", echo.port()), TIMEOUT));
        assertEquals(-1, e.replyCode());
        assertTrue(e.getMessage().contains("none of our authentication methods"), e.getMessage());
    }
}
