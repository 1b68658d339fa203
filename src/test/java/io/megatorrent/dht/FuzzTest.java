package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.BValue.BBytes;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.dht.KrpcMessage.*;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sends 100,000 malformed datagrams to a node: random bytes, mutated valid messages, deep
 * nesting, oversize packets, forged puts, bad tokens, stray responses. Between every burst a
 * valid ping must still be answered; at the end what the node holds must be within its caps.
 */
class FuzzTest {
    static final int DATAGRAMS = 100_000;
    static final int BURST = 500;

    @Test
    @Timeout(120)
    void malformedDatagramsNeverStopTheNode() throws Exception {
        Random random = new Random(4242);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(loopback));
             DatagramChannel fuzzer = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel pinger = DatagramChannel.open(StandardProtocolFamily.INET)) {
            fuzzer.bind(loopback);
            pinger.bind(loopback);
            pinger.socket().setSoTimeout(1000);
            InetSocketAddress target = node.localAddress();
            List<byte[]> corpus = corpus();
            int pings = 0;
            long sent = 0;
            while (sent < DATAGRAMS) {
                for (int i = 0; i < BURST; i++, sent++) fuzzer.send(ByteBuffer.wrap(malformed(random, corpus)), target);
                drain(fuzzer);
                assertTrue(pingAnswered(pinger, target, node, sent), "node stopped answering pings after " + sent + " datagrams");
                pings++;
            }
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();
            System.out.printf("fuzz: %d datagrams, %d pings answered, node answered %d queries, sent %d errors, dropped %d; %s; heap %+d KiB%n",
                    sent, pings, node.queriesAnswered(), node.errorsSent(), node.packetsDropped(), node.footprint(),
                    (heapAfter - heapBefore) / 1024);
            assertTrue(node.routingTableSize() <= 160 * RoutingTable.K);
            assertTrue(node.footprint().startsWith("pending=0 "), node.footprint());
            assertTrue(heapAfter - heapBefore < 128L << 20, "heap grew by " + (heapAfter - heapBefore));
        }
    }

    private static void drain(DatagramChannel ch) throws Exception {
        ch.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (ch.receive(buf) != null) buf.clear();
        ch.configureBlocking(true);
    }

    private static boolean pingAnswered(DatagramChannel pinger, InetSocketAddress target, DhtNode node, long n) throws Exception {
        byte[] tid = {(byte) (n >> 8), (byte) n};
        byte[] ping = Krpc.encode(new Krpc.Packet(tid, new Ping(NodeId.random())));
        ByteBuffer buf = ByteBuffer.allocate(4096);
        for (int attempt = 0; attempt < 5; attempt++) {
            pinger.send(ByteBuffer.wrap(ping), target);
            long deadline = System.nanoTime() + 1_000_000_000L;
            pinger.configureBlocking(false);
            while (System.nanoTime() < deadline) {
                buf.clear();
                if (pinger.receive(buf) == null) {
                    Thread.sleep(1);
                    continue;
                }
                buf.flip();
                byte[] data = new byte[buf.remaining()];
                buf.get(data);
                Krpc.Packet p = Krpc.decode(data, t -> Method.PING);
                if (java.util.Arrays.equals(p.transactionId(), tid) && p.message() instanceof PingResponse r && r.id().equals(node.id()))
                    return true;
            }
        }
        return false;
    }

    static List<byte[]> corpus() {
        NodeId a = NodeId.random(new Random(1));
        NodeId b = NodeId.random(new Random(2));
        Ed25519.KeyPair key = Ed25519.fromSeed(new byte[32]);
        byte[] sig = key.sign(Bep44.signedBuffer(new byte[0], 1, "1:x".getBytes(StandardCharsets.US_ASCII)));
        byte[] t = {1, 2};
        List<byte[]> out = new ArrayList<>();
        for (KrpcMessage m : List.<KrpcMessage>of(new Ping(a), new FindNode(a, b), new GetPeers(a, b), new AnnouncePeer(a, b, 1, false, new byte[8]),
                new Get(a, b, null), new Put(a, new byte[8], BBytes.of("x"), key.publicKey(), new byte[0], 1, sig, null),
                new Put(a, new byte[8], BBytes.of("x"), null, null, 0, null, null), new PingResponse(a),
                new FindNodeResponse(a, List.of(new NodeInfo(b, new InetSocketAddress("127.0.0.1", 9)))), new KrpcMessage.Error(201, "x")))
            out.add(Krpc.encode(new Krpc.Packet(t, m, DhtNode.VERSION, false, null)));
        return out;
    }

    static byte[] malformed(Random r, List<byte[]> corpus) {
        byte[] base = corpus.get(r.nextInt(corpus.size()));
        switch (r.nextInt(8)) {
            case 0 -> { // random bytes
                byte[] b = new byte[r.nextInt(1500)];
                r.nextBytes(b);
                return b;
            }
            case 1 -> { // truncated
                return java.util.Arrays.copyOf(base, r.nextInt(base.length));
            }
            case 2, 3 -> { // a few flipped bytes
                byte[] b = base.clone();
                for (int i = 1 + r.nextInt(4); i > 0; i--) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                return b;
            }
            case 4 -> { // deep nesting
                int depth = 1 + r.nextInt(5000);
                byte[] b = new byte[depth * 2];
                java.util.Arrays.fill(b, 0, depth, (byte) 'l');
                java.util.Arrays.fill(b, depth, b.length, (byte) 'e');
                return b;
            }
            case 5 -> { // oversize
                byte[] b = new byte[Krpc.MAX_DATAGRAM_LENGTH + 1 + r.nextInt(20_000)];
                r.nextBytes(b);
                return b;
            }
            case 6 -> { // a valid message with a random bencoded value spliced in
                String junk = switch (r.nextInt(4)) {
                    case 0 -> "i" + r.nextLong() + "e";
                    case 1 -> "99999999999:x";
                    case 2 -> "d1:xi1ee";
                    default -> "le";
                };
                int cut = 1 + r.nextInt(base.length - 1);
                byte[] j = junk.getBytes(StandardCharsets.US_ASCII);
                byte[] b = new byte[base.length + j.length];
                System.arraycopy(base, 0, b, 0, cut);
                System.arraycopy(j, 0, b, cut, j.length);
                System.arraycopy(base, cut, b, cut + j.length, base.length - cut);
                return b;
            }
            default -> { // valid shape, random id, target and token: bad tokens, unknown tids
                byte[] b = base.clone();
                for (int i = 0; i < b.length - 20; i++) if (r.nextInt(40) == 0) b[i] = (byte) r.nextInt(256);
                return b;
            }
        }
    }
}
