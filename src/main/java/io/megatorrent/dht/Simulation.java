package io.megatorrent.dht;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;

/**
 * A network of real nodes in one JVM, each on its own loopback UDP port: each bootstraps from
 * a random earlier node, then all refresh every bucket (the settle step), then random lookups
 * are checked against the true K closest ids. Used by the simulation test and the benchmark.
 */
public final class Simulation implements AutoCloseable {
    /** Nodes settling (refreshing) at once. */
    static final int SETTLE_PARALLELISM = 16;

    private final List<DhtNode> nodes = new ArrayList<>();
    private final Random random;

    /** Lookups: how many found exactly the true K closest, mean hops, latency percentiles in ms. */
    public record Result(int lookups, int exact, double meanHops, double meanMillis, double p50Millis, double p99Millis, double meanQueries) {}

    public Simulation(int size, long seed, PrintStream log) throws IOException, InterruptedException {
        random = new Random(seed);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < size; i++) {
                DhtNode node = DhtNode.start(DhtNode.Config.of(loopback).withId(NodeId.random(random)));
                nodes.add(node);
                if (i > 0) {
                    DhtNode earlier = nodes.get(random.nextInt(i));
                    node.bootstrap(List.of(earlier.localAddress()), Duration.ofSeconds(10));
                }
            }
            if (log != null) log.printf("simulation: %d nodes bootstrapped in %.1f s%n", size, (System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            Semaphore slots = new Semaphore(SETTLE_PARALLELISM);
            List<Thread> threads = new ArrayList<>();
            for (DhtNode node : nodes) {
                slots.acquire();
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        node.refresh(true);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Thread t : threads) t.join();
            if (log != null) {
                double meanTable = nodes.stream().mapToInt(DhtNode::routingTableSize).average().orElse(0);
                log.printf("simulation: settled (every bucket refreshed) in %.1f s, mean routing table %.1f nodes%n", (System.nanoTime() - t1) / 1e9, meanTable);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public List<DhtNode> nodes() {
        return nodes;
    }

    /** Runs random find_node lookups from random nodes, one after another. */
    public Result lookups(int count) throws InterruptedException {
        int exact = 0;
        long hops = 0;
        long queries = 0;
        double[] millis = new double[count];
        for (int i = 0; i < count; i++) {
            DhtNode from = nodes.get(random.nextInt(nodes.size()));
            NodeId target = NodeId.random(random);
            long t = System.nanoTime();
            DhtNode.LookupResult r = from.findNode(target, Duration.ofSeconds(20));
            millis[i] = (System.nanoTime() - t) / 1e6;
            hops += r.hops();
            queries += r.queries();
            if (trueClosest(target, from.id()).equals(ids(r.closest()))) exact++;
        }
        Arrays.sort(millis);
        return new Result(count, exact, (double) hops / count, Arrays.stream(millis).average().orElse(0),
                millis[count / 2], millis[Math.min(count - 1, (int) Math.ceil(count * 0.99) - 1)], (double) queries / count);
    }

    /** The K ids closest to target among all nodes but the one looking. */
    public List<NodeId> trueClosest(NodeId target, NodeId except) {
        List<NodeId> all = new ArrayList<>();
        for (DhtNode n : nodes) if (!n.id().equals(except)) all.add(n.id());
        all.sort(target::compareDistance);
        return all.subList(0, Math.min(RoutingTable.K, all.size()));
    }

    static List<NodeId> ids(List<NodeInfo> infos) {
        List<NodeId> out = new ArrayList<>();
        for (NodeInfo n : infos) out.add(n.id());
        return out;
    }

    @Override
    public void close() {
        for (DhtNode n : nodes) n.close();
    }
}
