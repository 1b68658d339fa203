package io.megatorrent.cli;

import io.megatorrent.dht.DhtNode;
import io.megatorrent.dht.Simulation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code megatorrent bench dht}: KRPC queries per second answered by one node on loopback
 * (a bounded-window load generator: WINDOW queries in flight), beside the same load against
 * a libtorrent node when python3-libtorrent is installed; then lookup latency and hops in a
 * simulated network of real nodes on loopback ports.
 */
final class DhtBench {
    private static final String PYTHON = "/usr/bin/python3";

    /** Alternating measurement rounds per figure. */
    private static final int ROUNDS = 3;

    private DhtBench() {}

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v[v.length / 2];
    }

    private static String rounds(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) sb.append(sb.length() == 0 ? "" : ", ").append(Math.round(v / 1000)).append('k');
        return sb.toString();
    }

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("seconds", "S", "time per rate measurement round (default 2)"),
                Args.Option.value("window", "N", "queries in flight (default 64)"),
                Args.Option.value("nodes", "N", "simulated network size (default 1000)"),
                Args.Option.value("lookups", "N", "lookups measured in it (default 200)")));
        args.noPositional();
        long seconds = args.longValue("seconds", 2, 1, 600);
        int window = (int) args.longValue("window", 64, 1, 4096);
        int size = (int) args.longValue("nodes", 1000, 10, 5000);
        int lookups = (int) args.longValue("lookups", 200, 1, 100_000);
        out.printf("megatorrent bench dht (Java %s, %d cores; load generator: %d queries in flight, %d s per round)%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), window, seconds);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // The machine is shared and noisy: the two nodes are measured in alternating rounds and
        // each figure is the median of its rounds.
        Process lt = startLibtorrent(err);
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(loopback))) {
            InetSocketAddress ours = node.localAddress();
            InetSocketAddress theirs = lt == null ? null : new InetSocketAddress(InetAddress.getLoopbackAddress(), libtorrentPort(lt));
            rate(ours, false, 2, window); // JIT warm-up
            rate(ours, true, 1, window);
            if (theirs != null) rate(theirs, false, 1, window);
            double[][] figures = new double[4][ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                figures[0][round] = rate(ours, false, seconds, window);
                if (theirs != null) figures[1][round] = rate(theirs, false, seconds, window);
                figures[2][round] = rate(ours, true, seconds, window);
                if (theirs != null) figures[3][round] = rate(theirs, true, seconds, window);
            }
            out.printf("megatorrent node   ping       %9.0f queries/s   (median of %d rounds: %s)%n", median(figures[0]), ROUNDS, rounds(figures[0]));
            out.printf("megatorrent node   get_peers  %9.0f queries/s   (median of %d rounds: %s)%n", median(figures[2]), ROUNDS, rounds(figures[2]));
            out.printf("                   (the node answered %d queries with responses and %d with errors)%n", node.queriesAnswered(), node.errorsSent());
            if (theirs == null) {
                out.println("libtorrent node    baseline missing: python3-libtorrent is not installed (apt-get install python3-libtorrent)");
            } else {
                out.printf("libtorrent node    ping       %9.0f queries/s   (baseline, libtorrent %s; rounds: %s)%n", median(figures[1]), libtorrentVersion(), rounds(figures[1]));
                out.printf("libtorrent node    get_peers  %9.0f queries/s   (baseline; rounds: %s)%n", median(figures[3]), rounds(figures[3]));
            }
        } finally {
            if (lt != null) {
                lt.getOutputStream().close();
                if (!lt.waitFor(3, TimeUnit.SECONDS)) lt.destroyForcibly();
            }
        }
        long t = System.nanoTime();
        try (Simulation sim = new Simulation(size, 1L, null)) {
            out.printf("simulation: %d nodes on loopback ports bootstrapped and settled in %.1f s%n", size, (System.nanoTime() - t) / 1e9);
            Simulation.Result r = sim.lookups(lookups);
            out.printf("find_node lookups  %d: %d found the true 8 closest; mean %.2f hops, %.1f queries; latency mean %.2f ms, p50 %.2f ms, p99 %.2f ms%n",
                    r.lookups(), r.exact(), r.meanHops(), r.meanQueries(), r.meanMillis(), r.p50Millis(), r.p99Millis());
        }
        return ExitCodes.OK;
    }

    /** Answers per second with at most window queries in flight; a lost datagram frees its slot after 50 ms of silence. */
    static double rate(InetSocketAddress target, boolean getPeers, long seconds, int window) throws IOException, InterruptedException {
        byte[] template = (getPeers
                ? "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t4:TTTT1:y1:qe"
                : "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t4:TTTT1:y1:qe").getBytes(StandardCharsets.US_ASCII);
        int tidAt = indexOf(template, "TTTT");
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 21);
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ch.connect(target);
            ch.socket().setSoTimeout(50);
            Semaphore slots = new Semaphore(window);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong answered = new AtomicLong();
            Thread sender = Thread.ofPlatform().name("dht-bench-send").start(() -> {
                ByteBuffer buf = ByteBuffer.wrap(template.clone());
                int n = 0;
                try {
                    while (running.get()) {
                        if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                        n++;
                        buf.put(tidAt, (byte) (n >> 24)).put(tidAt + 1, (byte) (n >> 16)).put(tidAt + 2, (byte) (n >> 8)).put(tidAt + 3, (byte) n);
                        buf.clear();
                        ch.write(buf);
                    }
                } catch (IOException | InterruptedException e) {
                    running.set(false);
                }
            });
            java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[4096], 4096);
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                try {
                    ch.socket().receive(packet);
                    answered.incrementAndGet();
                    slots.release();
                } catch (SocketTimeoutException e) {
                    slots.release(Math.max(0, window - slots.availablePermits())); // lost queries: free their slots
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            running.set(false);
            sender.join();
            return answered.get() / elapsed;
        }
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) if (hay[i + j] != n[j]) continue outer;
            return i;
        }
        throw new IllegalArgumentException(needle);
    }

    private static Process startLibtorrent(PrintStream err) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) return null;
        Process check = new ProcessBuilder(PYTHON, "-c", "import libtorrent").redirectErrorStream(true).start();
        check.getInputStream().readAllBytes();
        if (check.waitFor() != 0) return null;
        Path script = Files.createTempFile("megatorrent-libtorrent-node", ".py");
        script.toFile().deleteOnExit();
        try (InputStream in = DhtNode.class.getResourceAsStream("libtorrent_node.py")) {
            if (in == null) throw new IOException("resource libtorrent_node.py missing from the build");
            Files.write(script, in.readAllBytes());
        }
        return new ProcessBuilder(PYTHON, script.toString(), "0").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static int libtorrentPort(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("port ")) throw new IOException("libtorrent node did not start: " + line);
        return Integer.parseInt(line.substring(5).trim());
    }

    private static String libtorrentVersion() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import libtorrent; print(libtorrent.__version__)").start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return v;
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
