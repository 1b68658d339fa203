package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.content.Blob;
import io.megatorrent.crypto.X25519;
import io.megatorrent.ledger.Block;
import io.megatorrent.ledger.Ledger;
import io.megatorrent.ledger.LedgerKey;
import io.megatorrent.ledger.LedgerLink;
import io.megatorrent.ledger.UploadScheduler;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ledger between real nodes on loopback: blocks for what moved, fraud proofs, priority by credit. */
@Timeout(120)
class LedgerNodeTest {
    private final TestSwarm swarm = new TestSwarm();

    @AfterEach
    void close() throws Exception {
        swarm.close();
    }

    /** Puts {@code n} random blobs into the node and announces them; returns their ids. */
    private static List<String> seed(Node node, int n, long seed) throws Exception {
        Map<String, byte[]> blobs = BlobTransferTest.randomBlobs(n, seed);
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) node.blobs().putVerified(e.getKey(), e.getValue());
        List<String> ids = List.copyOf(blobs.keySet());
        assertEquals(n, node.announce(ids).announced());
        return ids;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    /** Blobs {@code to} fetched from {@code from}, by the downloader's count. */
    private static long blobsMoved(Node from, Node to) {
        return to.downloader().blobsByPeer().entrySet().stream()
                .filter(e -> e.getKey().getPort() == from.listenAddress().getPort())
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** [given, blobsGiven, taken, blobsTaken] of {@code of}'s countersigned blocks with {@code with}. */
    private static long[] totals(Node of, Node with) {
        return of.ledger().totalsByCounterparty().getOrDefault(Hex.encode(with.ledger().publicKey()), new long[4]);
    }

    @Test
    void threeNodesHoldCountersignedBlocksMatchingWhatMoved(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node[] nodes = {swarm.node(tmp.resolve("a"), dht), swarm.node(tmp.resolve("b"), dht), swarm.node(tmp.resolve("c"), dht)};
        int[] counts = {66, 6, 3}; // A's crosses one 64 MiB share: a proposal at the share, one at the end
        List<List<String>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) held.add(seed(nodes[i], counts[i], 100 + i));
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (i != j) nodes[i].downloader().download(held.get(j));
            }
        }
        long blob = Blob.BLOB_SIZE;
        for (int x = 0; x < 3; x++) {
            for (int y = 0; y < 3; y++) {
                if (x == y) continue;
                Node giver = nodes[x];
                Node taker = nodes[y];
                long moved = blobsMoved(giver, taker) * blob;
                assertEquals(counts[x] * blob, moved, "everything came from its one holder");
                // the last share is proposed once the connection has been idle: wait for it
                await("countersigned figures " + x + "->" + y, () -> totals(giver, taker)[0] == moved && totals(taker, giver)[2] == moved);
                long[] g = totals(giver, taker);
                long[] t = totals(taker, giver);
                assertTrue(moved - g[0] >= 0 && moved - g[0] <= LedgerLink.SHARE_BYTES, "within one share");
                assertEquals(moved, g[0], "giver's countersigned bytes given");
                assertEquals(moved, t[2], "taker's countersigned bytes taken");
                assertEquals(counts[x], g[1]);
                assertEquals(counts[x], t[3]);
            }
        }
        long sum = 0;
        for (Node n : nodes) {
            List<Block> chain = n.ledger().chain();
            Ledger.verifyChain(chain, n.ledger().publicKey());
            for (Block b : chain) assertTrue(n.ledger().isCountersigned(b), "every block countersigned: " + b);
            sum += n.ledger().balance();
        }
        assertEquals(0, sum, "credit is only moved between the three: the balances add up to 0");
        // A proposed at B's 64 MiB share and whenever a transfer paused: at least three blocks
        assertTrue(nodes[0].ledger().chain().stream().filter(Block::isProposal).count() >= 3);
        assertTrue(nodes[0].ledger().chain().stream().filter(Block::isProposal).anyMatch(b -> b.bytesGiven() >= LedgerLink.SHARE_BYTES));
        assertEquals((66 - 6) * blob + (66 - 3) * blob, nodes[0].ledger().balance());
        assertTrue(nodes[0].ledger().score(nodes[1].ledger().publicKey()) > 0, "B gave A: it has a score at A");
    }

    @Test
    void aDoubleSignerIsCaughtByAThirdNodeAndTheProofReachesTheOthers(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        // F's data folder is copied: two nodes under one ledger key, each with its own chain
        Path f1Dir = tmp.resolve("f1");
        Path f2Dir = tmp.resolve("f2");
        LedgerKey.loadOrCreate(f1Dir);
        Files.createDirectories(f2Dir);
        Files.copy(f1Dir.resolve(LedgerKey.FILE_NAME), f2Dir.resolve(LedgerKey.FILE_NAME), StandardCopyOption.COPY_ATTRIBUTES);
        Node f1 = swarm.node(f1Dir, dht);
        Node f2 = swarm.node(f2Dir, dht);
        byte[] fKey = f1.ledger().publicKey();
        assertArrayEquals(fKey, f2.ledger().publicKey());
        Node a = swarm.node(tmp.resolve("a"), dht);
        Node b = swarm.node(tmp.resolve("b"), dht);
        Node c = swarm.node(tmp.resolve("c"), dht);
        List<String> x1 = seed(f1, 3, 7);
        List<String> x2 = seed(f2, 3, 8);
        a.downloader().download(x1);
        b.downloader().download(x2);
        await("F's two seq-1 blocks countersigned", () -> a.ledger().chain().size() == 1 && b.ledger().chain().size() == 1);
        assertEquals(1, f1.ledger().chain().get(0).seq());
        assertEquals(1, f2.ledger().chain().get(0).seq());
        assertTrue(!a.ledger().isFraud(fKey) && !b.ledger().isFraud(fKey), "A and B each saw one block only");
        for (Node f : List.of(f1, f2)) {
            f.close();
            swarm.remove(f);
        }
        // A and B serve what they got from F; C fetches from both: their chains meet at C
        a.announce(x1);
        b.announce(x2);
        c.downloader().download(x1);
        c.downloader().download(x2);
        await("C holds the proof", () -> c.ledger().isFraud(fKey));
        List<Block> proof = c.ledger().fraudProof(fKey);
        assertEquals(2, proof.size());
        assertEquals(proof.get(0).seq(), proof.get(1).seq());
        await("the proof reached A and B", () -> a.ledger().isFraud(fKey) && b.ledger().isFraud(fKey));

        // F comes back (its first folder): A refuses to serve it, and countersigns nothing of it
        try (Ledger fLedger = Ledger.open(f1Dir);
             BlobFetcher toA = BlobFetcher.over(Connection.connect(new TcpDialer(),
                     new PeerTarget(null, new PeerAddress("127.0.0.1", a.listenAddress().getPort())), X25519.generate(), Connection.Timeouts.DEFAULT), 0, fLedger)) {
            BlobFetcher.RefusedException e = assertThrows(BlobFetcher.RefusedException.class, () -> toA.request(BlobKeys.shortId(x1.get(0))));
            assertEquals(Message.Error.REFUSED, e.code());
        }
        assertEquals(0, a.ledger().score(fKey));
    }

    @Test
    void underContentionAGiverIsServedFirstAndANewcomerStillProgresses(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node seeder = swarm.node(tmp.resolve("s"), dht);
        Node giver = swarm.node(tmp.resolve("g"), dht);
        Node newcomer = swarm.node(tmp.resolve("n"), dht);
        // the giver gives the seeder 4 blobs first, countersigned
        seeder.downloader().download(seed(giver, 4, 21));
        byte[] giverKey = giver.ledger().publicKey();
        await("the giver's credit at the seeder", () -> seeder.ledger().score(giverKey) > 0);
        assertEquals(0, seeder.ledger().score(newcomer.ledger().publicKey()));

        UploadScheduler oneSlot = UploadScheduler.byLedger(1, seeder.ledger());
        int n = 24;
        List<String> file = seed(seeder, n, 22);
        // The seeder's store, read slowly (a busy disk), behind one upload slot: the seeder, not the
        // downloaders' own disks, is the bottleneck, so both always have requests waiting
        BlobServer slowServer = new BlobServer(shortId -> {
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            return seeder.blobs().read(shortId);
        }, () -> 0);
        slowServer.useLedger(seeder.ledger(), oneSlot);
        Listener slow = swarm.add(Listener.open(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), X25519.generate(),
                Connection.Timeouts.DEFAULT, slowServer));
        BlobDownloader toGiver = direct(giver, slow.localAddress());
        BlobDownloader toNewcomer = direct(newcomer, slow.localAddress());
        UploadScheduler.Slot busy = oneSlot.acquire(null); // the slot is taken until both peers wait for it
        // own threads: the common pool may run one task at a time on a small machine
        java.util.concurrent.ExecutorService threads = swarm.add(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        CompletableFuture<Void> newcomerDone = CompletableFuture.runAsync(() -> download(toNewcomer, file), threads);
        CompletableFuture<Void> giverDone = CompletableFuture.runAsync(() -> download(toGiver, file), threads);
        try {
            await("both peers waiting for the slot", () -> oneSlot.waiting() == 2);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": waiting " + oneSlot.waiting() + " grants " + oneSlot.grants() + " served " + seeder.server().blobsServed.get() + " conns " + seeder.server().connectionsServed.get());
        }
        busy.close();
        giverDone.get(60, TimeUnit.SECONDS);
        long newcomerHadWhenGiverFinished = toNewcomer.blobsFetched.get();
        newcomerDone.get(60, TimeUnit.SECONDS);
        assertEquals(n, toGiver.blobsFetched.get());
        assertEquals(n, toNewcomer.blobsFetched.get());
        assertTrue(newcomerHadWhenGiverFinished <= n / 2, "the giver finished first, with at least twice the newcomer's share: newcomer had " + newcomerHadWhenGiverFinished);
        assertTrue(newcomerHadWhenGiverFinished >= 2, "the newcomer progressed meanwhile: " + newcomerHadWhenGiverFinished);
        assertTrue(oneSlot.newcomerGrants() >= 2, "newcomer turns: " + oneSlot.newcomerGrants());
    }

    /** A downloader of {@code node}'s store and ledger that fetches everything from {@code from}. */
    private BlobDownloader direct(Node node, InetSocketAddress from) {
        BlobDownloader d = new BlobDownloader(node.blobs(), id -> List.of(from), new TcpDialer(), X25519.generate(), 0);
        d.useLedger(node.ledger());
        return swarm.add(d);
    }

    private static void download(BlobDownloader d, List<String> ids) {
        try {
            d.download(ids);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aNodeWithoutALedgerStillTradesAndLeavesNoIdentity(@TempDir Path tmp) throws Exception {
        List<InetSocketAddress> dht = swarm.dht(3);
        Node withLedger = swarm.node(tmp.resolve("l"), dht);
        InetSocketAddress any = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0);
        Node safe = swarm.add(Node.start(new Node.Config(tmp.resolve("safe"), any, any, dht), Node.LedgerMode.OFF));
        Node session = swarm.add(Node.start(new Node.Config(tmp.resolve("session"), any, any, dht), Node.LedgerMode.PER_SESSION));
        List<String> ids = seed(withLedger, 2, 51);
        safe.downloader().download(ids);
        session.downloader().download(ids);
        List<String> back = seed(safe, 1, 52);
        withLedger.downloader().download(back); // the ledger node fetches from the node without one
        assertEquals(null, safe.ledger());
        assertTrue(Files.notExists(tmp.resolve("safe").resolve(LedgerKey.FILE_NAME)), "no ledger key on disk");
        assertTrue(Files.notExists(tmp.resolve("safe").resolve("ledger")), "no chain on disk");
        assertTrue(Files.notExists(tmp.resolve("session").resolve(LedgerKey.FILE_NAME)), "a per-session identity is never written");
        // the per-session node countersigns like any other, under its fresh key
        await("the session node's agreement", () -> session.ledger().chain().size() == 1);
        assertEquals(-2L * Blob.BLOB_SIZE, session.ledger().balance());
        // nothing was proposed to the node without a ledger: it never introduced a key
        await("the ledger node's countersigned proposal", () -> withLedger.ledger().balance() == 2L * Blob.BLOB_SIZE);
        assertEquals(1, withLedger.ledger().chain().size());
    }

    @Test
    void aPeerThatRefusesToCountersignIsRemembered(@TempDir Path tmp) throws Exception {
        Node seeder = swarm.node(tmp.resolve("s"), List.of());
        Map<String, byte[]> blobs = BlobTransferTest.randomBlobs(2, 31);
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) seeder.blobs().putVerified(e.getKey(), e.getValue());
        Ledger refuser = Ledger.ephemeral();
        try (Connection c = Connection.connect(new TcpDialer(), new PeerTarget(null, new PeerAddress("127.0.0.1", seeder.listenAddress().getPort())),
                X25519.generate(), Connection.Timeouts.DEFAULT)) {
            c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of()));
            c.send(new Message.LedgerChain(0, refuser.publicKey(), refuser.sessionProof(c.handshakeHash()), List.of()));
            int id = 1;
            for (String blobId : blobs.keySet()) c.send(new Message.Request(id++, BlobKeys.shortId(blobId)));
            int data = 0;
            Message.LedgerPropose proposal = null;
            while (proposal == null) {
                Message m = c.receive();
                assertNotNull(m, "connection closed early");
                if (m instanceof Message.Data) data++;
                if (m instanceof Message.LedgerPropose p) proposal = p;
            }
            assertEquals(2, data, "the proposal comes after the data");
            Block p = Block.decode(proposal.block());
            assertEquals(2L * Blob.BLOB_SIZE, p.bytesGiven());
            assertArrayEquals(refuser.publicKey(), p.counterparty());
            c.send(new Message.Error(proposal.requestId(), Message.Error.REFUSED, "not signing"));
            await("the seeder remembers the refusal", () -> seeder.ledger().isRefuser(refuser.publicKey()));
        }
        assertEquals(0, seeder.ledger().balance(), "an unanswered proposal is no credit");
    }
}
