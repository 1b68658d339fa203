package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.dht.Bep42;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.dht.NodeInfo;
import io.megatorrent.testing.TestNetwork;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * BEP 42 with distinct public-scope addresses (a network namespace; loopback and private
 * addresses are exempt from BEP 42, so one host's loopback cannot test it): a real node admits to
 * its routing table the querying node whose id is valid for its address, and not the one whose
 * id is not, as a third node's find_node shows.
 */
@Timeout(120)
class Bep42NetworkTest {
    @Test
    void onlyNodesWithIdsValidForTheirAddressEnterTheTable(@TempDir Path dir) throws Exception {
        try (TestNetwork net = TestNetwork.create(3);
                NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of(), net, net.nodeAddress().getHostAddress())) {
            InetSocketAddress nodeUdp = new InetSocketAddress(net.nodeAddress(), node.udpPort);
            InetAddress a = net.hostAddresses().get(0);
            InetAddress c = net.hostAddresses().get(1);
            NodeId invalid;
            do invalid = NodeId.random(); while (Bep42.valid(invalid, a));
            NodeId valid = Bep42.idFor(c, new Random(42));
            assertTrue(Bep42.valid(valid, c));
            try (DhtNode forged = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(a, 0)).withId(invalid).withBep42(false));
                    DhtNode honest = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(c, 0)).withId(valid).withBep42(false));
                    DhtNode observer = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(net.hostAddresses().get(2), 0)).withBep42(false))) {
                forged.ping(nodeUdp);
                honest.ping(nodeUdp);
                KrpcMessage.FindNodeResponse r = (KrpcMessage.FindNodeResponse) observer.query(nodeUdp, new KrpcMessage.FindNode(observer.id(), valid));
                List<NodeId> ids = r.nodes().stream().map(NodeInfo::id).toList();
                assertTrue(ids.contains(valid), "the node whose id is valid for " + c.getHostAddress() + " is in the table: " + r.nodes());
                assertFalse(ids.contains(invalid), "the node whose id is not valid for " + a.getHostAddress() + " stays out: " + r.nodes());
            }
            assertTrue(node.alive());
        }
    }
}
