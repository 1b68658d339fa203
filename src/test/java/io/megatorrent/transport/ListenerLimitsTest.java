package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.X25519;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The listener's caps on what peers can make it hold, and the handshake's absolute deadline; real loopback TCP. */
@Timeout(60)
class ListenerLimitsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final Connection.Timeouts TIMEOUTS = new Connection.Timeouts(Duration.ofSeconds(20), Duration.ofSeconds(20));

    private final X25519.KeyPair serverKey = X25519.generate();
    private final X25519.KeyPair clientKey = X25519.generate();

    /** A listener whose handler holds each connection until the peer closes it. */
    private Listener holding(Listener.Limits limits, Connection.Timeouts timeouts) throws IOException {
        return Listener.open(LOOPBACK, serverKey, timeouts, limits, c -> c.receive());
    }

    private static PeerTarget target(Listener l) throws IOException {
        InetSocketAddress a = l.localAddress();
        return new PeerTarget(null, new PeerAddress(a.getAddress().getHostAddress(), a.getPort()));
    }

    private Connection connect(Listener l) throws IOException {
        return Connection.connect(new TcpDialer(), target(l), clientKey, TIMEOUTS);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    /** True when the listener closed the raw stream (EOF or reset) within {@code within}; false when it still holds it. */
    private static boolean closedByPeer(SocketChannel raw, Duration within) throws IOException {
        raw.socket().setSoTimeout((int) within.toMillis());
        try {
            return raw.socket().getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    /** A listener whose handler reads each connection's messages until the peer closes it. */
    private Listener reading(Listener.Limits limits) throws IOException {
        return Listener.open(LOOPBACK, serverKey, TIMEOUTS, limits, c -> {
            while (c.receive() != null) {
                // each message only refreshes when the connection was last heard from
            }
        });
    }

    private static boolean endedByPeer(Connection c) {
        try {
            return c.receive() == null;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aFullListenerEvictsTheConnectionHeardFromLeastRecently() throws Exception {
        try (Listener l = reading(new Listener.Limits(256, 2, 32, false))) {
            Connection a = connect(l);
            Connection b = connect(l);
            await(() -> l.openConnections() == 2, "two connections are served");
            Thread.sleep(20);
            b.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of())); // b is heard from, a stays idle
            Thread.sleep(200);
            try (Connection c = connect(l)) {
                assertTrue(c.isOpen(), "a newcomer gets a slot when the listener is full");
                assertTrue(endedByPeer(a), "the idlest connection was evicted");
                c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
                assertTrue(b.isOpen());
                await(() -> l.openConnections() == 2, "the cap still holds");
            }
            b.close();
        }
    }

    @Test
    void perAddressCapAppliesToLoopbackOnlyWhenAsked() throws Exception {
        try (Listener l = holding(new Listener.Limits(256, 100, 2, true), TIMEOUTS)) {
            Connection a = connect(l);
            Connection b = connect(l);
            assertThrows(IOException.class, () -> connect(l), "a third connection from 127.0.0.1 is over maxPerAddress");
            a.close();
            b.close();
        }
        // By default loopback is exempt: Tor and SAM deliver every inbound peer from loopback.
        try (Listener l = holding(new Listener.Limits(256, 100, 2, false), TIMEOUTS)) {
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) held.add(connect(l));
            for (Connection c : held) c.close();
        }
    }

    @Test
    void silentHandshakesCannotLockOutANewcomer() throws Exception {
        try (Listener l = holding(new Listener.Limits(2, 100, 32, false), TIMEOUTS)) {
            InetSocketAddress at = l.localAddress();
            try (SocketChannel silent1 = SocketChannel.open(at); SocketChannel silent2 = SocketChannel.open(at)) {
                await(() -> l.openConnections() == 2, "two silent streams are in their handshake");
                try (SocketChannel third = SocketChannel.open(at)) {
                    assertTrue(closedByPeer(silent1, Duration.ofSeconds(5)), "the oldest silent handshake makes room");
                    assertTrue(!closedByPeer(third, Duration.ofMillis(300)), "the newcomer is in its handshake");
                    await(() -> l.openConnections() == 2, "still two handshakes at most");
                    // a real client still gets through while silent streams hold every slot
                    try (Connection c = connect(l)) {
                        assertTrue(c.isOpen());
                    }
                    assertTrue(closedByPeer(silent2, Duration.ofSeconds(5)), "the next oldest made room for the client");
                }
            }
            await(() -> l.openConnections() == 0, "the silent streams are released");
        }
    }

    @Test
    void slowDripIsCutAtTheHandshakeDeadline() throws Exception {
        var quick = new Connection.Timeouts(Duration.ofMillis(600), Duration.ofSeconds(20));
        try (Listener l = holding(Listener.Limits.DEFAULT, quick);
                SocketChannel raw = SocketChannel.open(l.localAddress())) {
            // An IK first frame is 97 bytes: announce it, then send one byte every 100 ms (each
            // read finishes well within 600 ms, the whole frame would take 9.7 s).
            CompletableFuture<Long> cut = new CompletableFuture<>();
            long start = System.nanoTime();
            Thread.ofVirtual().start(() -> {
                try {
                    while (raw.read(ByteBuffer.allocate(64)) >= 0) {
                        // the responder sends nothing before the first frame is complete
                    }
                } catch (IOException e) {
                    // reset: cut as well
                }
                cut.complete(System.nanoTime() - start);
            });
            raw.write(ByteBuffer.wrap(new byte[] {0, 97, Connection.PATTERN_IK}));
            for (int i = 0; i < 96 && !cut.isDone(); i++) {
                Thread.sleep(100);
                try {
                    raw.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                } catch (IOException e) {
                    break; // the listener closed it
                }
            }
            long took = cut.get(20, TimeUnit.SECONDS);
            assertTrue(took < TimeUnit.MILLISECONDS.toNanos(3000), "the 600 ms handshake deadline held for " + took / 1_000_000 + " ms");
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(500), "cut before the deadline: " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void aMessageDrippedSlowerThanItsDeadlineIsCut() throws Exception {
        // idle 1.5 s: each drip (every 300 ms) is well within it, the message deadline is not
        var timeouts = new Connection.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(1500));
        try (Listener l = holding(Listener.Limits.DEFAULT, timeouts); SocketChannel raw = SocketChannel.open(l.localAddress())) {
            java.io.InputStream in = raw.socket().getInputStream();
            Noise.HandshakeState hs = new Noise.HandshakeState(Connection.XX, true, Connection.PROLOGUE, X25519.generate(), null, null);
            Connection.writeFully(raw, Connection.firstHandshakeFrame(false, hs.writeMessage(new byte[0])));
            byte[] len = in.readNBytes(2);
            hs.readMessage(in.readNBytes(((len[0] & 0xff) << 8) | (len[1] & 0xff)));
            Connection.writeFully(raw, Framing.handshakeFrame(hs.writeMessage(new byte[0])));
            byte[] frame = new Framing.Sealer(hs.split().send()).seal(Message.encode(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of())));
            long start = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < frame.length - 1 && !cut; i++) {
                try {
                    Connection.writeFully(raw, new byte[] {frame[i]});
                } catch (IOException e) {
                    cut = true;
                }
                cut = cut || closedByPeer(raw, Duration.ofMillis(300));
            }
            long took = System.nanoTime() - start;
            assertTrue(cut, "a message dripped a byte every 300 ms was never cut");
            assertTrue(took < TimeUnit.MILLISECONDS.toNanos(4000), "the 1.5 s message deadline held for " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void anUnsolicitedDataMessageClosesTheConnectionUnread() throws Exception {
        try (Listener l = holding(Listener.Limits.DEFAULT, TIMEOUTS); Connection c = connect(l)) {
            int before = ReceiveGate.budgetAvailable();
            c.send(new Message.Data(5, new byte[Message.MAX_BLOB_LENGTH]));
            assertTrue(c.receive() == null || !c.isOpen(), "the listener closed the connection");
            assertEquals(before, ReceiveGate.budgetAvailable(), "nothing reserved for it");
        } catch (IOException e) {
            // reset while we were still sending: closed unread as well
        }
    }

    @Test
    void initiatorCutsASlowDripResponderAtTheDeadline() throws Exception {
        var quick = new Connection.Timeouts(Duration.ofMillis(600), Duration.ofSeconds(20));
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(LOOPBACK)) {
            Thread dripper = Thread.ofVirtual().start(() -> {
                try (SocketChannel s = ss.accept()) {
                    s.write(ByteBuffer.wrap(new byte[] {0, (byte) 200}));
                    for (int i = 0; i < 200; i++) {
                        Thread.sleep(100);
                        s.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                    }
                } catch (IOException | InterruptedException e) {
                    // the initiator gave up: what we expect
                }
            });
            var addr = (InetSocketAddress) ss.getLocalAddress();
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> Connection.connect(new TcpDialer(),
                    new PeerTarget(null, new PeerAddress("127.0.0.1", addr.getPort())), clientKey, quick));
            long took = System.nanoTime() - start;
            assertInstanceOf(SocketTimeoutException.class, e);
            assertTrue(took < TimeUnit.MILLISECONDS.toNanos(3000), "the 600 ms handshake deadline held for " + took / 1_000_000 + " ms");
            dripper.interrupt();
        }
    }

    @Test
    void aStreamClosedAsTheHandshakeEndsLeavesNoWatchdog() throws Exception {
        byte[] key = new byte[32];
        var transport = new Noise.Transport(new Noise.CipherState(key, 0), new Noise.CipherState(key, 0), new byte[64], new byte[32]);
        int before = Connection.runningWatchdogs();
        SocketChannel closed = SocketChannel.open();
        closed.close(); // setting the idle timeout on it throws
        assertThrows(IOException.class, () -> Connection.establish(closed, "test", true, transport, TIMEOUTS));
        Thread.sleep(200); // a leaked watchdog would be counted by now, and would never stop
        assertTrue(Connection.runningWatchdogs() <= before, "a watchdog outlived a connection that never opened");
    }
}
