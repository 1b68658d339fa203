package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bounds of PROTOCOL_FINAL.md 7.4 that need a bridge of their own: connections per source (a bridge on loopback counts 127.0.0.1 as a source). */
@Timeout(60)
class BridgeLimitsTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void oneSourceHoldsABoundedNumberOfClientSlots() throws Exception {
        X25519.KeyPair key = X25519.generate();
        try (DhtNode dht = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(LOOPBACK, 0)))) {
            BridgeService service = new BridgeService(dht, true);
            try (Listener listener = Listener.open(new InetSocketAddress(LOOPBACK, 0), key, Connection.Timeouts.DEFAULT,
                    new BlobServer(id -> null, () -> 0, service))) {
                PeerTarget target = new PeerTarget(key.publicKey(), new PeerAddress("127.0.0.1", listener.localAddress().getPort()));
                List<Connection> open = new ArrayList<>();
                try {
                    for (int i = 0; i < BridgeService.MAX_CLIENTS_PER_SOURCE; i++) {
                        Connection c = connect(target);
                        open.add(c);
                        assertInstanceOf(Message.DhtResponse.class, ping(c), "connection " + i + " is served");
                    }
                    assertEquals(BridgeService.MAX_CLIENTS_PER_SOURCE, service.clientsFrom(LOOPBACK));
                    // one connection more from the same address takes the slot of its quietest one
                    try (Connection extra = connect(target)) {
                        assertInstanceOf(Message.DhtResponse.class, ping(extra), "the newcomer is served");
                        assertEquals(BridgeService.MAX_CLIENTS_PER_SOURCE, service.clientsFrom(LOOPBACK), "the cap holds");
                        assertEquals(1, service.evicted.get());
                        Connection quietest = open.remove(0);
                        assertTrue(endedByPeer(quietest), "the source's quietest connection was closed");
                        for (Connection c : open) assertInstanceOf(Message.DhtResponse.class, ping(c), "the others are still served");
                    }
                } finally {
                    for (Connection c : open) c.close();
                }
            }
        }
    }

    private static boolean endedByPeer(Connection c) {
        try {
            return c.receive() == null;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    private static Connection connect(PeerTarget target) throws Exception {
        Connection c = Connection.connect(new TcpDialer(), target, X25519.generate(), Connection.Timeouts.DEFAULT);
        assertInstanceOf(Message.Hello.class, c.receive());
        c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, java.util.List.of()));
        return c;
    }

    private static Message ping(Connection c) throws Exception {
        c.send(new Message.DhtQuery(1, null, DhtBridge.encodeQuery(new byte[] {7}, new KrpcMessage.Ping(NodeId.random()))));
        return c.receive();
    }
}
