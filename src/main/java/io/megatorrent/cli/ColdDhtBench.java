package io.megatorrent.cli;

import io.megatorrent.dht.DhtNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code megatorrent bench dht --cold}: the node as users and the network meet it. Each round
 * starts a fresh {@code megatorrent dht node} process (the launcher of this image when there
 * is one, so with its AOT cache) and a fresh libtorrent node the same way, waits for each to
 * print its port, and loads it from its first query on with the outside load generator. CPU
 * per answered query comes from /proc/PID/stat (user + system time of the whole process,
 * every thread, JIT compilation included) between the first query and the end of the round.
 * The node runs with its warm-up (the default) and with {@code --no-warm-up}: the warm-up moves
 * JIT compilation before the port line, so each contender's time from its start to its port
 * line, and the CPU it used until the first query, are printed beside its rates. The load
 * generator runs a second before the first round (its own JIT warm-up), and the variants take
 * turns at being measured first.
 */
final class ColdDhtBench {
    private static final Pattern PORT = Pattern.compile("\"port\":\\s*(\\d+)");

    private ColdDhtBench() {}

    /**
     * One measured round of one node: readySeconds from the process's start to its port line,
     * startCpuSeconds its CPU time until the first query, cpuSeconds from there to the end.
     */
    private record Round(DhtLoad.Result load, double cpuSeconds, double readySeconds, double startCpuSeconds) {
        double microsPerQuery() {
            return load.answered() == 0 ? Double.NaN : cpuSeconds * 1e6 / load.answered();
        }
    }

    static int run(long seconds, int rounds, int window, int sockets, PrintStream out, PrintStream err, BenchFigures figures)
            throws Exception {
        boolean libtorrent = DhtBench.startLibtorrentCheck();
        long tick = clockTick();
        List<String> ours = megatorrentCommand();
        // the image's launcher with its AOT cache is also measured without it, to show what it is worth
        boolean aotCache = imageHasAotCache();
        out.printf("megatorrent bench dht --cold (Java %s, %d cores; a fresh process per round, measured from its first query for %d s;"
                        + " load generator: %d queries in flight over %d UDP sockets)%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), seconds, window, sockets);
        out.println("node command: " + String.join(" ", ours));
        String[] methods = {"ping", "get_peers"};
        for (String method : methods) {
            boolean getPeers = method.equals("get_peers");
            List<Round> mine = new ArrayList<>();
            List<Round> mineCold = new ArrayList<>();
            List<Round> mineWithoutCache = new ArrayList<>();
            List<Round> theirs = new ArrayList<>();
            warmGenerator(getPeers, window, sockets);
            List<java.util.concurrent.Callable<Boolean>> variants = new ArrayList<>();
            variants.add(() -> mine.add(ourRound(ours, null, List.of(), getPeers, seconds, window, sockets, tick, err)));
            variants.add(() -> mineCold.add(ourRound(ours, null, List.of("--no-warm-up"), getPeers, seconds, window, sockets, tick, err)));
            if (aotCache) variants.add(() -> mineWithoutCache.add(ourRound(ours, "-XX:AOTMode=off", List.of(), getPeers, seconds, window, sockets, tick, err)));
            if (libtorrent) variants.add(() -> theirs.add(libtorrentRound(getPeers, seconds, window, sockets, tick, err)));
            // interleaved, the machine is shared so all see the same noise; each round starts
            // with the next variant, so none is always the one measured first
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.size(); v++) variants.get((r + v) % variants.size()).call();
            report(out, figures, "megatorrent node", "megatorrent", method, mine, aotCache ? " (with the image's AOT cache)" : "");
            report(out, figures, "  no warm-up     ", "megatorrent_no_warm_up", method, mineCold, " (dht node --no-warm-up)");
            if (aotCache) report(out, figures, "  no AOT cache  ", "megatorrent_no_aot", method, mineWithoutCache, " (the same image, -XX:AOTMode=off)");
            if (libtorrent) {
                report(out, figures, "libtorrent node ", "libtorrent", method, theirs, " (baseline, libtorrent " + DhtBench.libtorrentVersion() + ")");
                // paired: each round's two figures were measured seconds apart, so their ratio
                // cancels most of the machine's drift between rounds that the medians keep
                out.printf("  megatorrent node / libtorrent node, %s: first s %s, all %s, CPU per query %s (medians of the rounds' ratios; each round's: first s %s)%n", method,
                        percent(pairedRatios(mine, theirs, r -> r.load().firstSecond())), percent(pairedRatios(mine, theirs, r -> r.load().rate())),
                        percent(pairedRatios(mine, theirs, Round::microsPerQuery)), percents(pairedRatios(mine, theirs, r -> r.load().firstSecond())));
                figures.put("dht.cold." + method + ".ratio.first_second", 100 * DhtBench.median(pairedRatios(mine, theirs, r -> r.load().firstSecond())), "%");
                figures.put("dht.cold." + method + ".ratio.rate", 100 * DhtBench.median(pairedRatios(mine, theirs, r -> r.load().rate())), "%");
                figures.put("dht.cold." + method + ".ratio.cpu_per_query", 100 * DhtBench.median(pairedRatios(mine, theirs, Round::microsPerQuery)), "%");
            }
        }
        if (!libtorrent) out.println("libtorrent node    baseline missing: python3-libtorrent is not installed (apt-get install python3-libtorrent)");
        out.println("(first s: answers/s during the first second after the first query; all: over the whole round; CPU: process user+system time per answered query;"
                + " ready: from the process's start to its port line, and the CPU it used until the first query)");
        return ExitCodes.OK;
    }

