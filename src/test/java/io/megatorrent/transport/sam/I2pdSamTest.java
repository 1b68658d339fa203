package io.megatorrent.transport.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.X25519;
import io.megatorrent.testing.Peers;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SAM v3.1 client against a real i2pd 2.45.x started here, offline with zero-hop tunnels
 * (../shared/notes/test-peers.md). Two sessions on one router, created once and in parallel
 * (i2pd takes 20 s per SESSION CREATE offline): "alice" (transient) accepts, "bob" (persisted
 * destination file) connects; raw bytes and the transport's Noise connection both cross.
 */
class I2pdSamTest {
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(60);
    static final Duration TIMEOUT = Duration.ofSeconds(15);
    static final Map<String, String> OPTIONS = I2pdRouter.SESSION_OPTIONS;

    @TempDir
    static Path dir;
    static I2pdRouter i2pd;
    static SamBridge bridge;
    static SamSession alice;
    static SamSession bob;
    static Path bobKey;
    static final BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();

    record Accepted(SocketChannel channel, PeerAddress peer) {}

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.hasExecutable("i2pd"), "i2pd", "apt-get install i2pd");
        i2pd = I2pdRouter.start(dir);
        bridge = i2pd.sam();
        bobKey = dir.resolve("node-data").resolve("i2p-destination.key");
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<SamSession> a = pool.submit(() -> bridge.createTransientSession("alice", OPTIONS, SESSION_TIMEOUT));
            Future<SamSession> b = pool.submit(() -> bridge.createPersistentSession("bob", bobKey, OPTIONS, SESSION_TIMEOUT));
            alice = a.get();
            bob = b.get();
        }
        alice.startAccepting((channel, peer) -> accepted.add(new Accepted(channel, peer)));
    }

    @AfterAll
    static void stop() throws Exception {
        for (SamSession s : new SamSession[] {alice, bob}) {
            if (s != null) s.close();
        }
        Accepted a;
        while ((a = accepted.poll()) != null) a.channel().close();
        if (i2pd != null) i2pd.close();
    }

    static Accepted nextAccepted() throws InterruptedException {
        Accepted a = accepted.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(a, "alice accepted no stream");
        return a;
    }

    static void writeAll(SocketChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) ch.write(b);
    }

    static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ch.socket().setSoTimeout((int) TIMEOUT.toMillis());
        byte[] got = ch.socket().getInputStream().readNBytes(n);
        assertEquals(n, got.length, "stream ended early");
        return got;
    }

    @Test
    void sessionsAreEd25519AndNamingLookupMeWorks() throws Exception {
        assertEquals(alice.destination(), alice.lookupMe());
        assertEquals(bob.destination(), bob.lookupMe());
        assertNotEquals(alice.destination(), bob.destination());
        assertEquals(7, I2pDestination.signatureType(alice.destination()));
        assertEquals(7, I2pDestination.signatureType(bob.destination()));
        assertEquals(alice.destination(), bridge.lookup(alice.b32Address(), TIMEOUT), "the router resolves our b32 name");
    }

    @Test
    void bobConnectsToAliceAndBytesFlowBothWays() throws Exception {
        SamDialer dialer = new SamDialer(bob);
        try (SocketChannel toAlice = dialer.connect(new PeerAddress(alice.destination(), 0), TIMEOUT)) {
            Accepted a = nextAccepted();
            try (SocketChannel atAlice = a.channel()) {
                assertEquals(new PeerAddress(bob.destination(), 0), a.peer(), "alice sees bob's destination");
                assertTrue(toAlice.isBlocking() && atAlice.isBlocking());
                byte[] hello = "hello alice, bob here".getBytes(StandardCharsets.UTF_8);
                writeAll(toAlice, hello);
                assertArrayEquals(hello, readExactly(atAlice, hello.length));
                byte[] reply = "hello bob".getBytes(StandardCharsets.UTF_8);
                writeAll(atAlice, reply);
                assertArrayEquals(reply, readExactly(toAlice, reply.length));

                // 256 KiB each way at once: a stream, not a message
                byte[] up = new byte[256 * 1024];
                byte[] down = new byte[256 * 1024];
                new Random(1).nextBytes(up);
                new Random(2).nextBytes(down);
                try (var writers = Executors.newVirtualThreadPerTaskExecutor()) {
                    Future<?> w1 = writers.submit(() -> uncheckedWrite(toAlice, up));
                    Future<?> w2 = writers.submit(() -> uncheckedWrite(atAlice, down));
                    assertArrayEquals(up, readExactly(atAlice, up.length));
                    assertArrayEquals(down, readExactly(toAlice, down.length));
                    w1.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    w2.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void uncheckedWrite(SocketChannel ch, byte[] data) {
        try {
            writeAll(ch, data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The transport's Noise connection over SAM streams, both ways: alice's accepted SAM stream
     * goes to the transport's Listener (the handler incoming TCP connections get), bob dials with
     * Connection.connect over the SamDialer, first XX, then IK with alice's static key known.
     * Bob asks, alice answers with a full blob (split over several Noise messages), and back.
     */
    @Test
    void aNoiseSessionRunsBothWaysOverSam() throws Exception {
        X25519.KeyPair aliceStatic = X25519.generate();
        X25519.KeyPair bobStatic = X25519.generate();
        Connection.Timeouts timeouts = new Connection.Timeouts(TIMEOUT, TIMEOUT);
        byte[] blob = new byte[Message.MAX_BLOB_LENGTH];
        new Random(4).nextBytes(blob);
        BlockingQueue<Connection> atAlice = new LinkedBlockingQueue<>();
        Listener aliceNode = Listener.withoutSocket(aliceStatic, timeouts, connection -> {
            atAlice.add(connection);
            connection.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            Message m;
            while ((m = connection.receive()) != null) {
                switch (m) {
                    case Message.Request r -> connection.send(new Message.Data(r.requestId(), blob.clone()));
                    case Message.FindPeers f -> connection.send(new Message.Ok(f.requestId()));
                    case Message.Hello h -> { }
                    default -> connection.send(new Message.Error(m.requestId(), Message.Error.BAD_MESSAGE, "unexpected"));
                }
            }
        });
        try (aliceNode) {
            for (boolean ik : new boolean[] {false, true}) {
                PeerTarget target = new PeerTarget(ik ? aliceStatic.publicKey() : null, new PeerAddress(alice.destination(), 0));
                try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    Future<Connection> dialed = pool.submit(() -> Connection.connect(new SamDialer(bob), target, bobStatic, timeouts));
                    Accepted a = nextAccepted();
                    assertEquals(new PeerAddress(bob.destination(), 0), a.peer());
                    aliceNode.accept(a.channel());
                    try (Connection atBob = dialed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                        Connection aliceSide = atAlice.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                        assertNotNull(aliceSide, "alice's listener got no connection");
                        assertArrayEquals(bobStatic.publicKey(), aliceSide.remoteStatic(), "alice authenticated bob's static key");
                        assertArrayEquals(aliceStatic.publicKey(), atBob.remoteStatic(), "bob authenticated alice's static key");
                        assertArrayEquals(atBob.handshakeHash(), aliceSide.handshakeHash());

                        byte[] blobId = new byte[Message.ID_LENGTH];
                        new Random(3).nextBytes(blobId);
                        atBob.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
                        assertInstanceOf(Message.Hello.class, atBob.receive());
                        int id = atBob.nextRequestId();
                        atBob.send(new Message.Request(id, blobId));
                        Message.Data data = assertInstanceOf(Message.Data.class, atBob.receive());
                        assertEquals(id, data.requestId());
                        assertArrayEquals(blob, data.blob());
                        atBob.send(new Message.FindPeers(7, blobId));
                        assertEquals(new Message.Ok(7), atBob.receive());
                    }
                }
            }
        }
    }

    @Test
    void connectsByB32NameThroughTheRoutersNamingLookup() throws Exception {
        try (SocketChannel toAlice = new SamDialer(bob).connect(new PeerAddress(alice.b32Address(), 0), TIMEOUT)) {
            Accepted a = nextAccepted();
            try (SocketChannel atAlice = a.channel()) {
                writeAll(atAlice, new byte[] {42});
                assertEquals(42, readExactly(toAlice, 1)[0]);
            }
        }
    }

    @Test
    void persistedDestinationIsMode0600AndReused() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(bobKey)));
        String saved = Files.readString(bobKey).strip();
        assertEquals(bob.destination(), I2pDestination.publicOf(saved));
        assertEquals(saved, bridge.loadOrCreatePrivateDestination(bobKey, TIMEOUT), "an existing key is read, not replaced");
        assertTrue(Files.list(bobKey.getParent()).allMatch(p -> p.equals(bobKey)), "no temporary file left behind");

        Path exposed = dir.resolve("exposed.key");
        Files.writeString(exposed, saved);
        Files.setPosixFilePermissions(exposed, PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> bridge.loadOrCreatePrivateDestination(exposed, TIMEOUT));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());

        Path corrupt = dir.resolve("corrupt.key");
        Files.writeString(corrupt, "not a key");
        Files.setPosixFilePermissions(corrupt, PosixFilePermissions.fromString("rw-------"));
        assertThrows(IOException.class, () -> bridge.loadOrCreatePrivateDestination(corrupt, TIMEOUT));
    }

    @Test
    void destGenerateGivesEd25519() throws Exception {
        SamBridge.GeneratedDestination g = bridge.generateDestination(TIMEOUT);
        assertEquals(7, I2pDestination.signatureType(g.publicBase64()));
        assertEquals(g.publicBase64(), I2pDestination.publicOf(g.privateBase64()));
    }

    @Test
    void theRoutersErrorsComeBackNamed() throws Exception {
        SamException dup = assertThrows(SamException.class, () -> bridge.createTransientSession("alice", OPTIONS, TIMEOUT));
        assertEquals("DUPLICATED_ID", dup.result());
        assertTrue(dup.getMessage().contains("already exists"), dup.getMessage());

        SamException unknown = assertThrows(SamException.class, () -> bridge.lookup("nobody-here.i2p", TIMEOUT));
        assertNotNull(unknown.result());
        assertTrue(unknown.getMessage().contains("NAMING LOOKUP nobody-here.i2p failed: RESULT="), unknown.getMessage());

        SamException noSession = assertThrows(SamException.class, () -> new SamDialer(new SamSession(bridge, "nosuchsession", null, "x"))
                .connect(new PeerAddress(alice.destination(), 0), TIMEOUT));
        assertEquals("INVALID_ID", noSession.result());
    }
}
