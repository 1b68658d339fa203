package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.Krpc;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.NodeProcess;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 7, against a real {@code serve} process: the victim V, bound to 127.0.0.5,
 * joins the DHT through a real seeder S and a hostile DHT node of the test's own, which answers
 * every get_peers with LAN, CGNAT and unusable addresses (outside V's loopback scope) and a
 * rotating share of 100 fake holders: real listeners on loopback that complete the handshake and
 * hold nothing. V must never keep more connections than its cap (seen from the fakes' side and
 * from its own counters), leave the out-of-scope addresses out (its counter), evict idle fakes
 * to dial on, and still complete the download from S byte for byte.
 */
@Timeout(240)
class PeerFloodAttackTest {
    static final int FAKES = 100;
    static final List<String> OUT_OF_SCOPE = List.of("10.1.2.3", "192.168.7.7", "172.16.5.5", "100.64.1.1", "169.254.9.9", "0.1.2.3", "240.1.1.1");

    @Test
    void aHostileDhtNodesFloodOfPeersIsFilteredCappedAndEvicted(@TempDir Path tmp) throws Exception {
        List<BlobServer> fakeServers = new ArrayList<>();
        List<Listener> fakes = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong getPeersAnswered = new AtomicLong();
        try (DatagramChannel hostileDht = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (int i = 0; i < FAKES; i++) {
                BlobServer s = new BlobServer(shortId -> null, () -> 0);
                fakeServers.add(s);
                // on 127.0.0.1-4: the downloader tries a lookup's holders in address order from a
                // rotating start, and S on 127.0.0.9 sorts after every fake, so each lookup costs dials
                fakes.add(Listener.open(new InetSocketAddress(InetAddress.getByName("127.0.0." + (1 + i % 4)), 0), X25519.generate(),
                        Connection.Timeouts.DEFAULT, s));
            }
            List<InetSocketAddress> fakeAddresses = new ArrayList<>();
            for (Listener l : fakes) fakeAddresses.add(l.localAddress());
            Thread responder = Thread.ofVirtual().start(() -> respond(hostileDht, fakeAddresses, running, getPeersAnswered));
            int hostilePort = ((InetSocketAddress) hostileDht.getLocalAddress()).getPort();
            AtomicInteger mostAtFakes = new AtomicInteger();
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    int open = 0;
                    for (BlobServer s : fakeServers) open += s.openConnections();
                    mostAtFakes.accumulateAndGet(open, Math::max);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Path folder = tmp.resolve("film");
            Files.createDirectories(folder);
            byte[] content = new byte[(16 << 20) + 999];
            new Random(7).nextBytes(content);
            Files.write(folder.resolve("film.bin"), content);
            try (NodeProcess s = NodeProcess.start("S", tmp.resolve("S"), List.of("serve", "-d", tmp.resolve("S").toString(), "--bind", "127.0.0.9",
                    "--dht-port", "0", "--bootstrap", "127.0.0.1:" + hostilePort))) {
                JsonObject sReady = s.nextLine(NodeProcess.READY_TIMEOUT);
                try (NodeProcess v = NodeProcess.start("V", tmp.resolve("V"), List.of("serve", "-d", tmp.resolve("V").toString(), "--bind", "127.0.0.5",
                        "--dht-port", "0", "--bootstrap", "127.0.0.9:" + sReady.integer("dhtPort"), "--bootstrap", "127.0.0.1:" + hostilePort))) {
                v.nextLine(NodeProcess.READY_TIMEOUT);
                JsonObject published = ok(Cli.run("publish", "-d", tmp.resolve("S").toString(), "-i", folder.toString()));
                JsonObject atV = ok(Cli.run("subscribe", "-d", tmp.resolve("V").toString(), "--wait", published.string("uri")));
                Path got = Path.of(((JsonValue.JsonString) ((JsonArray) atV.require("paths")).items().get(0)).value());
                assertArrayEquals(content, Files.readAllBytes(got), "V completed the download from the real seeder");
                running.set(false);
                sampler.join();
                JsonObject status = v.call("status");
                System.out.println("finding 7: the hostile DHT node answered " + getPeersAnswered.get() + " get_peers; at most " + mostAtFakes.get()
                        + " connections to fakes at once; V: " + Json.write(status));
                int cap = OutgoingConnections.DEFAULT_CAP;
                assertTrue(getPeersAnswered.get() >= 1, "V asked the hostile node for peers");
                assertTrue(status.integer("peersOutOfScope") >= 1, "V left out the out-of-scope addresses: " + Json.write(status));
                assertTrue(status.integer("mostOutboundConnections") <= cap, Json.write(status));
                // seen from the fakes' side a closed connection ends a moment after V closed it, so
                // their count may briefly hold an evicted one beside its replacement: a few over, never many
                assertTrue(mostAtFakes.get() <= cap + 4, mostAtFakes.get() + " connections to fakes at once, over the cap of " + cap);
                assertTrue(status.integer("dialsAttempted") > cap, "the fakes made V dial past its cap: " + Json.write(status));
                assertTrue(status.integer("outboundConnectionsEvicted") >= 1, "V evicted idle fakes to dial on: " + Json.write(status));
                JsonObject byPeer = status.object("blobsByPeer");
                assertEquals(List.of("/127.0.0.9:" + sReady.integer("listenPort")), List.copyOf(byPeer.members().keySet()), "every blob came from S: " + Json.write(byPeer));
                assertEquals(-1, v.exitCode(0), "V stays up:\n" + v.stderr());
                assertFalse(v.stderr().contains("OutOfMemoryError"), v.stderr());
                }
            }
        } finally {
            running.set(false);
            for (Listener l : fakes) l.close();
        }
    }

    /**
     * The hostile DHT node: answers pings, find_node (no nodes), announces and puts (accepted and
     * forgotten), gets (nothing), and get_peers with every out-of-scope address and 40 fakes
     * starting at a place that moves with each answer.
     */
    private static void respond(DatagramChannel ch, List<InetSocketAddress> fakes, AtomicBoolean running, AtomicLong getPeersAnswered) {
        NodeId me = NodeId.random();
        byte[] token = {1, 2, 3, 4};
        List<InetSocketAddress> outOfScope = new ArrayList<>();
        for (String a : OUT_OF_SCOPE) outOfScope.add(new InetSocketAddress(a, 6881));
        int rotation = 0;
        try {
            ch.socket().setSoTimeout(200);
            while (running.get()) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
                try {
                    ch.socket().receive(p);
                } catch (java.net.SocketTimeoutException e) {
                    continue;
                }
                Krpc.Packet q;
                try {
                    q = Krpc.decode(java.util.Arrays.copyOf(p.getData(), p.getLength()), t -> null);
                } catch (Exception e) {
                    continue;
                }
                KrpcMessage answer = switch (q.message()) {
                    case KrpcMessage.Ping x -> new KrpcMessage.PingResponse(me);
                    case KrpcMessage.FindNode x -> new KrpcMessage.FindNodeResponse(me, List.of());
                    case KrpcMessage.AnnouncePeer x -> new KrpcMessage.AnnouncePeerResponse(me);
                    case KrpcMessage.Put x -> new KrpcMessage.PutResponse(me);
                    case KrpcMessage.Get x -> new KrpcMessage.GetResponse(me, token, List.of(), null, null, null, null);
                    case KrpcMessage.GetPeers x -> {
                        List<InetSocketAddress> peers = new ArrayList<>(outOfScope);
                        // 40 and S are within the 50 holders a lookup keeps, so S is always among them
                        for (int i = 0; i < 40; i++) peers.add(fakes.get((rotation + i) % fakes.size()));
                        rotation += 37;
                        getPeersAnswered.incrementAndGet();
                        yield new KrpcMessage.GetPeersResponse(me, token, peers, List.of());
                    }
                    default -> null;
                };
                if (answer == null) continue;
                ch.send(ByteBuffer.wrap(Krpc.encode(new Krpc.Packet(q.transactionId(), answer))), p.getSocketAddress());
            }
        } catch (Exception e) {
            if (running.get()) throw new RuntimeException(e);
        }
    }

    private static JsonObject ok(Cli.Result r) throws Exception {
        assertEquals(0, r.code(), () -> "exit " + r.code() + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return Json.parseObject(r.out().strip().getBytes(StandardCharsets.UTF_8));
    }
}