    /**
     * Runs the load generator (this JVM's code) for a second against a node in this process
     * before anything is measured: a cold generator sends and counts slower, and would show
     * as a slow target in the first round.
     */
    private static void warmGenerator(boolean getPeers, int window, int sockets) throws IOException, InterruptedException {
        try (DhtNode node = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            DhtLoad.run(node.localAddress(), getPeers, 1, window, sockets, () -> {});
        }
    }

    /** Round by round, ours over theirs. */
    private static double[] pairedRatios(List<Round> ours, List<Round> theirs, java.util.function.ToDoubleFunction<Round> figure) {
        double[] ratios = new double[Math.min(ours.size(), theirs.size())];
        for (int i = 0; i < ratios.length; i++) ratios[i] = figure.applyAsDouble(ours.get(i)) / figure.applyAsDouble(theirs.get(i));
        return ratios;
    }

    private static String percent(double[] ratios) {
        return String.format(java.util.Locale.ROOT, "%.0f%%", 100 * DhtBench.median(ratios));
    }

    private static String percents(double[] ratios) {
        StringBuilder sb = new StringBuilder();
        for (double r : ratios) sb.append(sb.length() == 0 ? "" : ", ").append(Math.round(100 * r)).append('%');
        return sb.toString();
    }

    private static void report(PrintStream out, BenchFigures figures, String label, String key, String method, List<Round> rounds, String note) {
        double[] first = rounds.stream().mapToDouble(r -> r.load().firstSecond()).toArray();
        double[] all = rounds.stream().mapToDouble(r -> r.load().rate()).toArray();
        double[] cpu = rounds.stream().mapToDouble(Round::microsPerQuery).toArray();
        double[] ready = rounds.stream().mapToDouble(r -> r.readySeconds() * 1e3).toArray();
        double[] startCpu = rounds.stream().mapToDouble(r -> r.startCpuSeconds() * 1e3).toArray();
        out.printf("%s  %-9s  first s %8.0f/s   all %8.0f/s   CPU %5.1f µs/query   ready %5.0f ms (CPU %5.0f ms)   (medians of %d rounds; all: %s)%s%n",
                label, method, DhtBench.median(first), DhtBench.median(all), DhtBench.median(cpu), DhtBench.median(ready), DhtBench.median(startCpu),
                rounds.size(), DhtBench.rounds(all), note);
        figures.put("dht.cold." + method + "." + key + ".first_second", DhtBench.median(first), "queries/s");
        figures.put("dht.cold." + method + "." + key + ".rate", DhtBench.median(all), "queries/s");
        figures.put("dht.cold." + method + "." + key + ".cpu_per_query", DhtBench.median(cpu), "µs");
        figures.put("dht.cold." + method + "." + key + ".ready", DhtBench.median(ready), "ms");
        figures.put("dht.cold." + method + "." + key + ".start_cpu", DhtBench.median(startCpu), "ms");
    }

    private static Round ourRound(List<String> command, String javaOptions, List<String> nodeOptions, boolean getPeers, long seconds, int window, int sockets,
            long tick, PrintStream err) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("megatorrent-bench-dht-");
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("dht", "node", "--bind", "127.0.0.1", "--port", "0", "-d", dir.toString()));
        cmd.addAll(nodeOptions);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (javaOptions != null) pb.environment().merge("MEGATORRENT_JAVA_OPTS", javaOptions, (a, b) -> a + " " + b);
        long started = System.nanoTime();
        Process p = pb.start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            Matcher m = line == null ? null : PORT.matcher(line);
            if (m == null || !m.find()) throw new IOException("dht node did not start: " + line);
            return measure(p, started, Integer.parseInt(m.group(1)), getPeers, seconds, window, sockets, tick);
        } finally {
            p.destroy(); // SIGTERM: the node saves its state and exits
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            deleteTree(dir);
        }
    }

    private static Round libtorrentRound(boolean getPeers, long seconds, int window, int sockets, long tick, PrintStream err)
            throws IOException, InterruptedException {
        long started = System.nanoTime();
        Process p = DhtBench.launchLibtorrent();
        try {
            return measure(p, started, DhtBench.libtorrentPort(p), getPeers, seconds, window, sockets, tick);
        } finally {
            DhtBench.stop(p);
        }
    }

    private static Round measure(Process p, long started, int port, boolean getPeers, long seconds, int window, int sockets, long tick)
            throws IOException, InterruptedException {
        double ready = (System.nanoTime() - started) / 1e9;
        long[] before = new long[1];
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        DhtLoad.Result load = DhtLoad.run(target, getPeers, seconds, window, sockets, () -> before[0] = cpuTicks(p.pid()));
        long after = cpuTicks(p.pid());
        return new Round(load, (after - before[0]) / (double) tick, ready, before[0] / (double) tick);
    }

    /** Whether we run in the jlink image and it carries the AOT cache its launcher starts from. */
    static boolean imageHasAotCache() {
        if (megatorrentCommand().size() != 1) return false;
        try (var files = Files.list(Path.of(System.getProperty("java.home"), "lib"))) {
            return files.anyMatch(f -> f.getFileName().toString().matches("megatorrent-[0-9a-f]{16}\\.aot\\.gz"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The command that starts megatorrent afresh: the image's launcher if we run in one, else this JVM and class path. */
    static List<String> megatorrentCommand() {
        Path launcher = Path.of(System.getProperty("java.home"), "bin", "megatorrent");
        if (Files.isExecutable(launcher)) return List.of(launcher.toString());
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    /** User + system CPU time of a process so far, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces: count fields after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the CPU time of process " + pid + " from /proc: " + e.getMessage(), e);
        }
    }

    private static long clockTick() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (p.waitFor() == 0) return Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            // Linux's USER_HZ is 100 everywhere it runs
        }
        return 100;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
