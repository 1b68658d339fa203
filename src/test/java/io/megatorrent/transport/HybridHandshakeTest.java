package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.MlKem768;
import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hybrid handshake between real nodes on loopback TCP (PROTOCOL_FINAL.md 4.2): the default,
 * the refusal and the bound fallback, the settings, and a man in the middle that strips,
 * rewrites, forges or drops the hybrid offer.
 */
@Timeout(60)
class HybridHandshakeTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final Connection.Timeouts FAST = new Connection.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(20));
    private static final String XX_HFS = "Noise_XXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2b";
    private static final String IK_HFS = "Noise_IKhfs_25519+MLKEM768_ChaChaPoly_BLAKE2b";
    private static final String XX = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
    private static final String IK = "Noise_IK_25519_ChaChaPoly_BLAKE2b";

    private final X25519.KeyPair serverKey = X25519.generate();
    private final X25519.KeyPair clientKey = X25519.generate();

    private static HandshakePolicy fresh(boolean hybrid, boolean classic) {
        return new HandshakePolicy(hybrid, classic, new HandshakePolicy.KnownHybridPeers());
    }

    /** A responder with its own policy: each accepted stream's Connection, or the exception its handshake ended with, goes to {@code results}. */
    private static final class Responder implements AutoCloseable {
        final ServerSocketChannel server;
        final BlockingQueue<Object> results = new ArrayBlockingQueue<>(16);
        final Thread acceptor;

        Responder(X25519.KeyPair key, HandshakePolicy policy) throws IOException {
            server = ServerSocketChannel.open().bind(LOOPBACK);
            acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        SocketChannel ch = server.accept();
                        Thread.ofVirtual().start(() -> {
                            try {
                                Connection c = Connection.accept(ch, key, FAST, policy);
                                results.add(c);
                                c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
                            } catch (IOException | RuntimeException e) {
                                results.add(e);
                            }
                        });
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) server.getLocalAddress();
        }

        Object next() throws InterruptedException {
            Object r = results.poll(10, TimeUnit.SECONDS);
            assertTrue(r != null, "the responder reported nothing");
            return r;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Object r : results) if (r instanceof Connection c) c.close();
        }
    }

    private static PeerTarget target(InetSocketAddress a, byte[] key) {
        return new PeerTarget(key, new PeerAddress(a.getAddress().getHostAddress(), a.getPort()));
    }

    private Connection connect(InetSocketAddress a, byte[] key, HandshakePolicy policy) throws IOException {
        return Connection.connect(new TcpDialer(), target(a, key), clientKey, FAST, policy);
    }

    // ------------------------------------------------------------------ the default and the fallback

    @Test
    void hybridByDefaultInBothPatterns() throws Exception {
        HandshakePolicy server = fresh(true, true);
        HandshakePolicy client = fresh(true, true);
        try (Responder r = new Responder(serverKey, server)) {
            for (boolean ik : new boolean[] {false, true}) {
                try (Connection c = connect(r.address(), ik ? serverKey.publicKey() : null, client)) {
                    Connection s = assertInstanceOf(Connection.class, r.next());
                    assertEquals(ik ? IK_HFS : XX_HFS, c.handshakeProtocol());
                    assertEquals(c.handshakeProtocol(), s.handshakeProtocol());
                    assertArrayEquals(c.handshakeHash(), s.handshakeHash());
                    assertArrayEquals(serverKey.publicKey(), c.remoteStatic());
                    assertArrayEquals(clientKey.publicKey(), s.remoteStatic());
                    assertInstanceOf(Message.Hello.class, c.receive(), "the session carries messages");
                }
            }
            assertTrue(client.hybridPeers().contains(serverKey.publicKey()), "the initiator remembers a hybrid peer");
            assertTrue(server.hybridPeers().contains(clientKey.publicKey()), "so does the responder");
        }
        assertEquals(HandshakePolicy.DEFAULT, HandshakePolicy.processDefault(), "connections without a policy start hybrid");
    }

    @Test
    void classicOnlyResponderRefusesAndTheInitiatorFallsBackBound() throws Exception {
        try (Responder r = new Responder(serverKey, fresh(false, true))) {
            for (boolean ik : new boolean[] {false, true}) {
                HandshakePolicy client = fresh(true, true);
                try (Connection c = connect(r.address(), ik ? serverKey.publicKey() : null, client)) {
                    Connection s = assertInstanceOf(Connection.class, r.next());
                    assertEquals(ik ? IK : XX, c.handshakeProtocol(), "the specified fallback: classic after an explicit refusal");
                    assertEquals(c.handshakeProtocol(), s.handshakeProtocol());
                    assertArrayEquals(c.handshakeHash(), s.handshakeHash());
                    assertInstanceOf(Message.Hello.class, c.receive());
                }
                assertFalse(client.hybridPeers().contains(serverKey.publicKey()));
            }
        }
    }

    @Test
    void noFallbackWhenClassicIsOffOrThePeerIsKnownHybrid() throws Exception {
        try (Responder r = new Responder(serverKey, fresh(false, true))) {
            IOException off = assertThrows(IOException.class, () -> connect(r.address(), null, fresh(true, false)));
            assertTrue(off.getMessage().contains("classic handshakes are turned off"), off.getMessage());

            HandshakePolicy knows = fresh(true, true);
            knows.hybridPeers().add(serverKey.publicKey());
            IOException ik = assertThrows(IOException.class, () -> connect(r.address(), serverKey.publicKey(), knows));
            assertTrue(ik.getMessage().contains("downgrade attempt"), ik.getMessage());
            IOException xx = assertThrows(IOException.class, () -> connect(r.address(), null, knows));
            assertTrue(xx.getMessage().contains("downgrade attempt"), xx.getMessage());
        }
    }

    @Test
    void hybridOnlyResponderRefusesClassic() throws Exception {
        try (Responder r = new Responder(serverKey, fresh(true, false))) {
            IOException e = assertThrows(IOException.class, () -> connect(r.address(), null, fresh(false, true)));
            assertTrue(e.getMessage().contains("refused the XX handshake"), e.getMessage());
            assertInstanceOf(IOException.class, r.next(), "the responder made no session");
            try (Connection c = connect(r.address(), null, fresh(true, true))) {
                assertEquals(XX_HFS, c.handshakeProtocol());
            }
        }
    }

    @Test
    void noClassicFlagTurnsClassicOffForTheProcess() throws Exception {
        java.io.PrintStream sink = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8);
        try {
            assertEquals(0, io.megatorrent.cli.Main.run(new String[] {"--no-classic", "--version"}, sink, sink));
            assertEquals(HandshakePolicy.HYBRID_ONLY, HandshakePolicy.processDefault());
            try (Responder r = new Responder(serverKey, fresh(false, true))) {
                // the process default now refuses to fall back to a classic-only responder
                IOException e = assertThrows(IOException.class,
                        () -> Connection.connect(new TcpDialer(), target(r.address(), null), clientKey, FAST));
                assertTrue(e.getMessage().contains("classic handshakes are turned off"), e.getMessage());
            }
        } finally {
            io.megatorrent.cli.Main.run(new String[] {"--version"}, sink, sink);
        }
        assertEquals(HandshakePolicy.DEFAULT, HandshakePolicy.processDefault());
    }

    @Test
    void truncatedE1IsDroppedWithoutAnswer() throws Exception {
        try (Responder r = new Responder(serverKey, fresh(true, true)); SocketChannel ch = SocketChannel.open(r.address())) {
            byte[] e = X25519.generate().publicKey();
            byte[] offer = new byte[1 + 32 + 600];
            offer[0] = Connection.PATTERN_XX_HFS;
            System.arraycopy(e, 0, offer, 1, 32);
            Connection.writeFully(ch, Framing.handshakeFrame(offer));
            Object result = r.next();
            IOException failure = assertInstanceOf(IOException.class, result);
            assertTrue(failure.getMessage().contains("e1"), failure.getMessage());
            assertEquals(-1, ch.socket().getInputStream().read(), "closed without a byte of answer (no refusal: the pattern is run here)");
        }
    }

    @Test
    void unknownPatternGetsTheRefusalFrameAndOneMoreTry() throws Exception {
        try (Responder r = new Responder(serverKey, fresh(true, true)); SocketChannel ch = SocketChannel.open(r.address())) {
            Connection.writeFully(ch, Framing.handshakeFrame(new byte[] {0x7F, 1, 2, 3}));
            InputStream in = ch.socket().getInputStream();
            assertArrayEquals(new byte[] {0, 1, 0}, in.readNBytes(3), "the refusal frame");
            Connection.writeFully(ch, Framing.handshakeFrame(new byte[] {0x7E}));
            assertInstanceOf(IOException.class, r.next());
            assertEquals(-1, in.read(), "a second refusal is never sent");
        }
    }

    // ------------------------------------------------------------------ a man in the middle

    private enum Attack { STRIP_OFFER, FORGE_REFUSAL, DROP, FLIP_KEM_CIPHERTEXT, REWRITE_PATTERN_BYTE }

    /** A loopback TCP proxy that attacks the first frames, then relays both ways. */
    private static final class Mitm implements AutoCloseable {
        final ServerSocketChannel server;
        final AtomicInteger streams = new AtomicInteger();

        Mitm(InetSocketAddress upstream, Attack attack) throws IOException {
            server = ServerSocketChannel.open().bind(LOOPBACK);
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        SocketChannel client = server.accept();
                        streams.incrementAndGet();
                        Thread.ofVirtual().start(() -> attack(client, upstream, attack));
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
        }

        private static void attack(SocketChannel client, InetSocketAddress upstream, Attack attack) {
            try (client; SocketChannel up = SocketChannel.open(upstream)) {
                InputStream fromClient = client.socket().getInputStream();
                InputStream fromUp = up.socket().getInputStream();
                byte[] offer = Framing.readHandshakeFrame(fromClient, Connection.MAX_HANDSHAKE_FRAME);
                switch (attack) {
                    case DROP -> {
                        return;
                    }
                    case STRIP_OFFER -> // 03 || e || e1 becomes 01 || e: a plain classic XX offer
                        Connection.writeFully(up, Framing.handshakeFrame(strip(offer)));
                    case REWRITE_PATTERN_BYTE -> {
                        byte[] rewritten = offer.clone();
                        rewritten[0] = Connection.PATTERN_XX; // claims classic, keeps the bytes
                        Connection.writeFully(up, Framing.handshakeFrame(rewritten));
                    }
                    case FORGE_REFUSAL -> {
                        Connection.writeFully(client, Framing.handshakeFrame(new byte[] {0}));
                        byte[] fallback = Framing.readHandshakeFrame(fromClient, Connection.MAX_HANDSHAKE_FRAME);
                        Connection.writeFully(up, Framing.handshakeFrame(fallback)); // as a fresh classic offer
                    }
                    case FLIP_KEM_CIPHERTEXT -> {
                        Connection.writeFully(up, Framing.handshakeFrame(offer));
                        byte[] reply = Framing.readHandshakeFrame(fromUp, Connection.MAX_HANDSHAKE_FRAME);
                        reply[32 + 500] ^= 0x01; // inside ekem1
                        Connection.writeFully(client, Framing.handshakeFrame(reply));
                    }
                }
                Thread back = Thread.ofVirtual().start(() -> relay(fromUp, client));
                relay(fromClient, up);
                back.join(5000);
            } catch (IOException | InterruptedException e) {
                // a side hung up: the attack is over
            }
        }

        private static byte[] strip(byte[] offer) {
            byte[] classic = Arrays.copyOf(offer, 1 + 32);
            classic[0] = Connection.PATTERN_XX;
            return classic;
        }

        private static void relay(InputStream in, SocketChannel out) {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) Connection.writeFully(out, ByteBuffer.wrap(buf, 0, n));
            } catch (IOException e) {
                // one side closed
            } finally {
                Connection.closeQuietly(out);
            }
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) server.getLocalAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private void attackFails(Attack attack, byte[] expectedKey) throws Exception {
        HandshakePolicy server = fresh(true, true);
        HandshakePolicy client = fresh(true, true);
        try (Responder r = new Responder(serverKey, server); Mitm m = new Mitm(r.address(), attack)) {
            IOException e = assertThrows(IOException.class, () -> connect(m.address(), expectedKey, client), attack + " must fail");
            assertTrue(e.getMessage().contains("handshake"), attack + ": " + e.getMessage());
            assertEquals(1, m.streams.get(), attack + ": the initiator never retried on another stream");
            Object responder = r.results.poll(attack == Attack.DROP ? 300 : 6000, TimeUnit.MILLISECONDS);
            if (responder instanceof Connection c) {
                // IK's responder finishes on writing its only message; the initiator then rejects
                // it and closes, so that one-sided session never carries a byte.
                assertTrue(expectedKey != null, attack + ": an XX responder completed a session");
                Message got;
                try {
                    got = c.receive();
                } catch (IOException closed) {
                    got = null;
                }
                assertEquals(null, got, attack + ": the initiator sent nothing on the responder's one-sided IK session");
                c.close();
            }
        }
    }

    @Test
    void mitmStrippingTheHybridOfferFails() throws Exception {
        attackFails(Attack.STRIP_OFFER, null);
    }

    @Test
    void mitmRewritingThePatternByteFails() throws Exception {
        attackFails(Attack.REWRITE_PATTERN_BYTE, null);
    }

    @Test
    void mitmForgingARefusalFails() throws Exception {
        attackFails(Attack.FORGE_REFUSAL, null);
        attackFails(Attack.FORGE_REFUSAL, serverKey.publicKey());
    }

    @Test
    void mitmDroppingTheHybridAttemptGetsNoClassicRetry() throws Exception {
        attackFails(Attack.DROP, null);
        attackFails(Attack.DROP, serverKey.publicKey());
    }

    @Test
    void tamperedKemCiphertextFails() throws Exception {
        attackFails(Attack.FLIP_KEM_CIPHERTEXT, null);
        attackFails(Attack.FLIP_KEM_CIPHERTEXT, serverKey.publicKey());
    }

    @Test
    void handshakeFrameLimitFitsTheLargestHybridFrameAndNoMore() {
        assertEquals(1 + 32 + MlKem768.PUBLIC_KEY_LENGTH + 16 + 48 + 16, Connection.MAX_HANDSHAKE_FRAME);
        assertEquals(List.of(1216, 1200, 64), List.of(Noise.Pattern.XXhfs.emptyPayloadLength(0), Noise.Pattern.XXhfs.emptyPayloadLength(1),
                Noise.Pattern.XXhfs.emptyPayloadLength(2)));
        assertEquals(List.of(1296, 1152), List.of(Noise.Pattern.IKhfs.emptyPayloadLength(0), Noise.Pattern.IKhfs.emptyPayloadLength(1)));
        assertEquals(List.of(32, 96, 64), List.of(Noise.Pattern.XX.emptyPayloadLength(0), Noise.Pattern.XX.emptyPayloadLength(1),
                Noise.Pattern.XX.emptyPayloadLength(2)));
        assertEquals(List.of(96, 48), List.of(Noise.Pattern.IK.emptyPayloadLength(0), Noise.Pattern.IK.emptyPayloadLength(1)));
    }
}
