package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.codec.BValue.BInt;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What one remote (or one bridge client) can make a node do, and the state the node keeps sane. */
@Timeout(60)
class HardeningTest {
    static final long MIN = 60L * 1_000_000_000L;
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** An address literal (never a name lookup). */
    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    // ---- item 7: per-source quotas

    @Test
    void oneSourceCannotFillAnInfohashOrTheInfohashTable() {
        PeerStore store = new PeerStore();
        NodeId ih = NodeId.random();
        for (int i = 0; i < 300; i++) assertTrue(store.add(ih, at("10.0.0.1", 1000 + i), 0));
        assertEquals(PeerStore.MAX_PEERS_PER_SOURCE, store.peerCount(), "one IPv4 address holds a few ports per infohash");
        assertTrue(store.get(ih, 1).contains(at("10.0.0.1", 1299)), "its newest announce replaced its own oldest");
        for (int i = 0; i < 300; i++) assertTrue(store.add(ih, at("2001:db8::" + Integer.toHexString(i + 1), 6881), 0));
        assertEquals(2 * PeerStore.MAX_PEERS_PER_SOURCE, store.peerCount(), "IPv6 addresses count per /64");
        for (int i = 0; i < 300; i++) store.add(ih, at("10.1." + (i / 200) + "." + (i % 200), 6881), 0);
        assertEquals(PeerStore.MAX_PEERS_PER_INFOHASH, store.peerCount(), "many sources still fill the infohash to its cap");

        PeerStore other = new PeerStore();
        for (int i = 0; i < PeerStore.MAX_INFOHASHES_PER_SOURCE; i++) assertTrue(other.add(NodeId.random(), at("10.0.0.2", 1), 0));
        assertFalse(other.add(NodeId.random(), at("10.0.0.2", 1), 0), "one source is announced under a bounded number of infohashes");
        assertTrue(other.add(NodeId.random(), at("10.0.0.3", 1), 0), "another source is not affected");
        assertEquals(PeerStore.MAX_INFOHASHES_PER_SOURCE, other.infohashesOf(ip("10.0.0.2")));
        assertTrue(other.add(NodeId.random(), at("10.0.0.2", 1), 31 * MIN), "expired entries free the quota");
        assertEquals(1, other.infohashesOf(ip("10.0.0.2")));
        for (int i = 0; i < PeerStore.MAX_INFOHASHES_PER_SOURCE * 2; i++)
            assertTrue(other.add(NodeId.random(), at("127.0.0.1", 2), 31 * MIN), "loopback is exempt");
    }

    @Test
    void oneSourceCannotFillTheItemStore() throws KrpcException {
        ItemStore store = new ItemStore();
        InetAddress a = ip("10.0.0.1");
        for (int i = 0; i < ItemStore.MAX_ITEMS_PER_SOURCE; i++) store.put(immutable(i), a, 0);
        KrpcException full = assertThrows(KrpcException.class, () -> store.put(immutable(-1), a, 0));
        assertEquals(KrpcException.SERVER, full.code());
        store.put(immutable(0), a, 0); // a target it holds already is refreshed, not refused
        store.put(immutable(-1), ip("10.0.0.2"), 0);
        store.put(immutable(-2), InetAddress.getLoopbackAddress(), 0);
        store.put(immutable(0), ip("10.0.0.3"), 1); // the last put decides whose item it is
        assertEquals(ItemStore.MAX_ITEMS_PER_SOURCE - 1, store.itemsFrom(a));
        store.put(immutable(-3), a, 1);
        assertEquals(0, store.itemsFrom(ip("10.0.0.2")) - 1);
        store.expire(3 * 60 * MIN);
        assertEquals(0, store.itemsFrom(a), "expired items free the quota");
        assertEquals(0, store.size());
    }

    static Put immutable(int i) {
        return new Put(NodeId.random(), new byte[1], new BInt(i), null, null, 0, null, null);
    }

    // ---- item 4: rate limiter keys and eviction

