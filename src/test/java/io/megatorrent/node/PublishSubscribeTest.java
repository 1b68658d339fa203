package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.ManifestCollection;
import io.megatorrent.content.ManifestException;
import io.megatorrent.content.ManifestResolver;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Publisher and Subscriber on real nodes: sequences, replays, restarts. */
@Timeout(60)
class PublishSubscribeTest {
    private final TestSwarm swarm = new TestSwarm();

    @AfterEach
    void closeAll() throws Exception {
        swarm.close();
    }

    @Test
    void newerSequenceIsFoundAndAnOlderOneIsRefusedAsAReplay(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node pubNode = swarm.node(tmp.resolve("pub"), dht);
        Publisher publisher = new Publisher(pubNode, ChannelIdentity.generate(false, new SecureRandom()));
        FileEntry a = publisher.ingest(TestSwarm.file(tmp.resolve("in"), "a", 5000, 1), "a.bin");
        List<ManifestCollection> first = List.of(new ManifestCollection("c", List.of(a)));
        Publisher.Published p1 = publisher.publish(first, 1);
        publisher.announce(Publisher.blobsOf(p1.publication(), first));

        FileEntry b = publisher.ingest(TestSwarm.file(tmp.resolve("in"), "b", 3 * 1024 * 1024 + 5, 2), "sub/b.bin");
        List<ManifestCollection> second = List.of(new ManifestCollection("c", List.of(a, b)));
        Publisher.Published p2 = publisher.publish(second, 2);
        publisher.announce(Publisher.blobsOf(p2.publication(), second));

        Node subNode = swarm.node(tmp.resolve("sub"), dht);
        Subscriber subscriber = new Subscriber(subNode);
        ChannelUri uri = ChannelUri.parse(publisher.identity().uri().format());
        SignedPointer item = subscriber.pointer(uri);
        assertEquals(2, item.seq(), "the DHT holds the newest pointer");
        ManifestResolver.Resolved r = subscriber.resolve(uri, item);
        assertEquals(2, r.collections().get(0).items().size());
        List<Subscriber.Written> written = subscriber.download(r.collections(), tmp.resolve("out"));
        assertEquals(2, written.size());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("in/b")), Files.readAllBytes(tmp.resolve("out/c/sub/b.bin")));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("in/a")), Files.readAllBytes(tmp.resolve("out/c/a.bin")));

        // an old pointer replayed after seq 2 was accepted is refused
        ManifestException e = assertThrows(ManifestException.class, () -> subscriber.resolve(uri, p1.item()));
        assertEquals("seq", e.field());
        // a file already there is never overwritten
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> subscriber.download(r.collections(), tmp.resolve("out")));
        assertEquals(1, subNode.downloader().connectionsOpened.get(), "one connection to the one peer for everything");

        // a held blob that went bad on disk is quarantined and fetched again from the peer
        String damaged = b.blobIds().get(1);
        Path onDisk = subNode.blobs().store().path(damaged);
        byte[] bytes = Files.readAllBytes(onDisk);
        bytes[100] ^= 1;
        Files.write(onDisk, bytes);
        long before = subNode.downloader().blobsFetched.get();
        List<Subscriber.Written> again = subscriber.download(r.collections(), tmp.resolve("out2"));
        assertEquals(2, again.size());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("in/b")), Files.readAllBytes(tmp.resolve("out2/c/sub/b.bin")));
        assertEquals(before + 1, subNode.downloader().blobsFetched.get(), "only the damaged blob was fetched again");
        try (var q = Files.list(subNode.blobs().store().quarantineFolder())) {
            assertEquals(1, q.count());
        }
    }

    @Test
    void reannouncingMakesHeldBlobsFindableAndStopsWithTheNode(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node holder = swarm.node(tmp.resolve("holder"), dht);
        FileEntry e = new Publisher(holder, ChannelIdentity.generate(false, new SecureRandom())).ingest(TestSwarm.file(tmp, "f", 10, 4), "f");
        Node seeker = swarm.node(tmp.resolve("seeker"), dht);
        String id = e.blobIds().get(0);
        assertTrue(seeker.peersFor(id).isEmpty(), "nothing announced yet");
        holder.startReannouncing(java.time.Duration.ofMillis(50));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (holder.reannounceRounds.get() < 1 && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(holder.reannounceRounds.get() >= 1);
        assertEquals(List.of(holder.listenAddress()), seeker.peersFor(id));
        holder.close();
        swarm.remove(holder);
        long rounds = holder.reannounceRounds.get();
        Thread.sleep(200);
        assertEquals(rounds, holder.reannounceRounds.get(), "no round after close");
    }

    @Test
    void restartedNodeKeepsItsKeysAndServesWhatItHeld(@TempDir Path tmp) throws Exception {
        Node first = swarm.node(tmp.resolve("n"), List.of());
        byte[] key = first.staticPublicKey();
        FileEntry e = new Publisher(first, ChannelIdentity.generate(false, new SecureRandom())).ingest(TestSwarm.file(tmp, "f", 10, 3), "f");
        String id = e.blobIds().get(0);
        first.close();
        swarm.remove(first);

        Node again = swarm.node(tmp.resolve("n"), List.of());
        assertArrayEquals(key, again.staticPublicKey());
        try (BlobFetcher f = BlobFetcher.connect(new TcpDialer(), new PeerAddress("127.0.0.1", again.listenAddress().getPort()), X25519.generate(), 0)) {
            LocalBlobs into = LocalBlobs.open(tmp.resolve("client"));
            f.fetchInto(id, into);
            assertTrue(into.has(id));
        }
        InetSocketAddress was = again.listenAddress();
        again.close();
        swarm.remove(again);
        assertThrows(IOException.class, () -> BlobFetcher.connect(new TcpDialer(), new PeerAddress("127.0.0.1", was.getPort()), X25519.generate(), 0),
                "the listener is closed with the node");
    }
}
