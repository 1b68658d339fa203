package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Cli;
import io.megatorrent.testing.RecordingResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a node joins from: given nodes, else its saved table, else the public routers, resolved
 * only then. This machine has no internet: no test may even try to resolve a router.
 */
@Timeout(60)
class BootstrapTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static final Duration T = Duration.ofSeconds(5);

    /** A resolver seam that records every name asked and answers from a fixed table. */
    static final class Recording implements Bootstrap.Resolver {
        final List<String> asked = new CopyOnWriteArrayList<>();

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            asked.add(host);
            return switch (host) {
                case "four.test" -> new InetAddress[] {InetAddress.getByAddress(new byte[] {127, 0, 0, 7})};
                case "both.test" -> new InetAddress[] {InetAddress.getByAddress(new byte[] {127, 0, 0, 8}), InetAddress.getByName("::1")};
                default -> throw new UnknownHostException(host);
            };
        }
    }

    @Test
    void theRule() throws Exception {
        InetAddress any = InetAddress.getByName("0.0.0.0");
        InetAddress lo = InetAddress.getLoopbackAddress();
        assertEquals(Bootstrap.Source.GIVEN, Bootstrap.choose(true, true, true, any), "--bootstrap replaces the defaults and the table");
        assertEquals(Bootstrap.Source.SAVED_TABLE, Bootstrap.choose(false, true, true, any));
        assertEquals(Bootstrap.Source.DEFAULT_ROUTERS, Bootstrap.choose(false, false, true, any));
        assertEquals(Bootstrap.Source.NONE, Bootstrap.choose(false, false, false, any), "--no-default-bootstrap, safe mode");
        assertEquals(Bootstrap.Source.NONE, Bootstrap.choose(false, false, true, lo), "a loopback node cannot reach the routers");
        assertEquals(List.of("router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881", "dht.libtorrent.org:25401"),
                Bootstrap.DEFAULT_ROUTERS);
    }

    @Test
    void namesAreResolvedToTheNodesFamilyAndOneThatFailsIsSkipped() throws Exception {
        Recording r = new Recording();
        assertEquals(List.of(new InetSocketAddress("127.0.0.7", 6881), new InetSocketAddress("127.0.0.8", 25401)),
                Bootstrap.resolve(List.of("four.test:6881", "nowhere.test:6881", "both.test:25401"), r, false, T));
        assertEquals(List.of(new InetSocketAddress("::1", 25401)), Bootstrap.resolve(List.of("four.test:6881", "both.test:25401"), r, true, T));
        assertEquals(5, r.asked.size());
    }

    @Test
    void givenNodesSavedTableNoDefaultsAndLoopbackResolveNothing(@TempDir Path dir) throws Exception {
        Recording r = new Recording();
        try (DhtNode other = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
            try (DhtNode node = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
                Bootstrap.Outcome given = Bootstrap.join(node, List.of(other.localAddress()), true, r, T);
                assertEquals(Bootstrap.Source.GIVEN, given.source());
                assertTrue(node.routingTableSize() > 0);
                node.saveState();
            }
            try (DhtNode restarted = DhtNode.start(DhtNode.Config.of(LOOPBACK).withStateDir(dir))) {
                assertEquals(Bootstrap.Source.SAVED_TABLE, Bootstrap.join(restarted, List.of(), true, r, T).source());
            }
            try (DhtNode fresh = DhtNode.start(DhtNode.Config.of(LOOPBACK))) {
                assertEquals(Bootstrap.Source.NONE, Bootstrap.join(fresh, List.of(), true, r, T).source());
                assertEquals(Bootstrap.Source.NONE, Bootstrap.join(fresh, List.of(), false, r, T).source());
                assertEquals(0, fresh.routingTableSize());
            }
        }
        assertEquals(List.of(), r.asked, "nothing resolved");
    }

    /**
     * The CLI's node and the demo, through the JVM's resolver (the recording resolver the
     * transport tests use): none of the routers' names is looked up. The JVM caches lookups, but
     * a router name could only be in its cache if some code had resolved it already.
     */
    @Test
    void theCliNodeAndTheDemoNeverLookUpTheRouters(@TempDir Path dir) throws Exception {
        InetAddress.getAllByName("localhost"); // loads the JVM's resolver if nothing has yet
        assertTrue(RecordingResolver.installed(), "recording resolver is not installed (META-INF/services missing?)");
        RecordingResolver.clear();
        Cli.Result node = Cli.run("dht", "node", "--no-warm-up", "--port", "0", "--bind", "127.0.0.1", "-d", dir.resolve("n").toString(), "--seconds", "1");
        assertEquals(0, node.code(), node.out() + node.err());
        Cli.Result alone = Cli.run("dht", "node", "--no-warm-up", "--port", "0", "--bind", "127.0.0.1", "--no-default-bootstrap", "-d", dir.resolve("m").toString(), "--seconds", "1");
        assertEquals(0, alone.code(), alone.out() + alone.err());
        Cli.Result demo = Cli.run("demo", "--size", "1K", "--nodes", "2");
        assertEquals(0, demo.code(), demo.out() + demo.err());
        for (String router : Bootstrap.DEFAULT_ROUTERS) {
            String host = router.substring(0, router.indexOf(':'));
            assertTrue(RecordingResolver.lookups().stream().noneMatch(h -> h.equalsIgnoreCase(host)), host + " was looked up: " + RecordingResolver.lookups());
        }
    }
}