    @Test
    void rateLimiterCountsIpv6Per64AndEvictsTheIdlest() {
        RateLimiter limiter = new RateLimiter(1, true); // burst 2
        long now = 1;
        assertTrue(limiter.allow(ip("2001:db8:1:2::1"), now));
        assertTrue(limiter.allow(ip("2001:db8:1:2::2"), now));
        assertFalse(limiter.allow(ip("2001:db8:1:2:ffff::3"), now), "one /64 shares one bucket");
        assertTrue(limiter.allow(ip("2001:db8:1:3::1"), now), "another /64 has its own");
        InetAddress busy = ip("10.9.9.9");
        assertTrue(limiter.allow(busy, now));
        assertTrue(limiter.allow(busy, now));
        assertFalse(limiter.allow(busy, now));
        for (int i = 0; i < RateLimiter.MAX_TRACKED_IPS + 10; i++) {
            limiter.allow(ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)), now);
            if (i % 1000 == 0) assertFalse(limiter.allow(busy, now), "a flood of new sources does not reset the busy one");
        }
        assertEquals(RateLimiter.MAX_TRACKED_IPS, limiter.trackedIps());
        assertFalse(limiter.allow(busy, now));
    }

    @Test
    void announcesAtTheCapDoNotRescanTheStoreEachTime() throws Exception {
        PeerStore store = new PeerStore();
        long now = 1_000_000_000L;
        for (int i = 0; i < PeerStore.MAX_INFOHASHES; i++) assertTrue(store.add(NodeId.random(), new InetSocketAddress(ip("127.0.0.1"), 1000 + i % 50000), now));
        long before = store.fullExpiries();
        int refused = 0;
        for (int i = 0; i < 10_000; i++) if (!store.add(NodeId.random(), new InetSocketAddress(ip("127.0.0.1"), 7000), now + i * 10_000L)) refused++;
        assertEquals(10_000, refused, "the store is full of live entries");
        assertTrue(store.fullExpiries() - before <= 1, "10,000 refused announces within 0.1 s scanned the store " + (store.fullExpiries() - before) + " times");
        // once entries expired, the next scan (due again after a second) makes room
        long later = now + PeerStore.PEER_TTL_NANOS + 1;
        assertTrue(store.add(NodeId.random(), new InetSocketAddress(ip("127.0.0.1"), 7000), later));
    }

    @Test
    void peersFromTheDhtAreDialableOnlyWithinTheirScope() throws Exception {
        InetAddress publicBound = ip("198.51.100.7");
        InetAddress loopbackBound = ip("127.0.0.1");
        InetAddress lanBound = ip("192.168.1.5");
        assertTrue(PeerScope.dialable(new InetSocketAddress(ip("203.0.113.9"), 6881), publicBound));
        assertTrue(PeerScope.dialable(new InetSocketAddress(ip("203.0.113.9"), 6881), loopbackBound));
        for (String local : List.of("127.0.0.1", "10.0.0.1", "192.168.1.9", "100.64.0.1", "169.254.1.1")) {
            assertFalse(PeerScope.dialable(new InetSocketAddress(ip(local), 6881), publicBound), local);
        }
        assertTrue(PeerScope.dialable(new InetSocketAddress(ip("127.0.0.1"), 6881), loopbackBound), "one-host test networks keep working");
        assertFalse(PeerScope.dialable(new InetSocketAddress(ip("127.0.0.1"), 6881), lanBound), "a LAN node does not dial its own loopback");
        assertTrue(PeerScope.dialable(new InetSocketAddress(ip("192.168.1.9"), 6881), lanBound));
        for (String unusable : List.of("0.1.2.3", "240.0.0.1", "224.0.0.1", "0.0.0.0")) {
            assertFalse(PeerScope.dialable(new InetSocketAddress(ip(unusable), 6881), loopbackBound), unusable);
        }
        assertFalse(PeerScope.dialable(new InetSocketAddress(ip("203.0.113.9"), 0), publicBound), "port 0");
    }

    @Test
    void rateLimiterCountsTheBytesAnswered() {
        RateLimiter limiter = new RateLimiter(10, true); // burst 20 tokens, 128 bytes each
        InetAddress victim = ip("10.7.7.7");
        int answered = 0;
        while (limiter.allow(victim, 1)) {
            limiter.charge(victim, 1300, 1); // a stored 1,000-byte item in a get response
            answered++;
        }
        assertEquals(2, answered, "20 tokens pay for two 1,300-byte answers (10 tokens each), not 20");
        RateLimiter small = new RateLimiter(10, true);
        int pings = 0;
        while (small.allow(victim, 1)) {
            small.charge(victim, 60, 1);
            pings++;
        }
        assertEquals(20, pings, "small answers cost one token each, as before");
    }

    // ---- items 2, 13: the routing table

    @Test
    void theTableHoldsItsOwnFamilyOnly() {
        RoutingTable v4 = new RoutingTable(NodeId.random(), 0, false, false);
        RoutingTable v6 = new RoutingTable(NodeId.random(), 0, false, true);
        NodeInfo n4 = new NodeInfo(NodeId.random(), at("127.0.0.1", 7000));
        NodeInfo n6 = new NodeInfo(NodeId.random(), at("::1", 7000));
        assertTrue(v4.heardFrom(n4, true, 1));
        assertFalse(v4.heardFrom(n6, true, 1));
        assertTrue(v6.heardFrom(n6, true, 1));
        assertFalse(v6.heardFrom(n4, true, 1));
        for (String unusable : List.of("0.0.0.0", "255.255.255.255", "224.0.0.1", "0.1.2.3"))
            assertFalse(v4.heardFrom(new NodeInfo(NodeId.random(), at(unusable, 7000)), true, 1), unusable);
        assertFalse(v4.heardFrom(new NodeInfo(NodeId.random(), at("127.0.0.1", 0)), true, 1), "port 0");
        assertEquals(List.of(n4), v4.all());
        assertEquals(List.of(n6), v6.all());
    }

    @Test
    void aStaleReplacementIsDiscardedAndTheNextPromoted() {
        NodeId own = NodeId.ofHex("0000000000000000000000000000000000000000");
        RoutingTable table = new RoutingTable(own, 0);
        Random random = new Random(3);
        for (int i = 0; i < 400; i++) table.heardFrom(new NodeInfo(NodeId.random(random), at("127.0.0.1", 2000 + i)), true, 1);
        NodeInfo victim = table.all().stream().filter(n -> own.commonPrefixLength(n.id()) == 0).findFirst().orElseThrow();
        NodeInfo older = new NodeInfo(far(1), at("127.0.0.1", 9001));
        NodeInfo stale = new NodeInfo(far(2), at("127.0.0.1", 9002));
        assertFalse(table.heardFrom(older, true, 2));
        assertFalse(table.heardFrom(stale, true, 2)); // cache: stale first, then older
        // stale's address gets an entry of its own meanwhile, under an id next to ours
        byte[] near = new byte[20];
        near[19] = 1;
        assertTrue(table.heardFrom(new NodeInfo(new NodeId(near), stale.address()), false, 3));
        table.failed(victim.address(), 4);
        table.failed(victim.address(), 4);
        List<NodeInfo> all = table.all();
        assertFalse(all.contains(victim), "the bad node goes");
        assertTrue(all.contains(older), "the next cached node is promoted");
        assertFalse(all.contains(stale));
    }

    static NodeId far(int n) {
        byte[] b = new byte[20];
        b[0] = (byte) 0xff;
        b[19] = (byte) n;
        return new NodeId(b);
    }

    @Test
    void aNodeHandlesItsOwnFamilyOnly() throws Exception {
        try (DhtNode v6 = DhtNode.start(DhtNode.Config.of(new InetSocketAddress("::1", 0)));
             DhtNode v4 = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            assertFalse(v6.ofOwnFamily(at("127.0.0.1", 6881)), "an IPv6 socket bound to :: also gets IPv4: dropped");
            assertTrue(v6.ofOwnFamily(at("::1", 6881)));
            assertFalse(v4.ofOwnFamily(at("::1", 6881)));
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> v6.query(v4.localAddress(), new Ping(v6.id())));
            assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
            // bootstrap: the IPv4 contacts an IPv4 node returns never enter an IPv6 table
            assertEquals(0, v6.routingTableSize());
        }
    }

    // ---- item 12: state file

    @Test
    void aCorruptStateFileIsMovedAsideAndSavesLeaveNoTemporaryFiles(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve(DhtNode.STATE_FILE), "d2:id3:abc".getBytes());
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
            assertEquals(0, node.routingTableSize());
            List<Thread> savers = new ArrayList<>();
            for (int i = 0; i < 8; i++) savers.add(Thread.ofVirtual().start(node::saveState));
            for (Thread t : savers) t.join();
        }
        List<String> names;
        try (var files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(2, names.size(), names.toString());
        assertTrue(names.get(0).equals(DhtNode.STATE_FILE), names.toString());
        assertTrue(names.get(1).startsWith(DhtNode.STATE_FILE + ".corrupt-"), names.toString());
        try (DhtNode again = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
            assertNotNull(again.id(), "the state written at close reads back");
        }
    }

    @Test
    void savedNodesOfTheOtherFamilyAreNotLoaded(@TempDir Path dir) throws Exception {
        NodeInfo n4 = new NodeInfo(NodeId.random(), at("127.0.0.1", 7001));
        NodeInfo n6 = new NodeInfo(NodeId.random(), at("::1", 7002));
        Files.write(dir.resolve(DhtNode.STATE_FILE), io.megatorrent.codec.Bencode.encode(io.megatorrent.codec.BValue.BDict.builder()
                .put("id", NodeId.random().bytes())
                .put("nodes", NodeInfo.compactNodes(List.of(n4)))
                .put("nodes6", NodeInfo.compactNodes6(List.of(n6))).build()));
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir).withRateLimit(0, false))) {
            assertEquals(List.of(n4), node.knownNodes());
        }
    }

    // ---- items 5, 8, 9, 10: lookups

    /** A scripted network: each address answers find_node/get_peers as its Responder says. */
    interface Responder {
        Response answer(Query q);
    }

    static KrpcTransport network(Map<InetSocketAddress, Responder> nodes, List<InetSocketAddress> asked) {
        return (to, q) -> {
            synchronized (asked) {
                asked.add(to);
            }
            Responder r = nodes.get(to);
            if (r == null) throw new java.net.SocketTimeoutException("no node at " + to);
            return r.answer(q);
        };
    }

    @Test
    void lookupsSkipLocalContactsFromPublicNodesAndAnswersUnderAnotherId() throws Exception {
        NodeId target = NodeId.random(new Random(1));
        NodeId seedId = NodeId.random(new Random(2));
        NodeId liarId = NodeId.random(new Random(3));
        InetSocketAddress seed = at("198.51.100.1", 6881);
        InetSocketAddress liar = at("198.51.100.2", 6881);
        InetSocketAddress local = at("127.0.0.1", 6881);
        InetSocketAddress lan = at("192.168.1.1", 6881);
        InetSocketAddress hidden = at("198.51.100.3", 6881);
        Map<InetSocketAddress, Responder> nodes = new HashMap<>();
        nodes.put(seed, q -> new FindNodeResponse(seedId, List.of(new NodeInfo(NodeId.random(), local), new NodeInfo(NodeId.random(), lan),
                new NodeInfo(NodeId.random(), at("0.0.0.0", 6881)), new NodeInfo(liarId, liar))));
        // the liar answers under another id than it was given as, with a contact that would otherwise be followed
        nodes.put(liar, q -> new FindNodeResponse(NodeId.random(new Random(4)), List.of(new NodeInfo(NodeId.random(), hidden))));
        nodes.put(local, q -> new FindNodeResponse(NodeId.random(), List.of()));
        List<InetSocketAddress> asked = new ArrayList<>();
        Lookup.Result r = new Lookup(network(nodes, asked), NodeId.random(), target, Lookup.Kind.FIND_NODE, null, false, ip("203.0.113.7"))
                .run(List.of(new NodeInfo(seedId, seed)), System.nanoTime() + 5_000_000_000L);
        assertEquals(List.of(seed, liar), asked, "loopback, LAN and unspecified contacts from a public node are not queried; the liar's contact neither");
        assertEquals(List.of(new NodeInfo(seedId, seed)), r.closest(), "an answer under another id is a failure (3.8)");

        asked.clear();
        new Lookup(network(nodes, asked), NodeId.random(), target, Lookup.Kind.FIND_NODE, null, false, InetAddress.getLoopbackAddress())
                .run(List.of(new NodeInfo(seedId, seed)), System.nanoTime() + 5_000_000_000L);
        assertTrue(asked.contains(local), "a node bound to loopback follows loopback contacts");
        assertFalse(asked.contains(lan));
    }

    @Test
    void theStoreStepTakesTheClosestThatGaveATokenNotTheClosestThenFilters() throws Exception {
        NodeId target = NodeId.ofHex("8000000000000000000000000000000000000000");
        Map<InetSocketAddress, Responder> nodes = new ConcurrentHashMap<>();
        List<NodeInfo> all = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] id = target.bytes().clone();
            id[19] = (byte) (i + 1); // distance grows with i
            all.add(new NodeInfo(new NodeId(id), at("127.0.0.1", 7000 + i)));
        }
        // the 4 closest give no token; the farthest seed (asked last) points at them
        for (int i = 0; i < 12; i++) {
            NodeId nid = all.get(i).id();
            boolean token = i >= 4;
            List<NodeInfo> contacts = i == 11 ? all.subList(0, 4) : List.of();
            nodes.put(all.get(i).address(), q -> new GetPeersResponse(nid, token ? new byte[] {1} : null, List.of(), contacts));
        }
        List<NodeInfo> seeds = all.subList(4, 12);
        Lookup.Result r = new Lookup(network(nodes, new ArrayList<>()), NodeId.random(), target, Lookup.Kind.GET_PEERS, null, false, InetAddress.getLoopbackAddress())
                .run(seeds, System.nanoTime() + 5_000_000_000L);
        assertEquals(12, r.queries(), "all 12 answered");
        assertEquals(all.subList(0, 8), r.closest());
        assertEquals(all.subList(4, 12), r.storeNodes(), "the 8 closest that answered with a token");
    }

    @Test
    void transactionIdsAreNotSequential() throws Exception {
        List<Integer> seen = new ArrayList<>();
        try (DatagramChannel listener = DatagramChannel.open().bind(LOOPBACK);
             DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withQueryTimeout(Duration.ofMillis(50)))) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(2048);
            for (int i = 0; i < 16; i++) {
                Thread.ofVirtual().start(() -> {
                    try {
                        node.query((InetSocketAddress) listener.getLocalAddress(), new Ping(node.id()));
                    } catch (Exception e) {
                        // unanswered, as meant
                    }
                });
                buf.clear();
                listener.receive(buf);
                buf.flip();
                byte[] data = new byte[buf.remaining()];
                buf.get(data);
                byte[] t = io.megatorrent.codec.Bencode.decodeDict(data).requireBytes("t");
                seen.add(((t[0] & 0xff) << 8) | (t[1] & 0xff));
            }
        }
        int sequential = 0;
        for (int i = 1; i < seen.size(); i++) if (((seen.get(i) - seen.get(i - 1)) & 0xffff) == 1) sequential++;
        assertTrue(sequential < 3, "t values " + seen);
    }

    // ---- item 1: forwarded queries have their own slots

    @Test
    void forwardsCannotTakeTheNodesOwnQuerySlots() throws Exception {
        try (DatagramChannel silent = DatagramChannel.open().bind(LOOPBACK);
             DhtNode bridgeNode = DhtNode.start(DhtNode.Config.of(LOOPBACK).withQueryTimeout(Duration.ofSeconds(3)));
             DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            DhtBridge bridge = new DhtBridge(bridgeNode);
            DhtBridge.Client client = bridge.newClient(null);
            InetSocketAddress to = (InetSocketAddress) silent.getLocalAddress();
            byte[] ping = DhtBridge.encodeQuery(new byte[] {1}, new Ping(NodeId.random()));
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < DhtNode.MAX_FORWARDED_PENDING; i++)
                waiting.add(Thread.ofVirtual().start(() -> {
                    try {
                        bridge.forward(client, to, ping);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (bridgeNode.forwardedWaiting() < DhtNode.MAX_FORWARDED_PENDING && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(DhtNode.MAX_FORWARDED_PENDING, bridgeNode.forwardedWaiting());
            DhtBridge.Outcome o = bridge.forward(client, to, ping);
            assertInstanceOf(DhtBridge.Outcome.Busy.class, o, "one forward more is refused at once");
            assertEquals(other.id(), bridgeNode.ping(other.localAddress()).id(), "the node's own queries still go out");
            for (Thread t : waiting) t.join();
            assertEquals(0, bridgeNode.forwardedWaiting());
        }
    }

    @Test
    void aQueryWaitsForASlotAtMostItsTimeout() throws Exception {
        try (DatagramChannel silent = DatagramChannel.open().bind(LOOPBACK);
             DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withQueryTimeout(Duration.ofSeconds(4)))) {
            InetSocketAddress to = (InetSocketAddress) silent.getLocalAddress();
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < DhtNode.MAX_PENDING; i++)
                waiting.add(Thread.ofVirtual().start(() -> {
                    try {
                        node.query(to, new Ping(node.id()));
                    } catch (Exception e) {
                        // unanswered, as meant
                    }
                }));
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (!node.footprint().startsWith("pending=" + DhtNode.MAX_PENDING + " ") && System.nanoTime() < deadline) Thread.sleep(5);
            assertTrue(node.footprint().startsWith("pending=" + DhtNode.MAX_PENDING + " "), node.footprint());
            // all slots held: one more query gives up (within its timeout, or the answer's) instead of blocking for good
            java.net.SocketTimeoutException e = assertThrows(java.net.SocketTimeoutException.class, () -> node.query(to, new Ping(node.id())));
            assertTrue(e.getMessage().contains("no query slot") || e.getMessage().contains("no answer"), e.getMessage());
            for (Thread t : waiting) t.join();
            assertTrue(node.footprint().startsWith("pending=0 "), node.footprint());
        }
    }

    @Test
    void addressScopes() {
        InetAddress pub = ip("198.51.100.1");
        assertTrue(Addresses.contactAllowed(at("198.51.100.9", 1), pub, null));
        assertFalse(Addresses.contactAllowed(at("198.51.100.9", 0), pub, null));
        for (String bogus : List.of("0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "240.0.0.1", "::", "ff02::1"))
            assertFalse(Addresses.contactAllowed(at(bogus, 6881), pub, null), bogus);
        for (String local : List.of("127.0.0.1", "10.1.1.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "169.254.0.1", "::1", "fd00::1", "fe80::1"))
            assertFalse(Addresses.contactAllowed(at(local, 6881), pub, null), local);
        assertTrue(Addresses.contactAllowed(at("10.1.1.1", 6881), ip("192.168.0.5"), null), "LAN to LAN");
        assertTrue(Addresses.contactAllowed(at("10.1.1.1", 6881), pub, ip("10.0.0.2")), "we are on that LAN ourselves");
        assertTrue(Addresses.contactAllowed(at("127.0.0.1", 6881), InetAddress.getLoopbackAddress(), null));
        assertEquals(ip("2001:db8:1:2::"), Addresses.limitKey(ip("2001:db8:1:2:3:4:5:6")));
        assertEquals(pub, Addresses.limitKey(pub));
    }
}
