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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

    static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v[v.length / 2];
    }

    static String rounds(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) sb.append(sb.length() == 0 ? "" : ", ").append(Math.round(v / 1000)).append('k');
        return sb.toString();
    }

    static int run(String[] argv, PrintStream out, PrintStream err, BenchFigures figuresOut) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.flag("cold", "a fresh node process per round (with and without its warm-up), measured from its first query, with its time to ready, beside a fresh libtorrent"),
                Args.Option.value("seconds", "S", "time per rate measurement round (default 2; 3 with --cold)"),
                Args.Option.value("rounds", "N", "alternating rounds per figure (default 3; 2 with --cold)"),
                Args.Option.value("window", "N", "queries in flight (default 64)"),
                Args.Option.value("sockets", "N", "UDP sockets of the load generator, each on its own thread (default 4)"),
                Args.Option.value("nodes", "N", "simulated network size (default 1000)"),
                Args.Option.value("lookups", "N", "lookups measured in it (default 200)")));
        args.noPositional();
        boolean cold = args.has("cold");
        long seconds = args.longValue("seconds", cold ? 3 : 2, 1, 600);
        int rounds = (int) args.longValue("rounds", cold ? 2 : ROUNDS, 1, 100);
        int window = (int) args.longValue("window", 64, 1, 4096);
        int sockets = (int) args.longValue("sockets", 4, 1, 64);
        int size = (int) args.longValue("nodes", 1000, 10, 5000);
        int lookups = (int) args.longValue("lookups", 200, 1, 100_000);
        if (sockets > window) throw new UsageException("--sockets " + sockets + " is more than --window " + window);
        if (cold) return ColdDhtBench.run(seconds, rounds, window, sockets, out, err, figuresOut);
        out.printf("megatorrent bench dht (Java %s, %d cores; load generator: %d queries in flight over %d UDP sockets, %d s per round)%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), window, sockets, seconds);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // The machine is shared and noisy: the two nodes are measured in alternating rounds and
        // each figure is the median of its rounds.
        Process lt = startLibtorrent(err);
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(loopback))) {
            InetSocketAddress ours = node.localAddress();
            InetSocketAddress theirs = lt == null ? null : new InetSocketAddress(InetAddress.getLoopbackAddress(), libtorrentPort(lt));
            rate(ours, false, 2, window, sockets); // JIT warm-up
            rate(ours, true, 1, window, sockets);
            if (theirs != null) rate(theirs, false, 1, window, sockets);
            double[][] figures = new double[4][rounds];
            for (int round = 0; round < rounds; round++) {
                figures[0][round] = rate(ours, false, seconds, window, sockets);
                if (theirs != null) figures[1][round] = rate(theirs, false, seconds, window, sockets);
                figures[2][round] = rate(ours, true, seconds, window, sockets);
                if (theirs != null) figures[3][round] = rate(theirs, true, seconds, window, sockets);
            }
            out.printf("megatorrent node   ping       %9.0f queries/s   (median of %d rounds: %s)%n", median(figures[0]), rounds, rounds(figures[0]));
            out.printf("megatorrent node   get_peers  %9.0f queries/s   (median of %d rounds: %s)%n", median(figures[2]), rounds, rounds(figures[2]));
            out.printf("                   (the node answered %d queries with responses and %d with errors)%n", node.queriesAnswered(), node.errorsSent());
            figuresOut.put("dht.warm.ping.megatorrent", median(figures[0]), "queries/s");
            figuresOut.put("dht.warm.get_peers.megatorrent", median(figures[2]), "queries/s");
            if (theirs == null) {
                out.println("libtorrent node    baseline missing: python3-libtorrent is not installed (apt-get install python3-libtorrent)");
            } else {
                out.printf("libtorrent node    ping       %9.0f queries/s   (baseline, libtorrent %s; rounds: %s)%n", median(figures[1]), libtorrentVersion(), rounds(figures[1]));
                out.printf("libtorrent node    get_peers  %9.0f queries/s   (baseline; rounds: %s)%n", median(figures[3]), rounds(figures[3]));
                figuresOut.put("dht.warm.ping.libtorrent", median(figures[1]), "queries/s");
                figuresOut.put("dht.warm.get_peers.libtorrent", median(figures[3]), "queries/s");
            }
        } finally {
            stop(lt);
        }
        long t = System.nanoTime();
        try (Simulation sim = new Simulation(size, 1L, null)) {
            out.printf("simulation: %d nodes on loopback ports bootstrapped and settled in %.1f s%n", size, (System.nanoTime() - t) / 1e9);
            Simulation.Result r = sim.lookups(lookups);
            out.printf("find_node lookups  %d: %d found the true 8 closest; mean %.2f hops, %.1f queries; latency mean %.2f ms, p50 %.2f ms, p99 %.2f ms%n",
                    r.lookups(), r.exact(), r.meanHops(), r.meanQueries(), r.meanMillis(), r.p50Millis(), r.p99Millis());
            figuresOut.put("dht.lookup.hops", r.meanHops(), "hops");
            figuresOut.put("dht.lookup.p50", r.p50Millis(), "ms");
            figuresOut.put("dht.lookup.p99", r.p99Millis(), "ms");
        }
        return ExitCodes.OK;
    }

    /** Answers per second of a closed-loop load (see {@link DhtLoad}). */
    static double rate(InetSocketAddress target, boolean getPeers, long seconds, int window, int sockets) throws IOException, InterruptedException {
        return DhtLoad.run(target, getPeers, seconds, window, sockets, () -> {}).rate();
    }

    /** Asks a started baseline to stop (stdin closed), then makes sure. */
    static void stop(Process p) throws InterruptedException {
        if (p == null) return;
        try {
            p.getOutputStream().close();
        } catch (IOException e) {
            // it is going anyway
        }
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(3, TimeUnit.SECONDS);
        }
    }

    /** Whether python3 with libtorrent is installed, the baseline of the DHT benches. */
    static boolean startLibtorrentCheck() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) return false;
        Process check = new ProcessBuilder(PYTHON, "-c", "import libtorrent").redirectErrorStream(true).start();
        check.getInputStream().readAllBytes();
        return check.waitFor() == 0;
    }

    static Process startLibtorrent(PrintStream err) throws IOException, InterruptedException {
        return startLibtorrentCheck() ? launchLibtorrent() : null;
    }

    /** A fresh libtorrent node process on a loopback port it prints; python3-libtorrent must be installed. */
    static Process launchLibtorrent() throws IOException {
        Path script = Files.createTempFile("megatorrent-libtorrent-node", ".py");
        script.toFile().deleteOnExit();
        try (InputStream in = DhtNode.class.getResourceAsStream("libtorrent_node.py")) {
            if (in == null) throw new IOException("resource libtorrent_node.py missing from the build");
            Files.write(script, in.readAllBytes());
        }
        return new ProcessBuilder(PYTHON, script.toString(), "0").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static int libtorrentPort(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("port ")) throw new IOException("libtorrent node did not start: " + line);
        return Integer.parseInt(line.substring(5).trim());
    }

    static String libtorrentVersion() {
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
