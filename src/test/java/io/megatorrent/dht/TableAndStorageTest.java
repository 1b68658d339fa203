package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.Bencode;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.Put;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TableAndStorageTest {
    static final long MIN = 60L * 1_000_000_000L;

    private static NodeInfo node(NodeId id, int port) {
        return new NodeInfo(id, new InetSocketAddress("127.0.0.1", port));
    }

    @Test
    void bucketsSplitOnlyAroundOwnIdAndKeepK() {
        Random random = new Random(7);
        NodeId own = NodeId.random(random);
        RoutingTable table = new RoutingTable(own, 0);
        for (int i = 0; i < 2000; i++) table.heardFrom(node(NodeId.random(random), 1000 + i), true, 1);
        int buckets = table.bucketCount();
        assertTrue(buckets > 5 && buckets < 20, "buckets: " + buckets);
        assertTrue(table.size() <= buckets * RoutingTable.K);
        // the far half of the id space (prefix 0) holds at most K
        long far = table.all().stream().filter(n -> own.commonPrefixLength(n.id()) == 0).count();
        assertEquals(RoutingTable.K, far);
        // closest() is sorted by distance
        NodeId target = NodeId.random(random);
        List<NodeInfo> closest = table.closest(target, 8, 1);
        for (int i = 1; i < closest.size(); i++) assertTrue(target.compareDistance(closest.get(i - 1).id(), closest.get(i).id()) < 0);
    }

    @Test
    void badNodesAreReplacedFromTheCache() {
        NodeId own = NodeId.ofHex("0000000000000000000000000000000000000000");
        RoutingTable table = new RoutingTable(own, 0);
        Random random = new Random(3);
        // fill the whole table until the prefix-0 bucket is full and frozen
        for (int i = 0; i < 400; i++) table.heardFrom(node(NodeId.random(random), 2000 + i), true, 1);
        NodeInfo farVictim = table.all().stream().filter(n -> own.commonPrefixLength(n.id()) == 0).findFirst().orElseThrow();
        byte[] fresh = new byte[20];
        fresh[0] = (byte) 0xff;
        fresh[19] = 1;
        NodeInfo newcomer = node(new NodeId(fresh), 9999);
        assertFalse(table.heardFrom(newcomer, true, 2), "full bucket: newcomer waits in the cache");
        table.failed(farVictim.address(), 3);
        table.failed(farVictim.address(), 3);
        assertFalse(table.all().contains(farVictim));
        assertTrue(table.all().contains(newcomer));
    }

    @Test
    void oneEntryPerAddressAndIdChangesFollowAnswers() {
        RoutingTable table = new RoutingTable(NodeId.random(new Random(5)), 0);
        NodeInfo first = node(NodeId.random(new Random(6)), 7000);
        NodeInfo renamed = node(NodeId.random(new Random(8)), 7000);
        assertTrue(table.heardFrom(first, false, 1));
        assertFalse(table.heardFrom(renamed, false, 2), "a query under a new id from a known address is ignored");
        assertTrue(table.heardFrom(renamed, true, 3), "an answer under a new id replaces the entry");
        assertEquals(List.of(renamed), table.all());
    }

    @Test
    void nodeStates() {
        RoutingTable.Entry e = new RoutingTable.Entry(node(NodeId.random(), 1));
        assertEquals(RoutingTable.State.QUESTIONABLE, e.state(0));
        e.lastReplied = 1;
        assertEquals(RoutingTable.State.GOOD, e.state(2));
        assertEquals(RoutingTable.State.QUESTIONABLE, e.state(16 * MIN));
        e.failures = 2;
        assertEquals(RoutingTable.State.BAD, e.state(2));
    }

    @Test
    void tokensAreBoundToIpAndLiveOneRotation() throws Exception {
        Tokens tokens = new Tokens(0);
        InetAddress a = InetAddress.getByName("10.0.0.1");
        InetAddress b = InetAddress.getByName("10.0.0.2");
        byte[] t = tokens.issue(a, 0);
        assertEquals(Tokens.TOKEN_LENGTH, t.length);
        assertTrue(tokens.valid(t, a, MIN));
        assertFalse(tokens.valid(t, b, MIN));
        assertTrue(tokens.valid(t, a, 6 * MIN), "one rotation back is accepted");
        assertFalse(tokens.valid(t, a, 11 * MIN), "two rotations back is refused");
    }

    @Test
    void peersExpireAndAreCapped() {
        PeerStore store = new PeerStore();
        NodeId ih = NodeId.random();
        for (int i = 0; i < 300; i++) store.add(ih, new InetSocketAddress("10.0." + (i / 100) + "." + (i % 100), 1000 + i), 0);
        assertEquals(PeerStore.MAX_PEERS_PER_INFOHASH, store.peerCount());
        assertEquals(PeerStore.MAX_PEERS_PER_RESPONSE, store.get(ih, 1).size());
        assertEquals(0, store.get(ih, 31 * MIN).size());
        assertEquals(0, store.infohashCount());
    }

    @Test
    void bep44ItemRules() throws Exception {
        ItemStore store = new ItemStore();
        Ed25519.KeyPair key = Ed25519.fromSeed(new byte[32]);
        byte[] salt = "s".getBytes();
        BBytes v1 = BBytes.of("one");
        store.put(mutable(key, salt, v1, 5, null), 0);
        KrpcException older = assertThrows(KrpcException.class, () -> store.put(mutable(key, salt, v1, 4, null), 0));
        assertEquals(KrpcException.SEQ_LESS_THAN_CURRENT, older.code());
        assertEquals(KrpcException.CAS_MISMATCH, assertThrows(KrpcException.class, () -> store.put(mutable(key, salt, v1, 6, 4L), 0)).code());
        store.put(mutable(key, salt, BBytes.of("two"), 6, 5L), 0);
        NodeId target = new NodeId(Bep44.mutableTarget(key.publicKey(), salt));
        assertEquals(6, store.get(target, 1).seq());
        Put forged = new Put(NodeId.random(), new byte[1], BBytes.of("evil"), key.publicKey(), salt, 9, new byte[64], null);
        assertEquals(KrpcException.INVALID_SIGNATURE, assertThrows(KrpcException.class, () -> store.put(forged, 0)).code());
        assertEquals(KrpcException.SALT_TOO_BIG, assertThrows(KrpcException.class, () -> store.put(mutable(key, new byte[65], v1, 1, null), 0)).code());
        BBytes big = new BBytes(new byte[1000]);
        assertEquals(KrpcException.MESSAGE_TOO_BIG, assertThrows(KrpcException.class,
                () -> store.put(new Put(NodeId.random(), new byte[1], big, null, null, 0, null, null), 0)).code());
        NodeId immutable = store.put(new Put(NodeId.random(), new byte[1], BBytes.of("hello"), null, null, 0, null, null), 0);
        assertEquals(new NodeId(Bep44.immutableTarget(Bencode.encode(BBytes.of("hello")))), immutable);
        assertNotNull(store.get(immutable, 119 * MIN));
        assertNull(store.get(immutable, 121 * MIN), "items expire 2 hours after the last put");
    }

    static Put mutable(Ed25519.KeyPair key, byte[] salt, BBytes v, long seq, Long cas) {
        byte[] sig = key.sign(Bep44.signedBuffer(salt, seq, Bencode.encode(v)));
        return new Put(NodeId.random(), new byte[1], v, key.publicKey(), salt, seq, sig, cas);
    }

    @Test
    void rateLimitExemptsLoopbackByDefault() throws Exception {
        RateLimiter limiter = new RateLimiter(10, false);
        InetAddress remote = InetAddress.getByName("10.1.1.1");
        int allowed = 0;
        for (int i = 0; i < 100; i++) if (limiter.allow(remote, 0)) allowed++;
        assertEquals(20, allowed, "burst is two seconds' worth");
        for (int i = 0; i < 100; i++) assertTrue(limiter.allow(InetAddress.getLoopbackAddress(), 0));
    }
}
