package io.megatorrent.transport.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** SAM line parsing, command building, destinations and bounded reads, without a router. */
class SamClientTest {

    @Test
    void parsesRepliesWithQuotedValues() throws Exception {
        SamReply r = SamReply.parse("HELLO REPLY RESULT=OK VERSION=3.1");
        assertEquals("HELLO", r.topic());
        assertEquals("REPLY", r.op());
        assertEquals(Map.of("RESULT", "OK", "VERSION", "3.1"), r.values());
        SamReply q = SamReply.parse("SESSION STATUS RESULT=I2P_ERROR MESSAGE=\"no \\\"tunnels\\\" \\\\ yet\"");
        assertEquals("no \"tunnels\" \\ yet", q.get("MESSAGE"));
        SamReply bare = SamReply.parse("STREAM STATUS RESULT=OK SILENT");
        assertEquals("", bare.get("SILENT"));
        SamReply empty = SamReply.parse("NAMING REPLY RESULT=KEY_NOT_FOUND NAME=x.i2p MESSAGE=\"\"");
        assertEquals("", empty.get("MESSAGE"));
        SamException e = assertThrows(SamException.class, () -> empty.expectOk("NAMING LOOKUP x.i2p", "NAMING", "REPLY"));
        assertEquals("KEY_NOT_FOUND", e.result());
        assertTrue(e.getMessage().contains("not known to the router's address book"), e.getMessage());
    }

    @Test
    void rejectsMalformedReplies() {
        String[] bad = {
            "", "HELLO", "hello REPLY RESULT=OK", "HELLO REPLY  RESULT=OK", "HELLO REPLY RESULT=OK ",
            "HELLO REPLY =OK", "HELLO REPLY RESULT=\"OK", "HELLO REPLY RESULT=\"OK\"X", "HELLO REPLY RESULT=O\"K",
            "HELLO REPLY RESULT=OK RESULT=OK", "HELLO REPLY RESULT=OK\r", "HELLO REPLY RESULT=\u00e9",
            "HELLO REPLY M=\"a\\nb\"", "HELLO REPLY R\"X=1", "HELLO REPLY " + "A=1 ".repeat(40).trim(),
            "HELLO REPLY V=" + "x".repeat(SamReply.MAX_LINE_LENGTH),
        };
        for (String line : bad) {
            SamException e = assertThrows(SamException.class, () -> SamReply.parse(line), line);
            assertNull(e.result());
            assertTrue(e.getMessage().startsWith("SAM protocol error"), e.getMessage());
        }
        assertThrows(SamException.class, () -> SamReply.parse("STREAM STATUS RESULT=OK").expectOk("HELLO", "HELLO", "REPLY"));
        assertThrows(SamException.class, () -> SamReply.parse("HELLO REPLY VERSION=3.1").expectOk("HELLO", "HELLO", "REPLY"));
    }

    @Test
    void everyResultHasAMessage() {
        for (String result : SamException.RESULTS.keySet()) {
            SamException e = SamException.result("STREAM CONNECT", result, "detail");
            assertEquals(result, e.result());
            assertTrue(e.getMessage().contains("RESULT=" + result + " (" + SamException.RESULTS.get(result) + ")"), e.getMessage());
            assertTrue(e.getMessage().contains("bridge says \"detail\""), e.getMessage());
        }
        assertTrue(SamException.result("X", "WHATEVER", null).getMessage().contains("unknown RESULT value"));
    }

