package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.BValue;
import io.megatorrent.dht.Bep44;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.Krpc;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.TestNetwork;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, findings 10 and 6, against a real node process. Finding 10 in a network namespace
 * (loopback is exempt from the rate limit): a stored item of about 1,000 bytes is asked for as
 * fast as a socket can send; what comes back to that one address is bounded by the rate in
 * bytes, not in queries, while another address is still answered. Finding 6 on loopback: the
 * bridge refuses to forward to unusable, CGNAT and private addresses, forwards within its own
 * scope, and lets one connection spend only a few of its put slots on remote nodes.
 */
@Timeout(300)
class ReflectionAndForwardingAttackTest {
    static final Duration T = Duration.ofSeconds(15);

    @Test
    void answersToOneAddressAreBoundedInBytes(@TempDir Path dir) throws Exception {
        try (TestNetwork net = TestNetwork.create(3);
                NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of(), net, net.nodeAddress().getHostAddress())) {
            InetSocketAddress nodeUdp = new InetSocketAddress(net.nodeAddress(), node.udpPort);
            BValue value = new BValue.BBytes(new byte[990]);
            NodeId target = new NodeId(Bep44.immutableTarget(value));
            // BEP 42 off for the publisher: the node's id was not made for its test-network address
            try (DhtNode publisher = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(net.hostAddresses().get(0), 0)).withBep42(false))) {
                publisher.bootstrap(List.of(nodeUdp), T);
                assertTrue(publisher.putImmutable(value, T).stored() >= 1, "the item is stored on the node");
            }
            InetAddress victim = net.hostAddresses().get(1);
            int queries = 3000;
            long sent = 0;
            long received = 0;
            long answers = 0;
            try (DatagramChannel udp = DatagramChannel.open().bind(new InetSocketAddress(victim, 0))) {
                NodeId me = NodeId.random();
                long start = System.nanoTime();
                for (int i = 0; i < queries; i++) {
                    byte[] q = Krpc.encode(new Krpc.Packet(new byte[] {(byte) (i >> 8), (byte) i}, new KrpcMessage.Get(me, target, null)));
                    sent += q.length;
                    udp.send(ByteBuffer.wrap(q), nodeUdp);
                }
                udp.configureBlocking(false);
                ByteBuffer buf = ByteBuffer.allocate(4096);
                long window = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < window) {
                    buf.clear();
                    if (udp.receive(buf) != null) {
                        received += buf.position();
                        answers++;
                    } else {
                        Thread.sleep(1);
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                // the bucket: 500 tokens of 128 bytes, refilled at 250 per second
                double bound = 128.0 * (2 * DhtNode.DEFAULT_RATE_LIMIT + DhtNode.DEFAULT_RATE_LIMIT * seconds) + 2048;
                System.out.printf("finding 10: %d get queries (%d bytes) in %.2f s; %d answers, %d bytes back to the one address; bound %.0f bytes"
                        + " (counting queries it would be about %.0f)%n", queries, sent, seconds, answers, received, bound,
                        (2 * DhtNode.DEFAULT_RATE_LIMIT + DhtNode.DEFAULT_RATE_LIMIT * seconds) * (answers == 0 ? 0 : received / answers));
                assertTrue(answers > 0, "the item was served at all");
                assertTrue(received <= bound, received + " bytes answered, more than the byte rate allows (" + bound + ")");
            }
            // another address is served meanwhile
            try (DhtNode other = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(net.hostAddresses().get(2), 0)))) {
                assertInstanceOf(KrpcMessage.PingResponse.class, other.ping(nodeUdp));
            }
            assertTrue(node.alive());
            assertFalse(node.log().contains("OutOfMemoryError"), node.log());
        }
    }

    @Test
    void theBridgeForwardsOnlyWithinItsScopeAndSpendsFewPutSlotsPerClient(@TempDir Path dir) throws Exception {
        try (NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of());
                DhtNode neighbour = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
                Connection c = node.clientFrom(InetAddress.getLoopbackAddress(), T)) {
            int id = 1;
            for (String bad : List.of("100.64.0.1", "0.1.2.3", "240.0.0.1", "255.255.255.255", "10.0.0.1", "192.168.1.1", "0.0.0.0")) {
                Message m = forward(c, id++, new InetSocketAddress(InetAddress.getByName(bad), 6881), new KrpcMessage.Ping(NodeId.random()));
                Message.Error e = assertInstanceOf(Message.Error.class, m, bad);
                assertEquals(Message.Error.REFUSED, e.code(), bad + ": " + e.text());
            }
            // the node itself is on loopback: forwarding within that scope works (to another node: its
            // own DHT node a client asks with node_kind 0, and forwarding to it is refused)
            InetSocketAddress own = neighbour.localAddress();
            assertInstanceOf(Message.DhtResponse.class, forward(c, id++, own, new KrpcMessage.Ping(NodeId.random())));
            // puts forwarded for one connection: a few distinct items, then refused before anything is sent
            for (int i = 0; i < DhtBridge.MAX_FORWARDED_PUT_TARGETS; i++) {
                Message m = forward(c, id++, own, put(i));
                assertInstanceOf(Message.DhtResponse.class, m, "put " + i + " is forwarded (the remote may refuse its token)");
            }
            Message.Error e = assertInstanceOf(Message.Error.class, forward(c, id++, own, put(99)));
            assertEquals(Message.Error.REFUSED, e.code(), e.text());
            assertInstanceOf(Message.DhtResponse.class, forward(c, id++, own, put(0)), "the same item again is not a new one");
            assertInstanceOf(Message.DhtResponse.class, node.legitimateQuery(T), "another client is served");
            assertTrue(node.alive());
        }
    }

    private static KrpcMessage.Put put(int i) {
        return new KrpcMessage.Put(NodeId.random(), new byte[] {1, 2, 3, 4}, BValue.BBytes.of("item " + i), null, null, 0, null, null);
    }

    private static Message forward(Connection c, int id, InetSocketAddress to, KrpcMessage.Query q) throws Exception {
        c.send(new Message.DhtQuery(id, to, DhtBridge.encodeQuery(new byte[] {(byte) id}, q)));
        return c.receive();
    }
}
