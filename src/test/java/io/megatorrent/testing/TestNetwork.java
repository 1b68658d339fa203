package io.megatorrent.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A network of distinct addresses on one host, for limits keyed by address (per source caps,
 * BEP 42, peer filtering) that one loopback address cannot test: a network namespace the test
 * creates with a veth pair into it. Inside, {@link #nodeAddress()} (run a process there with
 * {@link #inside}); outside, in this JVM's namespace, {@link #hostAddresses()} that clients bind
 * to, one per simulated host. The addresses are in 198.18.0.0/15 (RFC 2544, benchmarking: public
 * scope to the node, routed nowhere), a /24 chosen at random so that runs at the same time do not
 * meet. Needs root (CAP_NET_ADMIN) and iproute2; the test skips with a message where namespaces
 * cannot be created, and fails instead under CI=true (.ci/run runs as root).
 */
public final class TestNetwork implements AutoCloseable {
    private final String namespace;
    private final String hostSide;
    private final InetAddress nodeAddress;
    private final List<InetAddress> hostAddresses;

    private TestNetwork(String namespace, String hostSide, InetAddress nodeAddress, List<InetAddress> hostAddresses) {
        this.namespace = namespace;
        this.hostSide = hostSide;
        this.nodeAddress = nodeAddress;
        this.hostAddresses = hostAddresses;
    }

    /** Creates the namespace with {@code hosts} client addresses outside it; skips the test when it cannot. */
    public static TestNetwork create(int hosts) throws IOException, InterruptedException {
        if (hosts < 1 || hosts > 90) throw new IllegalArgumentException("1..90 host addresses");
        String why = null;
        if (!Peers.hasExecutable("ip")) why = "the ip command is missing (Debian package iproute2)";
        String tag = Long.toString(ProcessHandle.current().pid() % 100000) + ThreadLocalRandom.current().nextInt(1000);
        String ns = "mt-test-" + tag;
        String host = "mth" + tag; // interface names have at most 15 characters
        String inner = "mtn" + tag;
        int subnet = ThreadLocalRandom.current().nextInt(256);
        int half = ThreadLocalRandom.current().nextInt(2);
        String prefix = "198." + (18 + half) + "." + subnet + ".";
        if (why == null) {
            String out = run("ip", "netns", "add", ns);
            if (out != null) why = "network namespaces cannot be created here (run as root with iproute2): " + out.strip();
        }
        if (why != null) {
            if (Peers.inCi()) Assertions.fail(why + ": CI runs as root and must test with distinct addresses");
            Assumptions.abort(why);
        }
        TestNetwork net = null;
        try {
            List<InetAddress> hostAddresses = new ArrayList<>();
            for (int i = 1; i <= hosts; i++) hostAddresses.add(InetAddress.getByName(prefix + i));
            net = new TestNetwork(ns, host, InetAddress.getByName(prefix + 200), List.copyOf(hostAddresses));
            must("ip", "link", "add", host, "type", "veth", "peer", "name", inner);
            must("ip", "link", "set", inner, "netns", ns);
            for (InetAddress a : hostAddresses) must("ip", "addr", "add", a.getHostAddress() + "/24", "dev", host);
            must("ip", "link", "set", host, "up");
            must("ip", "netns", "exec", ns, "ip", "addr", "add", prefix + "200/24", "dev", inner);
            must("ip", "netns", "exec", ns, "ip", "link", "set", inner, "up");
            must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            return net;
        } catch (IOException | RuntimeException e) {
            if (net != null) net.close();
            else run("ip", "netns", "del", ns);
            throw e;
        }
    }

    /** The address of the namespace's end, where the node under test listens. */
    public InetAddress nodeAddress() {
        return nodeAddress;
    }

    /** Addresses outside the namespace, each a distinct simulated host for clients to bind to. */
    public List<InetAddress> hostAddresses() {
        return hostAddresses;
    }

    /** {@code command} run inside the namespace (prefixed with {@code ip netns exec}). */
    public List<String> inside(List<String> command) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        out.addAll(command);
        return out;
    }

    /** Deletes the namespace, and with it both ends of the veth pair and every address on them. */
    @Override
    public void close() {
        try {
            run("ip", "netns", "del", namespace);
            run("ip", "link", "del", hostSide); // gone with the namespace already; in case its deletion lagged
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
    }

    private static void must(String... command) throws IOException, InterruptedException {
        String failed = run(command);
        if (failed != null) throw new IOException(String.join(" ", command) + " failed: " + failed);
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : new String(out, java.nio.charset.StandardCharsets.UTF_8) + " (exit " + p.exitValue() + ")";
    }
}
