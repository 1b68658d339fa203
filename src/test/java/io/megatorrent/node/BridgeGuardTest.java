package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.KrpcMessage;
import io.megatorrent.dht.NodeId;
import io.megatorrent.testing.LoggedProcess;
import io.megatorrent.transport.PeerAddress;
import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.TcpDialer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hybrid bridge ({@code serve --bridge-port}, a process of its own) against hostile bridge
 * clients: it refuses to forward to its own DHT port and to non-DHT service ports, and a client
 * flooding it with queries is answered "busy" past its rate while another client is still answered.
 */
@Timeout(120)
class BridgeGuardTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path tmp;

    @Test
    void refusesItsOwnPortsAndNonDhtTargetsAndRateLimitsAFlooder() throws Exception {
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        try (LoggedProcess b = LoggedProcess.start(logs, "B", "serve", "-d", tmp.resolve("B").toString(), "--bind", "127.0.0.1", "--dht-port", "0",
                "--listen-port", "0", "--bridge-port", "0")) {
            JsonObject ready = b.ready(Duration.ofSeconds(60));
            PeerTarget bridge = new PeerTarget(Hex.decode(ready.string("staticKey")), new PeerAddress("127.0.0.1", (int) ready.integer("bridgePort")));
            int dhtPort = (int) ready.integer("dhtPort");
            NodeId me = NodeId.random();
            try (BridgeTransport flooder = BridgeTransport.connect(new TcpDialer(), bridge, X25519.generate(), Duration.ofSeconds(6));
                    BridgeTransport other = BridgeTransport.connect(new TcpDialer(), bridge, X25519.generate(), Duration.ofSeconds(6))) {
                for (InetSocketAddress target : List.of(new InetSocketAddress(LOOPBACK, dhtPort), new InetSocketAddress("127.0.0.2", dhtPort),
                        new InetSocketAddress(LOOPBACK, 53), new InetSocketAddress(LOOPBACK, 123), new InetSocketAddress(LOOPBACK, 11211),
                        new InetSocketAddress(LOOPBACK, 1900))) {
                    IOException e = assertThrows(IOException.class, () -> flooder.query(target, new KrpcMessage.Ping(me)), "forward to " + target);
                    assertTrue(e.getMessage().contains("code 5"), target + ": " + e.getMessage());
                }
                // the bridge's own node still answers (node_kind 0)
                assertInstanceOf(KrpcMessage.PingResponse.class, flooder.query(io.megatorrent.dht.DhtClient.BRIDGE_NODE, new KrpcMessage.Ping(me)));

                AtomicInteger answered = new AtomicInteger();
                AtomicInteger busy = new AtomicInteger();
                List<Future<?>> flood = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 600; i++) {
                        flood.add(pool.submit(() -> {
                            try {
                                flooder.query(io.megatorrent.dht.DhtClient.BRIDGE_NODE, new KrpcMessage.Ping(me));
                                answered.incrementAndGet();
                            } catch (IOException e) {
                                if (e.getMessage().contains("code 3")) busy.incrementAndGet();
                            }
                            return null;
                        }));
                    }
                    // during the flood another client is served
                    for (int i = 0; i < 5; i++) {
                        assertInstanceOf(KrpcMessage.PingResponse.class, other.query(io.megatorrent.dht.DhtClient.BRIDGE_NODE, new KrpcMessage.Ping(NodeId.random())));
                    }
                    for (Future<?> f : flood) f.get();
                }
                assertTrue(busy.get() > 0, "the flooder was rate-limited (answered " + answered.get() + ")");
                assertTrue(answered.get() >= 1 && answered.get() < 600, "answered " + answered.get() + ", busy " + busy.get());
                assertTrue(b.process.isAlive(), "the bridge is still up");
            }
        }
    }
}
