package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.Blob;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.NodeKey;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The node layer's bounds: memory and threads that must not grow with a manifest or with peers. */
@Timeout(120)
class NodeLimitsTest {
    private final TestSwarm swarm = new TestSwarm();

    @AfterEach
    void closeAll() throws Exception {
        swarm.close();
    }

    @Test
    void manyTinyFilesSharingBlobsAreWrittenWithBoundedConcurrency(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node pubNode = swarm.node(tmp.resolve("pub"), dht);
        Publisher publisher = new Publisher(pubNode, ChannelIdentity.generate(false, new SecureRandom()));
        int distinct = 40;
        List<FileEntry> originals = new ArrayList<>();
        List<String> blobIds = new ArrayList<>();
        for (int i = 0; i < distinct; i++) {
            FileEntry e = publisher.ingest(TestSwarm.file(tmp.resolve("in"), "t" + i, 7 + i, i), "t" + i);
            originals.add(e);
            blobIds.addAll(e.blobIds());
        }
        publisher.announce(blobIds);

        // the same tiny blobs listed 2,000 times under different names
        int items = 2000;
        List<FileEntry> listed = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            FileEntry e = originals.get(i % distinct);
            listed.add(new FileEntry("d" + (i % 10) + "/f" + i + ".bin", e.size(), e.blobIds(), e.fileKey()));
        }
        Node subNode = swarm.node(tmp.resolve("sub"), dht);
        Subscriber subscriber = new Subscriber(subNode);
        List<Subscriber.Written> written = subscriber.download(List.of(new ManifestCollection("c", listed)), tmp.resolve("out"));

