package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.content.Blob;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.crypto.X25519;
import io.megatorrent.codec.Hex;
import io.megatorrent.transport.HandshakePolicy;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** BlobServer and BlobFetcher over real Noise connections on loopback. */
@Timeout(60)
class BlobTransferTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    /** n distinct random blobs, by full id. */
    static Map<String, byte[]> randomBlobs(int n, long seed) {
        Random r = new Random(seed);
        Map<String, byte[]> blobs = new HashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[Blob.BLOB_SIZE];
            r.nextBytes(b);
            blobs.put(Hex.encode(Hashes.sha256(b)), b);
        }
        return blobs;
    }

    /** A source serving the given blobs by short id. */
    static BlobServer.Source sourceOf(Map<String, byte[]> blobs) {
        Map<String, byte[]> byShort = new HashMap<>();
        blobs.forEach((id, b) -> byShort.put(BlobKeys.shortHex(id), b));
        return shortId -> {
            byte[] b = byShort.get(BlobKeys.shortHex(shortId));
            return b == null ? null : b.clone();
        };
    }

    private record Served(BlobServer server, Listener listener, InetSocketAddress address, X25519.KeyPair key) {}

    private Served serve(BlobServer.Source source) throws IOException {
        BlobServer server = new BlobServer(source, () -> 0);
        X25519.KeyPair key = X25519.generate();
        Listener listener = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), key, Connection.Timeouts.DEFAULT, server);
        open.add(listener);
        return new Served(server, listener, listener.localAddress(), key);
    }

    private BlobFetcher fetcher(InetSocketAddress to) throws IOException {
        BlobFetcher f = BlobFetcher.connect(new TcpDialer(), new PeerAddress("127.0.0.1", to.getPort()), X25519.generate(), 0);
        open.add(f);
        return f;
    }

    @Test
    void manyRequestsInFlightOnOneConnection(@TempDir Path tmp) throws Exception {
        int n = BlobFetcher.MAX_IN_FLIGHT;
        Map<String, byte[]> blobs = randomBlobs(n, 1);
        BlobServer.Source plain = sourceOf(blobs);
        // The server holds back its first answer until the fetcher has all n requests
        // outstanding: with fewer than n in flight on the connection, the gate would never open.
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger reading = new AtomicInteger();
        AtomicInteger maxReading = new AtomicInteger();
        Served s = serve(shortId -> {
            maxReading.accumulateAndGet(reading.incrementAndGet(), Math::max);
            try {
                if (!gate.await(20, TimeUnit.SECONDS)) throw new IOException("requests did not arrive together");
                return plain.read(shortId);
            } catch (InterruptedException e) {
                throw new IOException(e);
            } finally {
                reading.decrementAndGet();
            }
        });
        LocalBlobs into = LocalBlobs.open(tmp);
        BlobFetcher f = fetcher(s.address());
        List<Future<?>> tasks = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : blobs.keySet()) tasks.add(pool.submit(() -> {
                f.fetchInto(id, into);
                return null;
            }));
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (f.maxInFlight.get() < n && System.nanoTime() < deadline) Thread.sleep(5);
            gate.countDown();
        }
        for (Future<?> t : tasks) t.get();
        assertEquals(n, f.maxInFlight.get());
        // one writer per connection reads a blob when it is about to send it, or while it sends the one before
        assertEquals(1, maxReading.get(), "the reads of one connection never overlap");
        assertTrue(s.server().blobsReadAhead.get() > 0, "blobs queued behind another were read while that one was sent");
        assertEquals(1, s.server().connectionsServed.get(), "one connection for all requests");
        assertTrue(HandshakePolicy.KnownHybridPeers.PROCESS.contains(s.key().publicKey()), "the blob transfer ran over a hybrid session");
        assertEquals(n, s.server().blobsServed.get());
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            assertArrayEquals(e.getValue(), into.store().read(e.getKey()));
        }
        assertEquals(n, into.count());
        f.close();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (s.server().readsAheadFree() < BlobServer.MAX_READS_AHEAD && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(BlobServer.MAX_READS_AHEAD, s.server().readsAheadFree(), "every read-ahead permit is back once the connection ended");
    }

    @Test
    void unknownBlobIsAnErrorAndTheConnectionGoesOn(@TempDir Path tmp) throws Exception {
        LocalBlobs held = LocalBlobs.open(tmp.resolve("server"));
        Map<String, byte[]> blobs = randomBlobs(1, 2);
        String known = blobs.keySet().iterator().next();
        held.putVerified(known, blobs.get(known));
        Served s = serve(held);
        BlobFetcher f = fetcher(s.address());

        String unknown = "ab".repeat(32);
        LocalBlobs into = LocalBlobs.open(tmp.resolve("client"));
        BlobFetcher.RefusedException e = assertThrows(BlobFetcher.RefusedException.class, () -> f.fetchInto(unknown, into));
        assertEquals(Message.Error.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains(BlobKeys.shortHex(unknown)), e.getMessage());
        assertFalse(into.has(unknown));

        assertTrue(f.isOpen());
        f.fetchInto(known, into);
        assertTrue(into.has(known));
        assertEquals(1, s.server().requestsRefused.get());
        assertEquals(1, s.server().connectionsServed.get());

        // the server reads into buffers it reuses: the store's copy, verified, or nothing
        byte[] buf = new byte[Blob.BLOB_SIZE];
        assertTrue(held.readInto(BlobKeys.shortId(known), buf));
        assertArrayEquals(blobs.get(known), buf);
        assertFalse(held.readInto(BlobKeys.shortId(unknown), buf));
        Path file = held.store().path(known);
        byte[] flipped = Files.readAllBytes(file);
        flipped[7] ^= 1;
        Files.write(file, flipped);
        assertFalse(held.readInto(BlobKeys.shortId(known), buf), "a corrupt copy is not served");
        assertNull(held.read(BlobKeys.shortId(known)), "and leaves the index");
    }

    @Test
    void corruptBlobFromAPeerIsDetectedAndNotStored(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> blobs = randomBlobs(1, 3);
        String id = blobs.keySet().iterator().next();
        BlobServer.Source honest = sourceOf(blobs);
        Served liar = serve(shortId -> {
            byte[] b = honest.read(shortId);
            b[12345] ^= 1; // one flipped bit
            return b;
        });
        LocalBlobs into = LocalBlobs.open(tmp);
        BlobFetcher f = fetcher(liar.address());
        CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> f.fetchInto(id, into));
        assertEquals(id, e.blobId());
        assertTrue(e.getMessage().contains("bad blob"), e.getMessage());
        assertFalse(into.has(id));
        assertEquals(0, into.count());
        assertNull(into.read(BlobKeys.shortId(id)));
        try (Stream<Path> files = Files.walk(into.store().root())) {
            assertEquals(0, files.filter(Files::isRegularFile).count(), "nothing, not even a temporary, left in the store");
        }
        // a wrong-length answer is refused the same way
        Served shortAnswers = serve(shortId -> new byte[100]);
        BlobFetcher g = fetcher(shortAnswers.address());
        assertThrows(IOException.class, () -> g.fetchInto(id, into));
        assertFalse(into.has(id));
    }

    @Test
    void downloaderFallsBackFromACorruptPeerAndUsesOneConnectionPerPeer(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> blobs = randomBlobs(6, 4);
        BlobServer.Source honest = sourceOf(blobs);
        Served good = serve(honest);
        Served bad = serve(shortId -> {
            byte[] b = honest.read(shortId);
            b[0] ^= (byte) 0x80;
            return b;
        });
        LocalBlobs into = LocalBlobs.open(tmp);
        List<InetSocketAddress> peers = List.of(bad.address(), good.address());
        BlobDownloader d = new BlobDownloader(into, blobId -> peers, new TcpDialer(), X25519.generate(), 0);
        open.add(d);
        BlobDownloader.Result r = d.download(blobs.keySet());
        assertEquals(6, r.fetched());
        assertEquals(6, r.blobsByPeer().get(good.address()));
        assertTrue(d.corruptBlobs.get() >= 1, "some blobs were tried at the corrupt peer first");
        assertEquals(1, good.server().connectionsServed.get());
        assertEquals(1, bad.server().connectionsServed.get());
        for (String id : blobs.keySet()) assertArrayEquals(blobs.get(id), into.store().read(id));

        // a second download of the same blobs fetches nothing
        BlobDownloader.Result again = d.download(blobs.keySet());
        assertEquals(6, again.alreadyHeld());
        assertEquals(0, again.fetched());

        // no peer holds it: the error names the blob
        String missing = "cd".repeat(32);
        BlobDownloader none = new BlobDownloader(into, blobId -> List.of(), new TcpDialer(), X25519.generate(), 0);
        open.add(none);
        IOException e = assertThrows(IOException.class, () -> none.download(List.of(missing)));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
    }

    @Test
    void aPeerThatDropsTheConnectionFailsEveryPendingRequestAtOnce(@TempDir Path tmp) throws Exception {
        List<Listener> self = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<BlobFetcher> client = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        Served s = serve(shortId -> {
            try {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while ((client.get() == null || client.get().maxInFlight.get() < 3) && System.nanoTime() < deadline) Thread.sleep(5);
                // later requests wait for the close: on a loaded machine the writer could otherwise answer them all first
                if (closing.getAndSet(true)) Thread.sleep(10_000);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            // the server goes away with three requests unanswered (closed from another thread:
            // closing waits for the handlers, this one included)
            Thread.ofVirtual().start(() -> {
                try {
                    self.get(0).close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            return null;
        });
        self.add(s.listener());
        BlobFetcher f = fetcher(s.address());
        client.set(f);
        LocalBlobs into = LocalBlobs.open(tmp);
        long start = System.nanoTime();
        List<Future<Throwable>> tasks = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : randomBlobs(3, 5).keySet()) tasks.add(pool.submit(() -> {
                try {
                    f.fetchInto(id, into);
                    return null;
                } catch (IOException e) {
                    return e;
                }
            }));
        }
        for (Future<Throwable> t : tasks) assertTrue(t.get() instanceof IOException, String.valueOf(t.get()));
        assertTrue(System.nanoTime() - start < BlobFetcher.REQUEST_TIMEOUT.toNanos() / 2, "failed by the closed connection, not by the request timeout");
        assertFalse(f.isOpen());
        assertEquals(0, into.count());
    }

    @Test
    void anUnreachablePeerIsDialledOnceNotOncePerBlob(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> blobs = randomBlobs(8, 6);
        Served good = serve(sourceOf(blobs));
        InetSocketAddress dead;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.getLocalPort());
        }
        AtomicInteger dialsToDead = new AtomicInteger();
        TcpDialer tcp = new TcpDialer();
        io.megatorrent.transport.Dialer counting = (address, timeout) -> {
            if (address.port() == dead.getPort()) dialsToDead.incrementAndGet();
            return tcp.connect(address, timeout);
        };
        BlobDownloader d = new BlobDownloader(LocalBlobs.open(tmp), blobId -> List.of(dead, good.address()), counting, X25519.generate(), 0);
        open.add(d);
        BlobDownloader.Result r = d.download(blobs.keySet());
        assertEquals(8, r.fetched());
        assertEquals(8, r.blobsByPeer().get(good.address()));
        assertTrue(dialsToDead.get() >= 1 && dialsToDead.get() <= 2, "dials to the dead peer: " + dialsToDead.get());
    }

    @Test
    void serverRefusesOtherRequestsAndAnswersAWrongVersionWithAnError() throws Exception {
        Served s = serve(sourceOf(Map.of()));
        try (Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null, new PeerAddress("127.0.0.1", s.address().getPort())),
                X25519.generate(), Connection.Timeouts.DEFAULT)) {
            assertTrue(c.receive() instanceof Message.Hello h && h.version() == Message.PROTOCOL_VERSION);
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of())); // the first message each side sends (4.5)
            c.send(new Message.FindPeers(7, new byte[20]));
            Message answer = c.receive();
            assertTrue(answer instanceof Message.Error e && e.requestId() == 7 && e.code() == Message.Error.REFUSED, String.valueOf(answer));
            c.send(new Message.Hello(5, 0, List.of()));
            Message bye = c.receive();
            assertTrue(bye instanceof Message.Error e && e.requestId() == 0 && e.code() == Message.Error.UNSUPPORTED_VERSION, String.valueOf(bye));
            assertNull(c.receive(), "the server closes after refusing the version");
        }
    }
}
