package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.BValue;
import io.megatorrent.codec.Bencode;
import io.megatorrent.dht.Krpc;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 5, against a real {@code dht node} process with a 256 MiB heap: attackers on
 * several loopback addresses (which the node exempts from per-source caps and the rate limit, so
 * they stand for thousands of distinct sources) fill its peer store to both caps (2,000
 * infohashes, 200 peers under some of them) and then keep announcing new infohashes, each of
 * which meets the full store, the case that used to rescan the whole store on the receive
 * thread. Meanwhile a legitimate client keeps pinging and asking get_peers for its own infohash:
 * most of its queries are answered (a count over the attack, not a time), its peer is still
 * found, and the node stays up without an OutOfMemoryError.
 */
@Timeout(300)
class PeerStoreFloodAttackTest {
    static final int ATTACKERS = 4;
    static final int INFOHASHES = 2_000;
    static final int PEERS_PER_INFOHASH = 12;
    static final int FULL_INFOHASHES = 8;
    static final int OVER_CAP_ANNOUNCES = 20_000;

    @Test
    void aFloodOfAnnouncesAtTheStoreCapsLeavesALegitimateClientServed(@TempDir Path dir) throws Exception {
        try (NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of())) {
            InetSocketAddress nodeUdp = new InetSocketAddress(InetAddress.getLoopbackAddress(), node.udpPort);
            NodeId legitHash = NodeId.random();
            AtomicBoolean attacking = new AtomicBoolean(true);
            AtomicLong legitSent = new AtomicLong();
            AtomicLong legitAnswered = new AtomicLong();
            AtomicLong legitPeersFound = new AtomicLong();
            Thread legit;
            try (DatagramChannel client = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.1.1"), 0))) {
                // the legitimate client announces itself first
                byte[] token = token(client, nodeUdp, legitHash);
                BValue.BDict ok = exchange(client, nodeUdp, new KrpcMessage.AnnouncePeer(NodeId.random(), legitHash, 6881, false, token));
                assertTrue(ok.has("r"), "the legitimate announce is stored: " + ok);
                legit = Thread.ofVirtual().start(() -> {
                    NodeId me = NodeId.random();
                    ByteBuffer buf = ByteBuffer.allocate(4096);
                    int i = 0;
                    try {
                        client.configureBlocking(false);
                        while (attacking.get()) {
                            KrpcMessage.Query q = i % 2 == 0 ? new KrpcMessage.Ping(me) : new KrpcMessage.GetPeers(me, legitHash);
                            client.send(ByteBuffer.wrap(Krpc.encode(new Krpc.Packet(new byte[] {(byte) (i >> 8), (byte) i}, q))), nodeUdp);
                            legitSent.incrementAndGet();
                            i++;
                            long until = System.nanoTime() + 20_000_000L;
                            while (System.nanoTime() < until) {
                                buf.clear();
                                if (client.receive(buf) == null) {
                                    Thread.sleep(1);
                                    continue;
                                }
                                BValue.BDict d = Bencode.decodeDict(java.util.Arrays.copyOf(buf.array(), buf.position()));
                                if (d.has("r")) {
                                    legitAnswered.incrementAndGet();
                                    if (d.dict("r").orElseThrow().list("values").map(l -> !l.items().isEmpty()).orElse(false)) legitPeersFound.incrementAndGet();
                                }
                            }
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });

                AtomicLong stored = new AtomicLong();
                AtomicLong refusedFull = new AtomicLong();
                List<Thread> attackers = new ArrayList<>();
                List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int k = 0; k < ATTACKERS; k++) {
                    int a = k;
                    attackers.add(Thread.ofVirtual().start(() -> {
                        try {
                            attack(a, nodeUdp, stored, refusedFull);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                for (Thread t : attackers) t.join();
                attacking.set(false);
                legit.join();
                assertTrue(failures.isEmpty(), "attackers failed: " + failures);
                System.out.printf("finding 5: %d announces stored, %d refused as the store was full; the legitimate client sent %d queries,"
                        + " %d answered, its peer found in %d get_peers answers%n", stored.get(), refusedFull.get(), legitSent.get(),
                        legitAnswered.get(), legitPeersFound.get());
                assertTrue(stored.get() >= INFOHASHES * PEERS_PER_INFOHASH * 9L / 10, "the store was filled: " + stored.get());
                assertTrue(refusedFull.get() >= OVER_CAP_ANNOUNCES / 2, "the infohash cap was reached: " + refusedFull.get() + " refusals");
                assertTrue(legitSent.get() >= 20, "the attack lasted: " + legitSent.get() + " legitimate queries");
                assertTrue(legitAnswered.get() * 2 >= legitSent.get(), legitAnswered.get() + " of " + legitSent.get() + " legitimate queries answered");
                assertTrue(legitPeersFound.get() >= 1, "the legitimate peer is still found");
                // and after the attack, a fresh exchange is answered at once
                client.configureBlocking(true);
                assertTrue(exchange(client, nodeUdp, new KrpcMessage.Ping(NodeId.random())).has("r"));
            }
            assertTrue(node.alive(), "the node stays up");
            assertFalse(node.log().contains("OutOfMemoryError"), node.log());
        }
    }

    /**
     * One attacker on 127.0.0.(10+a): its share of the infohashes with a few peers each (and a
     * few infohashes filled to their 200-peer cap), then announces for new infohashes only.
     * Sends in windows and counts the answers: stored, or refused because the store is full.
     */
    private static void attack(int a, InetSocketAddress node, AtomicLong stored, AtomicLong refusedFull) throws Exception {
        try (DatagramChannel ch = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (10 + a)), 0))) {
            byte[] token = token(ch, node, NodeId.random());
            NodeId me = NodeId.random();
            List<KrpcMessage.Query> plan = new ArrayList<>();
            int share = INFOHASHES / ATTACKERS;
            for (int i = 0; i < share; i++) {
                NodeId h = hash(a, i);
                int peers = i < FULL_INFOHASHES / ATTACKERS ? 200 : PEERS_PER_INFOHASH;
                for (int p = 0; p < peers; p++) plan.add(new KrpcMessage.AnnouncePeer(me, h, 10_000 + p, false, token));
            }
            for (int i = 0; i < OVER_CAP_ANNOUNCES / ATTACKERS; i++) plan.add(new KrpcMessage.AnnouncePeer(me, hash(a, share + i), 7000, false, token));
            ch.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(2048);
            int window = 64;
            for (int start = 0; start < plan.size(); start += window) {
                int end = Math.min(plan.size(), start + window);
                for (int i = start; i < end; i++) {
                    ch.send(ByteBuffer.wrap(Krpc.encode(new Krpc.Packet(new byte[] {(byte) (i >> 16), (byte) (i >> 8), (byte) i}, plan.get(i)))), node);
                }
                int answers = 0;
                long until = System.nanoTime() + 2_000_000_000L;
                while (answers < end - start && System.nanoTime() < until) {
                    buf.clear();
                    if (ch.receive(buf) == null) {
                        Thread.sleep(1);
                        continue;
                    }
                    answers++;
                    BValue.BDict d = Bencode.decodeDict(java.util.Arrays.copyOf(buf.array(), buf.position()));
                    if (d.has("r")) stored.incrementAndGet();
                    else if (new String(Bencode.encode(d), java.nio.charset.StandardCharsets.ISO_8859_1).contains("full")) refusedFull.incrementAndGet();
                }
            }
        }
    }

    private static NodeId hash(int attacker, int i) {
        byte[] b = new byte[20];
        ByteBuffer.wrap(b).putInt(0x5eed0000 + attacker).putInt(i);
        return new NodeId(b);
    }

    private static byte[] token(DatagramChannel ch, InetSocketAddress node, NodeId infohash) throws Exception {
        BValue.BDict d = exchange(ch, node, new KrpcMessage.GetPeers(NodeId.random(), infohash));
        return d.dict("r").orElseThrow().requireBytes("token");
    }

    /**
     * One query and its answer (blocking, 10 s), as a bencoded dictionary. The node may query the
     * client meanwhile (a find_node to a contact it just heard from): anything but a message
     * with our transaction id is skipped.
     */
    private static BValue.BDict exchange(DatagramChannel ch, InetSocketAddress node, KrpcMessage.Query q) throws Exception {
        byte[] tid = {9, 9};
        ch.send(ByteBuffer.wrap(Krpc.encode(new Krpc.Packet(tid, q))), node);
        ch.socket().setSoTimeout(10_000);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[4096], 4096);
            ch.socket().receive(p);
            if (p.getLength() == 0) throw new IOException("empty answer");
            BValue.BDict d = Bencode.decodeDict(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            boolean ours = d.bytes("t").map(t -> java.util.Arrays.equals(t, tid)).orElse(false) && !d.has("q");
            if (ours) return d;
            if (System.nanoTime() > deadline) throw new IOException("no answer to our query within 10 s, last: " + d);
        }
    }
}
