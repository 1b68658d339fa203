package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtBridge;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.Peers;
import io.megatorrent.testing.TestNetwork;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.socks5.Socks5Dialer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 3 (and the per-source bounds of finding 2 with distinct addresses), against
 * a real node process in a network namespace: clients of an onion service reach the bridge
 * through a local proxy (microsocks inside the namespace, as Tor's onion service would hand the
 * streams over) and so all arrive from 127.0.0.1, while direct clients come from distinct
 * addresses of the test network. Many quiet proxied clients do not lock out the next one nor
 * the direct ones; a proxied client cannot announce (no loopback address is stored or handed
 * out); one direct address holds a bounded number of bridge slots without touching another's.
 */
@Timeout(300)
class ProxiedClientsAttackTest {
    static final Duration T = Duration.ofSeconds(15);
    static final int SOCKS_PORT = 1080;

    @Test
    void onionServiceClientsShareNoSourceAndLoopbackIsNeverAnnounced(@TempDir Path dir) throws Exception {
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        try (TestNetwork net = TestNetwork.create(3);
                NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of(), net, "0.0.0.0")) {
            Process proxy = new ProcessBuilder(net.inside(List.of("microsocks", "-i", net.nodeAddress().getHostAddress(), "-p", Integer.toString(SOCKS_PORT))))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("microsocks.log").toFile()).start();
            List<Connection> open = new ArrayList<>();
            try {
                Socks5Dialer tor = Socks5Dialer.noAuth(new InetSocketAddress(net.nodeAddress(), SOCKS_PORT));
                PeerTarget onion = new PeerTarget(node.bridgeKey, new PeerAddress("127.0.0.1", node.bridgePort));
                Connection first = connectWithRetry(tor, onion);
                assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(first, 1), "a proxied client is served");

                // a proxied client may not announce: the bridge would store 127.0.0.1
                NodeId infohash = NodeId.random();
                Message refused = query(first, 2, new KrpcMessage.AnnouncePeer(NodeId.random(), infohash, 6881, false, new byte[] {1, 2}));
                Message.Error e = assertInstanceOf(Message.Error.class, refused);
                assertEquals(Message.Error.REFUSED, e.code(), e.text());
                first.close();

                // 150 quiet onion-service clients, each holding a bridge slot after one query
                int quiet = BridgeService.MAX_PROXIED_CLIENTS + 22;
                for (int i = 0; i < quiet; i++) {
                    Connection c = connect(tor, onion);
                    assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(c, 1), "proxied client " + i + " is served, not busy");
                    open.add(c);
                }
                Connection late = connect(tor, onion);
                assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(late, 1), "one more onion-service client is still served");
                open.add(late);

                // direct clients from distinct addresses: each source holds at most 8 slots, its own quietest goes first
                InetAddress a = net.hostAddresses().get(0);
                InetAddress b = net.hostAddresses().get(1);
                Connection fromB = node.clientFrom(b, T);
                assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(fromB, 1), "a direct client is served beside the proxied ones");
                List<Connection> fromA = new ArrayList<>();
                for (int i = 0; i <= BridgeService.MAX_CLIENTS_PER_SOURCE; i++) {
                    Connection c = node.clientFrom(a, T);
                    assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(c, 1), "connection " + i + " from " + a.getHostAddress());
                    fromA.add(c);
                }
                open.addAll(fromA);
                assertTrue(endedByPeer(fromA.get(0)), "the 9th connection from one address took the slot of its quietest");
                assertInstanceOf(Message.DhtResponse.class, NodeUnderAttack.ping(fromB, 2), "another address's client is untouched");

                // a direct client announces: its own address is stored and handed out, never a loopback one
                KrpcMessage.GetPeersResponse r = (KrpcMessage.GetPeersResponse) answer(fromB, 3, new KrpcMessage.GetPeers(NodeId.random(), infohash));
                assertInstanceOf(KrpcMessage.AnnouncePeerResponse.class, answer(fromB, 4, new KrpcMessage.AnnouncePeer(NodeId.random(), infohash, 6881, false, r.token())));
                KrpcMessage.GetPeersResponse peers = (KrpcMessage.GetPeersResponse) answer(fromB, 5, new KrpcMessage.GetPeers(NodeId.random(), infohash));
                assertEquals(List.of(new InetSocketAddress(b, 6881)), peers.peers());
                open.add(fromB);
                assertTrue(node.alive());
            } finally {
                for (Connection c : open) c.close();
                proxy.destroy();
                proxy.waitFor(5, TimeUnit.SECONDS);
            }
            assertFalse(node.log().contains("OutOfMemoryError"), node.log());
        }
    }

    private static Connection connectWithRetry(Socks5Dialer dialer, PeerTarget target) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return connect(dialer, target);
            } catch (java.io.IOException e) {
                if (attempt >= 20) throw e; // microsocks may not be listening yet
                Thread.sleep(250);
            }
        }
    }

    private static Connection connect(Socks5Dialer dialer, PeerTarget target) throws Exception {
        Connection c = Connection.connect(dialer, target, X25519.generate(), new Connection.Timeouts(T, T));
        assertInstanceOf(Message.Hello.class, c.receive());
        c.send(new Message.Hello(Message.PROTOCOL_VERSION, 0, List.of())); // MSG_HELLO first (4.5)
        return c;
    }

    private static Message query(Connection c, int id, KrpcMessage.Query q) throws Exception {
        c.send(new Message.DhtQuery(id, null, DhtBridge.encodeQuery(new byte[] {(byte) id}, q)));
        return c.receive();
    }

    private static KrpcMessage.Response answer(Connection c, int id, KrpcMessage.Query q) throws Exception {
        Message m = query(c, id, q);
        Message.DhtResponse r = assertInstanceOf(Message.DhtResponse.class, m, String.valueOf(m));
        return DhtBridge.parseAnswer(r.krpc(), new byte[] {(byte) id}, q.method());
    }

    private static boolean endedByPeer(Connection c) {
        try {
            return c.receive() == null;
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
