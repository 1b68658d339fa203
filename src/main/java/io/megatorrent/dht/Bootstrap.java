package io.megatorrent.dht;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where a node joins the DHT from (PROTOCOL_FINAL.md 3.8): the nodes it is given; else its saved
 * routing table; else, unless turned off, the well-known public routers every Mainline client
 * ships, so that a user's first node does not sit alone. The routers' names are resolved only
 * then, through a {@link Resolver}, never ahead of time: a test, a bench, the demo or a node in
 * safe mode (whose lookups must not leave the machine) never resolves them.
 */
public final class Bootstrap {
    private static final System.Logger LOG = System.getLogger(Bootstrap.class.getName());

    /** The public routers (libtorrent's and Transmission's defaults), as host:port. */
    public static final List<String> DEFAULT_ROUTERS = List.of(
            "router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881", "dht.libtorrent.org:25401");

    /** Turns a host name into addresses; {@link #SYSTEM} in the node, a recording one in tests. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** The JDK's resolver (the system's, through the JVM's address cache). */
    public static final Resolver SYSTEM = InetAddress::getAllByName;

    /** What the node bootstrapped from. */
    public enum Source { GIVEN, SAVED_TABLE, DEFAULT_ROUTERS, NONE }

    /** {@code contacted}: the addresses bootstrapped from (empty for SAVED_TABLE and NONE). */
    public record Outcome(Source source, List<InetSocketAddress> contacted) {}

    private Bootstrap() {}

    /**
     * Joins {@code node} to the DHT: from {@code given} when not empty (it replaces the defaults);
     * else from the node's saved routing table when it has one (a lookup of its own id); else,
     * with {@code defaultRouters}, from {@link #DEFAULT_ROUTERS} resolved now. A node bound to a
     * loopback address cannot reach them and never resolves them. Pass {@code defaultRouters}
     * false for {@code --no-default-bootstrap} and in safe mode.
     */
    public static Outcome join(DhtNode node, List<InetSocketAddress> given, boolean defaultRouters, Resolver resolver, Duration timeout)
            throws InterruptedException {
        Source source = choose(!given.isEmpty(), node.routingTableSize() > 0, defaultRouters, node.localAddress().getAddress());
        switch (source) {
            case GIVEN -> {
                node.bootstrap(given, timeout);
                return new Outcome(source, List.copyOf(given));
            }
            case SAVED_TABLE -> {
                node.bootstrap(List.of(), timeout);
                return new Outcome(source, List.of());
            }
            case DEFAULT_ROUTERS -> {
                long deadline = System.nanoTime() + timeout.toNanos();
                List<InetSocketAddress> routers = resolve(DEFAULT_ROUTERS, resolver, node.localAddress().getAddress() instanceof Inet6Address, timeout);
                if (routers.isEmpty()) {
                    LOG.log(System.Logger.Level.WARNING, "none of the default DHT routers resolved (" + String.join(", ", DEFAULT_ROUTERS)
                            + "): this node knows no other node yet; give --bootstrap HOST:PORT");
                    return new Outcome(Source.NONE, List.of());
                }
                LOG.log(System.Logger.Level.INFO, "bootstrapping from the default DHT routers: " + routers);
                node.bootstrap(routers, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                return new Outcome(source, routers);
            }
            default -> {
                return new Outcome(Source.NONE, List.of());
            }
        }
    }

    /** The rule of {@link #join}, apart from the network. */
    static Source choose(boolean given, boolean savedTable, boolean defaultRouters, InetAddress bound) {
        if (given) return Source.GIVEN;
        if (savedTable) return Source.SAVED_TABLE;
        if (defaultRouters && !bound.isLoopbackAddress()) return Source.DEFAULT_ROUTERS;
        return Source.NONE;
    }

    /**
     * Resolves each {@code host:port} (in parallel, within {@code timeout}) to the addresses of
     * the node's family; a name that does not resolve in time is skipped (logged).
     */
    static List<InetSocketAddress> resolve(List<String> hostPorts, Resolver resolver, boolean ipv6, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<List<InetSocketAddress>> found = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (String hostPort : hostPorts) {
            int colon = hostPort.lastIndexOf(':');
            String host = hostPort.substring(0, colon);
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            List<InetSocketAddress> these = java.util.Collections.synchronizedList(new ArrayList<>());
            found.add(these);
            threads.add(Thread.ofVirtual().name("dht-resolve").start(() -> {
                try {
                    for (InetAddress a : resolver.resolve(host)) {
                        if ((a instanceof Inet6Address) == ipv6) these.add(new InetSocketAddress(a, port));
                    }
                } catch (UnknownHostException e) {
                    LOG.log(System.Logger.Level.INFO, "default DHT router " + host + " does not resolve: " + e.getMessage());
                }
            }));
        }
        for (Thread t : threads) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        List<InetSocketAddress> all = new ArrayList<>();
        for (List<InetSocketAddress> these : found) {
            synchronized (these) {
                all.addAll(these);
            }
        }
        return all;
    }
}
