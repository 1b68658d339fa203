package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two real nodes on loopback TCP. */
@Timeout(60)
class ConnectionTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final Connection.Timeouts FAST = new Connection.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(20));

    private final X25519.KeyPair serverKey = X25519.generate();
    private final X25519.KeyPair clientKey = X25519.generate();

    private static final Message.Hello HELLO = new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of());

    /**
     * A listener that greets with MSG_HELLO, answers MSG_REQUEST with MSG_DATA of the id's bytes
     * repeated (a full-size blob when the blob id starts with 9), and records what it received.
     */
    private Listener echoServer(BlockingQueue<Object> events) throws IOException {
        return Listener.open(LOOPBACK, serverKey, FAST, c -> {
            events.add(c);
            try {
                c.send(HELLO);
                Message m;
                while ((m = c.receive()) != null) {
                    events.add(m);
                    if (m instanceof Message.Request r) {
                        int length = r.blobId()[0] == 9 ? Message.MAX_BLOB_LENGTH : 70_000 + r.requestId();
                        c.send(new Message.Data(r.requestId(), blob(r.blobId()[0], length)));
                    }
                }
                events.add("closed");
            } catch (IOException e) {
                events.add(e);
            }
        });
    }

    private static byte[] blob(byte seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private PeerTarget target(Listener l, byte[] key) throws IOException {
        InetSocketAddress a = l.localAddress();
        return new PeerTarget(key, new PeerAddress(a.getAddress().getHostAddress(), a.getPort()));
    }

    private void exchange(boolean ik) throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(100);
        try (Listener l = echoServer(events);
                Connection c = Connection.connect(new TcpDialer(), target(l, ik ? serverKey.publicKey() : null), clientKey, FAST)) {
            Connection server = (Connection) events.poll(10, TimeUnit.SECONDS);
            assertArrayEquals(serverKey.publicKey(), c.remoteStatic(), "client authenticated the server's key");
            assertArrayEquals(clientKey.publicKey(), server.remoteStatic(), "server authenticated the client's key");
            assertArrayEquals(c.handshakeHash(), server.handshakeHash(), "same handshake hash on both ends");
            assertEquals(64, c.handshakeHash().length);

            c.send(new Message.Hello(6, 4242, List.of(new Message.ChannelSeq(new byte[32], 7))));
            Message.Hello hello = assertInstanceOf(Message.Hello.class, events.poll(10, TimeUnit.SECONDS));
            assertEquals(4242, hello.listenPort());
            assertEquals(7, hello.channels().get(0).seq());

            assertEquals(HELLO, c.receive(), "the server greets first");
            // Several requests in flight on one connection; each large answer spans two frames.
            int[] ids = {c.nextRequestId(), c.nextRequestId(), c.nextRequestId()};
            for (int i = 0; i < ids.length; i++) c.send(new Message.Request(ids[i], filled((byte) (i + 1))));
            for (int i = 0; i < ids.length; i++) {
                Message.Data d = assertInstanceOf(Message.Data.class, c.receive());
                assertEquals(ids[i], d.requestId());
                assertArrayEquals(blob((byte) (i + 1), 70_000 + ids[i]), d.blob());
            }
            // Either end may request blobs: the listener's end asks for a full blob (1 MiB + 16): 17 frames.
            byte[] full = blob((byte) 9, Message.MAX_BLOB_LENGTH);
            c.send(new Message.Request(c.nextRequestId(), filled((byte) 9)));
            assertArrayEquals(full, assertInstanceOf(Message.Data.class, c.receive()).blob());
            assertTrue(server.isOpen());
        }
    }

    private static byte[] filled(byte b) {
        byte[] id = new byte[20];
        java.util.Arrays.fill(id, b);
        return id;
    }

    @Test
    void xxBetweenTwoNodes() throws Exception {
        exchange(false);
    }

    @Test
    void ikBetweenTwoNodes() throws Exception {
        exchange(true);
    }

    @Test
    void ikWithWrongExpectedKeyFails() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events)) {
            byte[] wrong = X25519.generate().publicKey();
            IOException e = assertThrows(IOException.class, () -> Connection.connect(new TcpDialer(), target(l, wrong), clientKey, FAST));
            assertTrue(e.getMessage().contains("handshake"), e.getMessage());
            assertNull(events.poll(300, TimeUnit.MILLISECONDS), "the server never accepted the connection");
        }
    }

    /** A raw client that runs a correct XX handshake by hand, so tests can then misbehave at will. */
    private record RawClient(SocketChannel channel, InputStream in, Noise.Transport transport) {
        static RawClient connect(Listener l, X25519.KeyPair key) throws Exception {
            SocketChannel ch = SocketChannel.open(l.localAddress());
            InputStream in = ch.socket().getInputStream();
            Noise.HandshakeState hs = new Noise.HandshakeState(Connection.XX, true, Connection.PROLOGUE, key, null, null);
            Connection.writeFully(ch, Connection.firstHandshakeFrame(false, hs.writeMessage(new byte[0])));
            hs.readMessage(Framing.readHandshakeFrame(in, 256));
            Connection.writeFully(ch, Framing.handshakeFrame(hs.writeMessage(new byte[0])));
            return new RawClient(ch, in, hs.split());
        }

        /** True when the server closed its end (EOF) within 5 s. */
        boolean closedByServer() throws IOException {
            return closedByPeer(channel);
        }
    }

    /** True when the peer closed (EOF, or a reset because our bytes were left unread) within 5 s. */
    static boolean closedByPeer(SocketChannel ch) throws IOException {
        ch.socket().setSoTimeout(5000);
        InputStream in = ch.socket().getInputStream();
        try {
            byte[] sink = new byte[70_000];
            for (int i = 0; i < 100; i++) {
                if (in.read(sink) < 0) return true;
            }
            return false;
        } catch (java.net.SocketException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    private static Object awaitError(BlockingQueue<Object> events) throws InterruptedException {
        Object e;
        do {
            e = events.poll(10, TimeUnit.SECONDS);
        } while (e instanceof Connection);
        return e;
    }

    @Test
    void flippedCiphertextBitClosesTheConnection() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events)) {
            RawClient raw = RawClient.connect(l, clientKey);
            byte[] wire = new Framing.Sealer(raw.transport().send()).seal(Message.encode(new Message.Request(1, new byte[20])));
            wire[10] ^= 0x04;
            Connection.writeFully(raw.channel(), wire);
            ProtocolException e = assertInstanceOf(ProtocolException.class, awaitError(events));
            assertTrue(e.getMessage().contains("authentication tag"), e.getMessage());
            assertTrue(raw.closedByServer());
            raw.channel().close();
        }
    }

    @Test
    void garbageInsteadOfAHandshakeIsDropped() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events); SocketChannel ch = SocketChannel.open(l.localAddress())) {
            Connection.writeFully(ch, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            assertTrue(closedByPeer(ch), "server closed the stream");
            assertNull(events.poll(200, TimeUnit.MILLISECONDS), "no connection reached the handler");
        }
    }

    @Test
    void oversizeLengthClosesWithoutAllocating() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events)) {
            RawClient raw = RawClient.connect(l, clientKey);
            // One valid frame whose plaintext declares a 1 GiB message.
            byte[] plain = ByteBuffer.allocate(4).putInt(1 << 30).array();
            byte[] ct = raw.transport().send().encryptWithAd(null, plain);
            Connection.writeFully(raw.channel(), Framing.handshakeFrame(ct));
            ProtocolException e = assertInstanceOf(ProtocolException.class, awaitError(events));
            assertEquals("message length", e.field());
            assertTrue(e.getMessage().contains("declared 1073741824 bytes"), e.getMessage());
            assertTrue(raw.closedByServer());
            raw.channel().close();
        }
    }

    @Test
    void oversizeLengthIsRefusedBeforeAnyAllocation() throws Exception {
        // The same check on this thread, where the JVM can count what it allocates.
        byte[] key = new byte[32];
        byte[] plain = ByteBuffer.allocate(8).putInt(Integer.MAX_VALUE).putInt(0).array();
        byte[] ct = new Noise.CipherState(key, 0).encryptWithAd(null, plain);
        byte[] wire = Framing.handshakeFrame(ct);
        Framing.Opener opener = new Framing.Opener(new Noise.CipherState(key, 0));
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        ProtocolException e = assertThrows(ProtocolException.class, () -> opener.read(new java.io.ByteArrayInputStream(wire)));
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("declared 2147483647"), e.getMessage());
        assertTrue(allocated < 256 * 1024, "allocated " + allocated + " bytes before refusing");
    }

    @Test
    void idleConnectionIsClosed() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        var quick = new Connection.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(300));
        try (Listener l = Listener.open(LOOPBACK, serverKey, quick, c -> {
                    try {
                        c.receive();
                    } catch (IOException e) {
                        events.add(e);
                    }
                });
                Connection c = Connection.connect(new TcpDialer(), target(l, null), clientKey, FAST)) {
            Object e = events.poll(10, TimeUnit.SECONDS);
            assertInstanceOf(java.net.SocketTimeoutException.class, e);
            assertNull(c.receive(), "client sees the server close");
        }
    }

    @Test
    void peerThatStopsReadingIsDropped() throws Exception {
        var quick = new Connection.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(400));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Listener l = Listener.open(LOOPBACK, serverKey, FAST, c -> release.await(30, TimeUnit.SECONDS)); // never reads
                Connection c = Connection.connect(new TcpDialer(), target(l, null), clientKey, quick)) {
            byte[] blob = new byte[Message.MAX_BLOB_LENGTH];
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 1024; i++) c.send(new Message.Data(1, blob)); // far more than socket buffers hold
            });
            assertFalse(c.isOpen(), e.toString());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
            release.countDown();
        }
    }

    @Test
    void handshakeTimesOut() throws Exception {
        try (ServerSocketChannel silent = ServerSocketChannel.open().bind(LOOPBACK)) {
            var quick = new Connection.Timeouts(Duration.ofMillis(300), Duration.ofSeconds(5));
            var addr = (InetSocketAddress) silent.getLocalAddress();
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> Connection.connect(new TcpDialer(),
                    new PeerTarget(null, new PeerAddress("127.0.0.1", addr.getPort())), clientKey, quick));
            assertInstanceOf(java.net.SocketTimeoutException.class, e);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "the 300 ms handshake deadline was not enforced");
        }
    }

    @Test
    void thousandConcurrentHandshakesOnVirtualThreads() throws Exception {
        int n = 1000;
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        var slow = new Connection.Timeouts(Duration.ofSeconds(60), Duration.ofSeconds(60));
        // All from one address at once: over the default caps on handshakes, so raised here.
        var many = new Listener.Limits(n, Listener.Limits.MAX_CONNECTIONS, n, false);
        try (Listener l = Listener.open(LOOPBACK, serverKey, slow, many, c -> {
            served.incrementAndGet();
            c.send(HELLO);
            c.receive(); // hold the connection until the client closes
        })) {
            PeerTarget t = target(l, null);
            List<Thread> threads = new ArrayList<>();
            List<Connection> connections = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
            for (int i = 0; i < n; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Connection c = Connection.connect(new TcpDialer(), t, clientKey, slow);
                        assertEquals(HELLO, c.receive());
                        connections.add(c);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread th : threads) th.join();
            assertTrue(failures.isEmpty(), failures.size() + " failed, first: " + failures.peek());
            assertEquals(n, connections.size());
            assertEquals(n, served.get());
            assertEquals(n, l.openConnections(), "all " + n + " connections open at once");
            for (Connection c : connections) c.close();
        }
    }

    @Test
    void acceptEntryPointServesAnyStream() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = Listener.withoutSocket(serverKey, FAST, c -> events.add(c.receive()));
                ServerSocketChannel ss = ServerSocketChannel.open().bind(LOOPBACK)) {
            SocketChannel client = SocketChannel.open(ss.getLocalAddress());
            l.accept(ss.accept());
            try (Connection c = Connection.initiate(client, serverKey.publicKey(), clientKey, FAST, "test")) {
                c.send(HELLO);
                assertEquals(HELLO, events.poll(10, TimeUnit.SECONDS));
            }
        }
    }

    /** A connected client whose handshake and MSG_HELLO are done, and the server side's events. */
    private Connection greeted(Listener l, BlockingQueue<Object> events) throws Exception {
        Connection c = Connection.connect(new TcpDialer(), target(l, null), clientKey, FAST);
        assertInstanceOf(Connection.class, events.poll(10, TimeUnit.SECONDS));
        assertEquals(HELLO, c.receive());
        c.send(HELLO);
        assertEquals(HELLO, events.poll(10, TimeUnit.SECONDS));
        return c;
    }

    private static void assertDropped(BlockingQueue<Object> events, Connection c, String field, String text) throws Exception {
        ProtocolException e = assertInstanceOf(ProtocolException.class, awaitError(events));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertNull(c.receive(), "the server closed without answering");
    }

    @Test
    void aRequestBeforeHelloClosesTheConnectionUnanswered() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events); Connection c = Connection.connect(new TcpDialer(), target(l, null), clientKey, FAST)) {
            assertInstanceOf(Connection.class, events.poll(10, TimeUnit.SECONDS));
            c.send(new Message.Request(c.nextRequestId(), filled((byte) 1)));
            assertEquals(HELLO, c.receive());
            assertDropped(events, c, "type", "before MSG_HELLO");
        }
    }

    @Test
    void anIdReusedWhileOutstandingClosesTheConnection() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        // A server that never answers, so the first request stays outstanding.
        try (Listener l = Listener.open(LOOPBACK, serverKey, FAST, c -> {
                    events.add(c);
                    c.send(HELLO);
                    try {
                        Message m;
                        while ((m = c.receive()) != null) events.add(m);
                    } catch (IOException e) {
                        events.add(e);
                    }
                    hold.await(10, TimeUnit.SECONDS);
                });
                Connection c = greeted(l, events)) {
            c.send(new Message.Request(7, filled((byte) 1)));
            assertInstanceOf(Message.Request.class, events.poll(10, TimeUnit.SECONDS));
            c.send(new Message.Request(7, filled((byte) 2)));
            ProtocolException e = assertInstanceOf(ProtocolException.class, awaitError(events));
            assertEquals("request_id", e.field());
            assertTrue(e.getMessage().contains("reused"), e.getMessage());
            hold.countDown();
            assertNull(c.receive(), "the server closed");
        }
    }

    @Test
    void anIdMayBeUsedAgainOnceAnswered() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events); Connection c = greeted(l, events)) {
            for (int round = 0; round < 3; round++) {
                c.send(new Message.Request(5, filled((byte) 1)));
                assertEquals(5, assertInstanceOf(Message.Data.class, c.receive()).requestId());
            }
        }
    }

    @Test
    void anAnswerToNoOutstandingRequestClosesTheConnection() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        try (Listener l = echoServer(events); Connection c = greeted(l, events)) {
            c.send(new Message.Ok(3)); // we never received request 3 from the server
            assertDropped(events, c, "request_id", "answers no outstanding request");
        }
    }

    @Test
    void aPeerWithTooManyRequestsOutstandingIsDropped() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(SessionRules.MAX_OUTSTANDING + 10);
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        try (Listener l = Listener.open(LOOPBACK, serverKey, FAST, c -> {
                    events.add(c);
                    c.send(HELLO);
                    try {
                        while (c.receive() != null) {
                            // never answers
                        }
                    } catch (IOException e) {
                        events.add(e);
                    }
                    hold.await(10, TimeUnit.SECONDS);
                });
                Connection c = Connection.connect(new TcpDialer(), target(l, null), clientKey, FAST)) {
            assertInstanceOf(Connection.class, events.poll(10, TimeUnit.SECONDS));
            c.send(HELLO);
            for (int i = 1; i <= SessionRules.MAX_OUTSTANDING; i++) c.send(new Message.FindPeers(i, new byte[20]));
            assertNull(events.poll(300, TimeUnit.MILLISECONDS), SessionRules.MAX_OUTSTANDING + " outstanding requests are allowed");
            c.send(new Message.FindPeers(SessionRules.MAX_OUTSTANDING + 1, new byte[20]));
            ProtocolException e = assertInstanceOf(ProtocolException.class, awaitError(events));
            assertTrue(e.getMessage().contains("more than " + SessionRules.MAX_OUTSTANDING), e.getMessage());
            hold.countDown();
        }
    }

    @Test
    void closeStopsEverything() throws Exception {
        BlockingQueue<Object> events = new ArrayBlockingQueue<>(10);
        Listener l = echoServer(events);
        PeerTarget t = target(l, null);
        Connection c = Connection.connect(new TcpDialer(), t, clientKey, FAST);
        events.poll(10, TimeUnit.SECONDS);
        assertEquals(HELLO, c.receive());
        l.close();
        assertNull(c.receive(), "server side closed by Listener.close");
        assertFalse(c.isOpen());
        assertEquals(0, l.openConnections());
        assertThrows(IOException.class, () -> Connection.connect(new TcpDialer(), t, clientKey, FAST), "no longer listening");
    }
}
