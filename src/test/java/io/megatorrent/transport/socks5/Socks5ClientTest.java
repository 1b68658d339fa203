package io.megatorrent.transport.socks5;

import static io.megatorrent.transport.socks5.Socks5TestSupport.assertEchoes;
import static io.megatorrent.transport.socks5.Socks5TestSupport.assertNoLookups;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.RecordingResolver;
import io.megatorrent.transport.PeerAddress;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SOCKS5 client's bytes and its reading of every reply, against a scripted server. */
class Socks5ClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static RecordingSocks5Server server;

    @BeforeAll
    static void start() throws IOException {
        server = new RecordingSocks5Server();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static void reset() {
        server.exchanges.clear();
        server.methodReply = null;
        server.authReply = new byte[] {1, 0};
        server.connectReply = new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0x1f, (byte) 0x90};
        server.silent = false;
        server.closeAfterReply = false;
    }

    @Test
    void requestBytesAreExact() {
        assertEquals("050100030d6578616d706c652e6f6e696f6e1ae1",
                Hex.encode(Socks5Handshake.connectRequest("example.onion", 6881)));
        assertEquals("05010003096c6f63616c686f73741ae1", Hex.encode(Socks5Handshake.connectRequest("localhost", 6881)),
                "the example in PROTOCOL_FINAL.md 5.2");
        assertEquals("050100017f0000010050", Hex.encode(Socks5Handshake.connectRequest("127.0.0.1", 80)));
        assertEquals("0501000400000000000000000000000000000001" + "01bb",
                Hex.encode(Socks5Handshake.connectRequest("::1", 443)));
        assertEquals("0501000400000000000000000000000000000001" + "01bb",
                Hex.encode(Socks5Handshake.connectRequest("[::1]", 443)));
        assertEquals("050100040000000000000000" + "0000ffff01020304" + "0001",
                Hex.encode(Socks5Handshake.connectRequest("::ffff:1.2.3.4", 1)));
        // not a strict dotted quad: a name for the proxy, never parsed as an address here
        assertEquals(Socks5Handshake.ATYP_DOMAINNAME, Socks5Handshake.connectRequest("010.0.0.1", 1)[3]);
        assertEquals(Socks5Handshake.ATYP_DOMAINNAME, Socks5Handshake.connectRequest("1.2.3", 1)[3]);
        assertEquals("05020200", Hex.encode(Socks5Handshake.greeting(true)));
        assertEquals("050100", Hex.encode(Socks5Handshake.greeting(false)));
        assertEquals("0101750170", Hex.encode(Socks5Handshake.authRequest(new Socks5Credentials("u", "p"))));
    }

    @Test
    void badHostsAndPortsAreRefusedBeforeSending() {
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("a b", 1));
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("h\u00e9llo.example", 1));
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("a".repeat(256), 1));
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("fe80::1%eth0", 1));
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("example.org", 0));
        assertThrows(IllegalArgumentException.class, () -> Socks5Handshake.connectRequest("zz::1", 1));
        assertThrows(IllegalArgumentException.class, () -> new Socks5Credentials("", "p"));
        assertThrows(IllegalArgumentException.class, () -> new Socks5Credentials("u", "p".repeat(256)));
        Socks5Dialer dialer = Socks5Dialer.noAuth(server.address());
        IOException e = assertThrows(IOException.class, () -> dialer.connect(new PeerAddress("bad host", 80), TIMEOUT));
        assertTrue(e.getMessage().contains("letters, digits"), e.getMessage());
        assertThrows(IOException.class, () -> dialer.connect(new PeerAddress("peer.b32.i2p", 0), TIMEOUT));
        assertThrows(IllegalArgumentException.class,
                () -> Socks5Dialer.noAuth(InetSocketAddress.createUnresolved("proxy.example", 1080)));
    }

    @Test
    void isolationCredentialsFollowTheDocumentedScheme() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update("megatorrent-socks-isolation".getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update("abc.onion:6881".getBytes(StandardCharsets.UTF_8));
        String expected = Hex.encode(Arrays.copyOf(sha.digest(), 16));
        Socks5Credentials c = Socks5Credentials.isolating(new PeerAddress("ABC.onion", 6881));
        assertEquals("megatorrent-v6", c.username());
        assertEquals(expected, c.password());
        assertEquals("fb7553176369989c82f5cc1dbb8224c5", c.password(), "the vector in PROTOCOL_FINAL.md 5.2");
        assertEquals(c, Socks5Credentials.isolating("abc.onion:6881"));
        assertNotEquals(c.password(), Socks5Credentials.isolating(new PeerAddress("abc.onion", 6882)).password());
        assertTrue(c.toString().indexOf(c.password()) < 0, "toString must not show the password");
    }

    @Test
    void namesTravelAsDomainNameAndTheJvmLooksNothingUp() throws Exception {
        reset();
        Socks5TestSupport.assertResolverRecords();
        String name = Socks5TestSupport.freshLocalhostSpelling();
        RecordingResolver.clear();
        try (SocketChannel ch = Socks5Dialer.noAuth(server.address()).connect(new PeerAddress(name, 6881), TIMEOUT)) {
            assertTrue(ch.isBlocking() && ch.isConnected());
            assertEchoes(ch, "bytes after the reply belong to the peer");
        }
        assertNoLookups("a proxied connect to " + name);
        RecordingSocks5Server.Exchange x = server.exchanges.take();
        assertEquals("050100", Hex.encode(x.greeting()));
        assertNull(x.auth());
        byte[] expected = Socks5Handshake.connectRequest(name, 6881);
        assertArrayEquals(expected, x.request());
        assertEquals(Socks5Handshake.ATYP_DOMAINNAME, x.request()[3]);
        assertEquals(name, new String(x.request(), 5, x.request()[4], StandardCharsets.US_ASCII));
    }

    @Test
    void aProxyWithoutUsersMayPickNoAuthenticationOverOurCredentials() throws Exception {
        reset();
        server.methodReply = new byte[] {5, 0};
        PeerAddress peer = new PeerAddress("abcdefghijklmnop.onion", 80);
        try (SocketChannel ch = Socks5Dialer.isolatingPerPeer(server.address()).connect(peer, TIMEOUT)) {
            assertEchoes(ch, "y");
        }
        RecordingSocks5Server.Exchange x = server.exchanges.take();
        assertEquals("05020200", Hex.encode(x.greeting()), "both methods offered, username/password first");
        assertNull(x.auth(), "no credentials sent when the proxy chose no authentication");
    }

    @Test
    void credentialsAreOfferedFirstAndSentExactly() throws Exception {
        reset();
        PeerAddress peer = new PeerAddress("abcdefghijklmnop.onion", 80);
        try (SocketChannel ch = Socks5Dialer.isolatingPerPeer(server.address()).connect(peer, TIMEOUT)) {
            assertEchoes(ch, "x");
        }
        RecordingSocks5Server.Exchange x = server.exchanges.take();
        assertEquals("05020200", Hex.encode(x.greeting()));
        assertArrayEquals(Socks5Handshake.authRequest(Socks5Credentials.isolating(peer)), x.auth());
    }

    @Test
    void everyReplyCodeHasItsOwnMessage() throws Exception {
        int[] codes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0x09, 0xF8};
        java.util.Set<String> messages = new java.util.HashSet<>();
        for (int code : codes) {
            reset();
            server.connectReply = new byte[] {5, (byte) code, 0, 1, 0, 0, 0, 0, 0, 0};
            Socks5Exception e = assertThrows(Socks5Exception.class,
                    () -> Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("x.onion", 1), TIMEOUT));
            assertEquals(code, e.replyCode());
            assertTrue(e.getMessage().contains(Socks5Reply.describe(code)), e.getMessage());
            assertTrue(e.getMessage().contains(String.format("REP 0x%02x", code)), e.getMessage());
            assertTrue(e.getMessage().contains("x.onion:1"), e.getMessage());
            messages.add(Socks5Reply.describe(code));
        }
        assertEquals(17, messages.size(), "16 assigned codes plus one 'unassigned' text");
        assertEquals(Socks5Reply.ONION_ADDRESS_INVALID, Socks5Reply.of(0xF6));
    }

    @Test
    void malformedRepliesGiveClearProtocolErrors() throws Exception {
        assertProtocolError(() -> server.methodReply = new byte[] {4, 0}, "version 0x04");
        assertProtocolError(() -> server.methodReply = new byte[] {5, 2}, "did not offer");
        assertProtocolError(() -> server.connectReply = new byte[] {4, 0, 0, 1, 0, 0, 0, 0, 0, 0}, "version 0x04");
        assertProtocolError(() -> server.connectReply = new byte[] {5, 0, 1, 1, 0, 0, 0, 0, 0, 0}, "RSV");
        assertProtocolError(() -> server.connectReply = new byte[] {5, 0, 0, 7, 0, 0, 0, 0, 0, 0}, "ATYP 0x07");
        assertProtocolError(() -> server.connectReply = new byte[] {5, 0, 0, 3, 0, 0, 0}, "empty name");

        reset();
        server.methodReply = new byte[] {5, (byte) 0xFF};
        Socks5Exception none = assertThrows(Socks5Exception.class,
                () -> Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertTrue(none.getMessage().contains("none of our authentication methods"), none.getMessage());

        reset();
        server.connectReply = new byte[] {5, 0, 0, 1, 127, 0}; // cut short
        server.closeAfterReply = true;
        EOFException eof = assertThrows(EOFException.class,
                () -> Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertTrue(eof.getMessage().contains("BND.ADDR"), eof.getMessage());

        reset();
        server.authReply = new byte[] {1, 1};
        Socks5Exception auth = assertThrows(Socks5Exception.class, () -> Socks5Dialer
                .withCredentials(server.address(), new Socks5Credentials("u", "wrong")).connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertEquals(1, auth.authStatus());
        assertTrue(auth.getMessage().contains("rejected our username/password"), auth.getMessage());

        reset();
        server.authReply = new byte[] {5, 0};
        Socks5Exception authVersion = assertThrows(Socks5Exception.class, () -> Socks5Dialer
                .withCredentials(server.address(), new Socks5Credentials("u", "p")).connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertTrue(authVersion.getMessage().contains("expected 0x01"), authVersion.getMessage());

        reset();
        server.connectReply = new byte[] {5, 0, 0, 3, 4, 'h', 'o', 's', 't', 0x1a, (byte) 0xe1, 'p', 'e', 'e', 'r'};
        try (SocketChannel ch = Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("a.onion", 1), TIMEOUT)) {
            byte[] rest = ch.socket().getInputStream().readNBytes(4);
            assertEquals("peer", new String(rest, StandardCharsets.US_ASCII), "the client read past the reply");
        }
    }

    private static void assertProtocolError(Runnable script, String expected) {
        reset();
        script.run();
        Socks5Exception e = assertThrows(Socks5Exception.class,
                () -> Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertTrue(e.getMessage().startsWith("SOCKS5 protocol error") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aSilentProxyTimesOut() throws Exception {
        reset();
        server.silent = true;
        IOException e = assertThrows(IOException.class,
                () -> Socks5Dialer.noAuth(server.address()).connect(new PeerAddress("a.onion", 1), Duration.ofMillis(300)));
        assertInstanceOf(SocketTimeoutException.class, e);
        assertTrue(e.getMessage().contains("method selection"), e.getMessage());
    }

    @Test
    void aProxyThatIsNotThereIsNamed() throws Exception {
        int port = Peers.freePort();
        IOException e = assertThrows(IOException.class, () -> Socks5Dialer.noAuth(Socks5TestSupport.loopback(port))
                .connect(new PeerAddress("a.onion", 1), TIMEOUT));
        assertTrue(e.getMessage().contains("cannot connect to SOCKS5 proxy"), e.getMessage());
    }
}
