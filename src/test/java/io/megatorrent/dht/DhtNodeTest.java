package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class DhtNodeTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void idAndTablePersistAcrossRestarts(@TempDir Path dir) throws Exception {
        try (DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            NodeId id;
            try (DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
                id = node.id();
                node.bootstrap(List.of(other.localAddress()), Duration.ofSeconds(5));
                assertEquals(1, node.routingTableSize());
            }
            assertTrue(Files.exists(dir.resolve(DhtNode.STATE_FILE)));
            try (DhtNode again = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
                assertEquals(id, again.id());
                assertEquals(List.of(new NodeInfo(other.id(), other.localAddress())), again.knownNodes());
            }
        }
    }

    /** The warm-up answers through the real receive step of a node of its own and leaves nothing open behind it. */
    @Test
    void warmUpAnswersItsQueriesAndClosesItsNode() throws Exception {
        int open = DhtNode.openUdpSockets();
        // the queries asked for, and batches of 2,000 more while the JIT is still compiling, up to 3 times as many
        long answered = DhtNode.warmUp(3_000, Duration.ofSeconds(30));
        assertTrue(answered >= 3_000 && answered <= 9_000 && (answered - 3_000) % 2_000 == 0 || answered == 9_000, "answered " + answered);
        assertTrue(DhtNode.compilerCpuNanos() > 0, "the JIT compiler threads' CPU time is read from /proc/self/task");
        assertEquals(open, DhtNode.openUdpSockets());
        assertEquals(0, DhtNode.warmUp(0, Duration.ofSeconds(30)));
        long cut = DhtNode.warmUp(Integer.MAX_VALUE, Duration.ofMillis(300)); // ends at its limit
        assertTrue(cut > 0, "answered " + cut);
        assertEquals(open, DhtNode.openUdpSockets());
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK));
             DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            assertEquals(node.id(), other.ping(node.localAddress()).id());
        }
    }

    @Test
    void readOnlyQueriersStayOutOfTheTableAndReadOnlyNodesAnswerNothing() throws Exception {
        try (DhtNode full = DhtNode.start(DhtNode.Config.of(LOOPBACK));
             DhtNode ro = DhtNode.start(DhtNode.Config.of(LOOPBACK).withReadOnly(true));
             DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK).withQueryTimeout(Duration.ofMillis(300)))) {
            assertEquals(full.id(), ro.ping(full.localAddress()).id());
            assertEquals(0, full.routingTableSize(), "BEP 43: a read-only querier is not added");
            other.ping(full.localAddress());
            assertEquals(1, full.routingTableSize());
            assertThrows(java.net.SocketTimeoutException.class, () -> other.ping(ro.localAddress()));
        }
    }

    /**
     * A put without a seq reads the item and stores seq + 1 with cas = the seq read (BEP 44), so an
     * item another writer stored in between is not overwritten: here, at the same seq, which the
     * storing node would otherwise accept.
     */
    @Test
    void putWithoutSeqUsesCasAndLosesNoConcurrentUpdate() throws Exception {
        Duration t = Duration.ofSeconds(5);
        byte[] seed = new byte[32];
        seed[0] = 42;
        byte[] salt = "cas".getBytes();
        NodeId target = new NodeId(Bep44.mutableTarget(Ed25519.fromSeed(seed).publicKey(), salt));
        try (DhtNode storage = DhtNode.start(DhtNode.Config.of(LOOPBACK));
             DhtNode writer = DhtNode.start(DhtNode.Config.of(LOOPBACK));
             DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            writer.bootstrap(List.of(storage.localAddress()), t);
            other.bootstrap(List.of(storage.localAddress()), t);
            assertEquals(4, writer.putMutable(seed, salt, BBytes.of("first"), 4L, t).seq());
            DhtNode.PutResult next = writer.putMutable(seed, salt, BBytes.of("second"), null, t);
            assertEquals(5, next.seq(), "one above the seq found");
            assertTrue(next.stored() > 0);

            // the other writer stores seq 6 between our read (seq 5) and our put (seq 6, cas 5)
            ItemOperations racing = new ItemOperations((tgt, kind, s, stop, deadline) -> {
                Lookup.Result r = writer.lookup(tgt, kind, s, stop, deadline);
                assertTrue(other.putMutable(seed, salt, BBytes.of("theirs"), 6L, t).stored() > 0);
                return r;
            }, writer, writer.id());
            assertEquals(6, racing.putMutable(seed, salt, BBytes.of("ours"), null, t).seq());
            // the storing node that held seq 5 refused it (a node that held nothing may take it)
            GetResponse kept = (GetResponse) writer.query(storage.localAddress(), new Get(writer.id(), target, null));
            assertEquals(BBytes.of("theirs"), kept.value(), "the concurrent update is kept");
            assertEquals(6L, kept.seq());
        }
    }

    @Test
    void errorsComeBackAsKrpcExceptions() throws Exception {
        try (DhtNode a = DhtNode.start(DhtNode.Config.of(LOOPBACK)); DhtNode b = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            KrpcException bad = assertThrows(KrpcException.class,
                    () -> b.query(a.localAddress(), new AnnouncePeer(b.id(), NodeId.random(), 80, false, new byte[8])));
            assertEquals(KrpcException.PROTOCOL, bad.code());
            GetPeersResponse gp = (GetPeersResponse) b.query(a.localAddress(), new GetPeers(b.id(), NodeId.random()));
            Ed25519.KeyPair key = Ed25519.fromSeed(new byte[32]);
            Put old = TableAndStorageTest.mutable(key, new byte[0], BBytes.of("new"), 9, null);
            Put stale = TableAndStorageTest.mutable(key, new byte[0], BBytes.of("old"), 8, null);
            b.query(a.localAddress(), withToken(old, gp.token()));
            assertEquals(KrpcException.SEQ_LESS_THAN_CURRENT,
                    assertThrows(KrpcException.class, () -> b.query(a.localAddress(), withToken(stale, gp.token()))).code());
            GetResponse got = (GetResponse) b.query(a.localAddress(), new Get(b.id(), new NodeId(Bep44.mutableTarget(key.publicKey(), new byte[0])), null));
            assertEquals(BBytes.of("new"), got.value());
            assertEquals(9L, got.seq());
            GetResponse upToDate = (GetResponse) b.query(a.localAddress(), new Get(b.id(), new NodeId(Bep44.mutableTarget(key.publicKey(), new byte[0])), 9L));
            assertNull(upToDate.value());
            assertEquals(9L, upToDate.seq());
        }
    }

    @Test
    void ipv6NodesOnLoopbackStoreAndFindItems() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        List<DhtNode> nodes = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                DhtNode n = DhtNode.start(DhtNode.Config.of(v6));
                if (i > 0) n.bootstrap(List.of(nodes.get(0).localAddress()), Duration.ofSeconds(5));
                nodes.add(n);
            }
            DhtNode.PutResult put = nodes.get(5).putImmutable(BBytes.of("over IPv6"), Duration.ofSeconds(10));
            assertTrue(put.stored() >= 3, "stored at " + put.stored());
            assertEquals(BBytes.of("over IPv6"), nodes.get(1).getImmutable(put.target(), Duration.ofSeconds(10)).orElseThrow().value());
            NodeId infohash = NodeId.random();
            assertTrue(nodes.get(2).announce(infohash, 6881, Duration.ofSeconds(10)) >= 3);
            List<InetSocketAddress> peers = nodes.get(3).getPeers(infohash, Duration.ofSeconds(10));
            assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 6881)), peers);
            // BEP 32 on the wire: nodes6 and 18-byte values
            FindNodeResponse f = (FindNodeResponse) nodes.get(4).query(nodes.get(0).localAddress(), new FindNode(nodes.get(4).id(), NodeId.random()));
            assertFalse(f.nodes().isEmpty());
            assertTrue(f.nodes().stream().allMatch(n -> n.address().getAddress() instanceof java.net.Inet6Address));
        } finally {
            for (DhtNode n : nodes) n.close();
        }
    }

    static Put withToken(Put p, byte[] token) {
        return new Put(p.id(), token, p.value(), p.publicKey(), p.salt(), p.seq(), p.signature(), p.cas());
    }
}