    @Test
    void commandsAreExactAndCannotBeInjected() {
        assertEquals("HELLO VERSION MIN=3.1 MAX=3.1", SamConnection.HELLO);
        assertEquals("STREAM ACCEPT ID=a SILENT=false",
                SamConnection.command("STREAM ACCEPT", new java.util.LinkedHashMap<>(Map.of("ID", "a")) {{ put("SILENT", "false"); }}));
        for (String value : new String[] {"a b", "a\nSESSION CREATE", "a\"b", "a\\b", "", "caf\u00e9"}) {
            assertThrows(IllegalArgumentException.class, () -> SamConnection.command("NAMING LOOKUP", Map.of("NAME", value)), value);
        }
        assertThrows(IllegalArgumentException.class, () -> SamConnection.command("X", Map.of("A=B", "1")));
        assertThrows(IllegalArgumentException.class, () -> SamBridge.checkNickname("has space"));
        assertThrows(IllegalArgumentException.class, () -> SamBridge.checkNickname("x".repeat(65)));
        SamBridge.checkNickname("megatorrent-node_1");
        assertEquals("SESSION CREATE STYLE=STREAM ID=alice DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetType=1 "
                + "inbound.length=0 inbound.quantity=1 outbound.length=0 outbound.quantity=1",
                SamBridge.sessionCreateLine("alice", null, SamSession.options(SamSession.ZERO_HOP_OPTIONS, SamSession.LEASE_SET_TYPE_1)));
        assertEquals("SESSION CREATE STYLE=STREAM ID=n DESTINATION=AAAA", SamBridge.sessionCreateLine("n", "AAAA", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SamBridge.sessionCreateLine("n", null, Map.of("DESTINATION", "x")));
        assertThrows(IllegalArgumentException.class, () -> SamBridge.sessionCreateLine("n", null, Map.of("inbound.length", "0 ID=evil")));
    }

    /** A destination built here: 384 bytes of keys, then a key certificate for Ed25519 (type 7) and X25519 crypto (4). */
    static byte[] ed25519Destination(long seed) {
        byte[] d = new byte[384 + 7];
        new Random(seed).nextBytes(d);
        byte[] cert = {5, 0, 4, 0, 7, 0, 4};
        System.arraycopy(cert, 0, d, 384, cert.length);
        return d;
    }

    @Test
    void destinationsAndB32Names() throws Exception {
        byte[] dest = ed25519Destination(1);
        String pub = I2pDestination.encode(dest);
        assertEquals(524, pub.length());
        assertTrue(pub.indexOf('+') < 0 && pub.indexOf('/') < 0);
        assertEquals(pub, I2pDestination.requirePublic(pub));
        assertEquals(7, I2pDestination.signatureType(pub));
        byte[] priv = Arrays.copyOf(dest, dest.length + 32 + 32);
        assertEquals(pub, I2pDestination.publicOf(I2pDestination.encode(priv)));
        assertThrows(SamException.class, () -> I2pDestination.publicOf(pub), "a public destination holds no private keys");
        assertThrows(SamException.class, () -> I2pDestination.requirePublic(I2pDestination.encode(priv)));
        assertThrows(SamException.class, () -> I2pDestination.requirePublic(I2pDestination.encode(Arrays.copyOf(dest, 389))));
        assertThrows(SamException.class, () -> I2pDestination.requirePublic(pub.replace('A', '+')));
        assertThrows(SamException.class, () -> I2pDestination.requirePublic("garbage"));

        // RFC 4648 section 10 vectors (lowercase, unpadded, as I2P writes b32 names)
        assertEquals("", I2pDestination.base32(new byte[0]));
        assertEquals("my", I2pDestination.base32("f".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("mzxw6ytboi", I2pDestination.base32("foobar".getBytes(StandardCharsets.US_ASCII)));
        String b32 = I2pDestination.b32Of(pub);
        assertEquals(52 + ".b32.i2p".length(), b32.length());
        assertEquals(I2pDestination.base32(MessageDigest.getInstance("SHA-256").digest(dest)) + ".b32.i2p", b32);
        assertTrue(new PeerAddress(pub, 0).isI2p());
        assertTrue(new PeerAddress(b32, 0).isI2p());
    }

    @Test
    void acceptedPeerLines() throws Exception {
        String pub = I2pDestination.encode(ed25519Destination(2));
        assertEquals(new PeerAddress(pub, 0), SamSession.parseAcceptedPeer(pub));
        assertEquals(new PeerAddress(pub, 0), SamSession.parseAcceptedPeer(pub + " FROM_PORT=0 TO_PORT=0"));
        SamException e = assertThrows(SamException.class, () -> SamSession.parseAcceptedPeer("STREAM STATUS RESULT=I2P_ERROR MESSAGE=\"gone\""));
        assertEquals("I2P_ERROR", e.result());
        assertThrows(SamException.class, () -> SamSession.parseAcceptedPeer("not-a-destination"));
        assertThrows(SamException.class, () -> SamSession.parseAcceptedPeer(pub + " FROM_PORT=\"0"));
    }

    @Test
    void dialerRefusesWhatIsNotI2p() {
        SamDialer dialer = new SamDialer(dummySession());
        assertThrows(IOException.class, () -> dialer.connect(new PeerAddress("example.org", 80), Duration.ofSeconds(1)));
        IOException port = assertThrows(IOException.class, () -> dialer.connect(new PeerAddress("peer.i2p", 6881), Duration.ofSeconds(1)));
        assertTrue(port.getMessage().contains("no port"), port.getMessage());
    }

    private static SamSession dummySession() {
        return new SamSession(new SamBridge(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)), "x", null, "x");
    }

    /** A one-shot fake bridge: answers the first line with {@code answer}, then waits. */
    private static void withBridge(Consumer<OutputStream> answer, ThrowingConsumer<InetSocketAddress> test) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    var in = s.getInputStream();
                    while (in.read() != '\n') { /* the HELLO line */ }
                    answer.accept(s.getOutputStream());
                    s.getOutputStream().flush();
                    in.read();
                } catch (IOException ignored) {
                    // the client hung up
                }
            });
            test.accept(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            t.join(2000);
        }
    }

    interface ThrowingConsumer<T> {
        void accept(T t) throws Exception;
    }

    private static void write(OutputStream out, byte[] b) {
        try {
            out.write(b);
        } catch (IOException ignored) {
            // the client stopped reading, as it should
        }
    }

    @Test
    void overlongLinesAreCutOffNotBuffered() throws Exception {
        byte[] endless = new byte[SamReply.MAX_LINE_LENGTH + 100];
        Arrays.fill(endless, (byte) 'A');
        withBridge(out -> write(out, endless), bridge -> {
            SamException e = assertThrows(SamException.class,
                    () -> SamConnection.open(bridge, System.nanoTime() + 5_000_000_000L));
            assertTrue(e.getMessage().contains("longer than " + SamReply.MAX_LINE_LENGTH), e.getMessage());
        });
    }

    @Test
    void aSilentBridgeTimesOut() throws Exception {
        withBridge(out -> { }, bridge -> {
            IOException e = assertThrows(IOException.class,
                    () -> new SamBridge(bridge).lookup("x.i2p", Duration.ofMillis(300)));
            assertInstanceOf(SocketTimeoutException.class, e);
            assertTrue(e.getMessage().contains("HELLO"), e.getMessage());
        });
    }

    @Test
    void aBridgeWithoutVersion31IsNamed() throws Exception {
        withBridge(out -> write(out, "HELLO REPLY RESULT=NOVERSION\n".getBytes(StandardCharsets.US_ASCII)), bridge -> {
            SamException e = assertThrows(SamException.class, () -> new SamBridge(bridge).lookup("x.i2p", Duration.ofSeconds(5)));
            assertEquals("NOVERSION", e.result());
            assertTrue(e.getMessage().contains("does not speak SAM 3.1"), e.getMessage());
        });
    }
}