        assertEquals(items, written.size());
        for (int i = 0; i < items; i += 97) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("in/t" + (i % distinct))),
                    Files.readAllBytes(tmp.resolve("out/c/d" + (i % 10) + "/f" + i + ".bin")));
        }
        assertEquals(distinct, subNode.downloader().blobsFetched.get(), "each distinct blob fetched once");
        assertTrue(subscriber.maxFilesInProgress.get() <= Subscriber.MAX_CONCURRENT_FILES,
                "files at once: " + subscriber.maxFilesInProgress.get());
        assertTrue(subscriber.maxFilesInProgress.get() >= 2, "files do run in parallel");
        assertEquals(0, subscriber.filesInProgress.get());
        assertTrue(subNode.downloader().maxFetchesInProgress.get() <= BlobDownloader.MAX_CONCURRENT_FETCHES);
    }

    @Test
    void blobFetchesAreBoundedOverAllDownloadsAndDeadConnectionsAreDropped(@TempDir Path tmp) throws Exception {
        Node pubNode = swarm.node(tmp.resolve("pub"), List.of());
        Publisher publisher = new Publisher(pubNode, ChannelIdentity.generate(false, new SecureRandom()));
        int n = 80;
        List<String> blobIds = new ArrayList<>();
        for (int i = 0; i < n; i++) blobIds.addAll(publisher.ingest(TestSwarm.file(tmp.resolve("in"), "t" + i, 5 + i, i), "t" + i).blobIds());

        // the holder is named directly (no DHT): this is about the downloader's own bounds
        BlobDownloader d = new BlobDownloader(LocalBlobs.open(tmp.resolve("sub")), id -> List.of(pubNode.listenAddress()), new TcpDialer(), X25519.generate(), 0);
        swarm.add(d);
        // two downloads at once share the one bound
        CompletableFuture<BlobDownloader.Result> first = CompletableFuture.supplyAsync(() -> download(d, blobIds.subList(0, n / 2)));
        BlobDownloader.Result second = download(d, blobIds.subList(n / 2, n));
        first.get(60, TimeUnit.SECONDS);
        assertEquals(n / 2, second.requested());
        assertEquals(n, d.blobsFetched.get());
        assertTrue(d.maxFetchesInProgress.get() <= BlobDownloader.MAX_CONCURRENT_FETCHES, "fetches at once: " + d.maxFetchesInProgress.get());
        assertTrue(d.maxInFlightPerConnection() <= BlobFetcher.MAX_IN_FLIGHT);
        assertEquals(1, d.fetcherCount());

        // the peer goes away: its fetcher (and the connection's buffers) is dropped
        pubNode.close();
        swarm.remove(pubNode);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (d.fetcherCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, d.fetcherCount(), "the dead connection is no longer kept");
        assertEquals(0, d.openConnections());
    }

    private static BlobDownloader.Result download(BlobDownloader d, List<String> ids) {
        try {
            return d.download(ids);
        } catch (IOException | InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aPeerThatNeverReadsDoesNotStallAnotherPeer() throws Exception {
        byte[] blob = new byte[Blob.BLOB_SIZE];
        new java.util.Random(5).nextBytes(blob);
        BlobServer server = new BlobServer(shortId -> blob, () -> 0);
        Listener listener = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), X25519.generate(), Connection.Timeouts.DEFAULT, server);
        swarm.add(listener);
        PeerAddress at = new PeerAddress("127.0.0.1", listener.localAddress().getPort());
        byte[] shortId = new byte[BlobKeys.SHORT_ID_LENGTH];

        // Silent peers: each asks for many blobs and never reads an answer. Before each
        // connection had its own writer, their stuck answers held every global memory permit.
        int silent = 6;
        for (int p = 0; p < silent; p++) {
            Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null, at), X25519.generate(), Connection.Timeouts.DEFAULT);
            swarm.add(c);
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
            for (int i = 1; i <= 40; i++) c.send(new Message.Request(i, shortId));
        }
        // let the server fill their socket buffers and block on them
        long deadline = System.nanoTime() + 10_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            Thread.sleep(300);
            long now = server.blobsServed.get();
            if (now == last) break;
            last = now;
        }
        assertTrue(server.blobsServed.get() < silent * 40L, "the silent peers' sockets are full");

        try (BlobFetcher good = BlobFetcher.connect(new TcpDialer(), at, X25519.generate(), 0)) {
            for (int i = 0; i < 3; i++) assertArrayEquals(blob, good.request(shortId), "a reading peer is served");
        }
    }

    @Test
    void aRestartedSubscriberStillRefusesAnOlderPointer(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node pubNode = swarm.node(tmp.resolve("pub"), dht);
        Publisher publisher = new Publisher(pubNode, ChannelIdentity.generate(false, new SecureRandom()));
        FileEntry a = publisher.ingest(TestSwarm.file(tmp.resolve("in"), "a", 100, 1), "a.bin");
        List<ManifestCollection> c = List.of(new ManifestCollection("c", List.of(a)));
        Publisher.Published p1 = publisher.publish(c, 1);
        publisher.announce(Publisher.blobsOf(p1.publication(), c));
        Publisher.Published p2 = publisher.publish(c, 2);
        publisher.announce(Publisher.blobsOf(p2.publication(), c));
        ChannelUri uri = ChannelUri.parse(publisher.identity().uri().format());

        Node subNode = swarm.node(tmp.resolve("sub"), dht);
        assertEquals(2, new Subscriber(subNode).resolve(uri, p2.item()).manifest().seq());
        subNode.close();
        swarm.remove(subNode);

        Node again = swarm.node(tmp.resolve("sub"), dht);
        Subscriber restarted = new Subscriber(again);
        ManifestException e = assertThrows(ManifestException.class, () -> restarted.resolve(uri, p1.item()));
        assertEquals("seq", e.field());
        assertEquals(2, restarted.resolve(uri, p2.item()).manifest().seq(), "the same seq is still accepted");

        // a damaged record is an error, never a reason to forget the channel's seq
        Path record = again.channelSeqs().file(uri.publicKey());
        assertEquals("2\n", Files.readString(record));
        Files.writeString(record, "x");
        IOException bad = assertThrows(IOException.class, () -> restarted.resolve(uri, p1.item()));
        assertTrue(bad.getMessage().contains("not a sequence number"), bad.getMessage());
    }

    @Test
    void channelSeqsOnlyMoveForward(@TempDir Path tmp) throws Exception {
        ChannelSeqs seqs = new ChannelSeqs(tmp);
        byte[] key = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        assertEquals(-1, seqs.last(key));
        seqs.accept(key, 7);
        seqs.accept(key, 3);
        assertEquals(7, new ChannelSeqs(tmp).last(key));
        seqs.accept(key, 9);
        assertEquals(9, new ChannelSeqs(tmp).last(key));
        try (var files = Files.list(tmp.resolve(ChannelSeqs.FOLDER))) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        Files.writeString(seqs.file(key), "9".repeat(40));
        assertThrows(IOException.class, () -> seqs.last(key));
    }

    @Test
    void anotherNodeOnTheSamePortIsNotUs() throws Exception {
        InetAddress lo1 = InetAddress.getByName("127.0.0.1");
        InetAddress lo2 = InetAddress.getByName("127.0.0.2");
        InetAddress wildcard = InetAddress.getByName("0.0.0.0");
        InetAddress elsewhere = InetAddress.getByName("192.0.2.7");
        assertTrue(Node.isSelf(new InetSocketAddress(lo1, 6881), new InetSocketAddress(lo1, 6881), Set.of()));
        assertFalse(Node.isSelf(new InetSocketAddress(lo1, 6882), new InetSocketAddress(lo1, 6881), Set.of()));
        assertFalse(Node.isSelf(new InetSocketAddress(lo2, 6881), new InetSocketAddress(lo1, 6881), Set.of()), "another loopback address");
        assertFalse(Node.isSelf(new InetSocketAddress(elsewhere, 6881), new InetSocketAddress(wildcard, 6881), Set.of(lo1)),
                "a wildcard listener is not every host on its port");
        assertTrue(Node.isSelf(new InetSocketAddress(lo1, 6881), new InetSocketAddress(wildcard, 6881), Set.of(lo1)));
    }

    @Test
    void aDialThatReachesOurOwnKeyIsRefused(@TempDir Path tmp) throws Exception {
        Node n = swarm.node(tmp.resolve("n"), List.of());
        FileEntry e = new Publisher(n, ChannelIdentity.generate(false, new SecureRandom())).ingest(TestSwarm.file(tmp, "f", 10, 3), "f");
        LocalBlobs empty = LocalBlobs.open(tmp.resolve("empty"));
        // a downloader with the node's own key, told the node's address holds the blob
        try (BlobDownloader d = new BlobDownloader(empty, id -> List.of(n.listenAddress()), new TcpDialer(), NodeKey.loadOrCreate(tmp.resolve("n")), 0)) {
            IOException x = assertThrows(IOException.class, () -> d.download(e.blobIds()));
            assertTrue(x.getMessage().contains("is this node"), x.getMessage());
            assertEquals(0, d.fetcherCount());
            assertEquals(1, d.unreachableCount(), "not dialled again");
        }
    }
}
