package io.megatorrent.node;

import io.megatorrent.dht.DhtNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Real DHT nodes and megatorrent nodes on loopback for a test, closed in reverse order. */
final class TestSwarm implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    /** {@code n} DHT nodes bootstrapped from each other; returns their addresses. */
    List<InetSocketAddress> dht(int n) throws Exception {
        List<DhtNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) nodes.add(add(DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))));
        List<InetSocketAddress> addresses = nodes.stream().map(DhtNode::localAddress).toList();
        for (DhtNode d : nodes) d.bootstrap(addresses.stream().filter(a -> !a.equals(d.localAddress())).toList(), Node.BOOTSTRAP_TIMEOUT);
        return addresses;
    }

    Node node(Path dir, List<InetSocketAddress> bootstrap) throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        return add(Node.start(new Node.Config(dir, any, any, bootstrap)));
    }

    <T extends AutoCloseable> T add(T closeable) {
        open.add(closeable);
        return closeable;
    }

    /** Forgets a closeable the test closes itself. */
    void remove(AutoCloseable closeable) {
        open.remove(closeable);
    }

    static Path file(Path dir, String name, int size, int seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Files.createDirectories(dir);
        return Files.write(dir.resolve(name), b);
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
        open.clear();
    }
}
