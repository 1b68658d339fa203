package io.megatorrent.cli;

import io.megatorrent.conformance.Conformance;
import io.megatorrent.node.LocalDemo;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The node's main job for a first run: a whole local swarm walking the protocol on loopback. */
final class DemoCommand extends OptionCommand {
    private static final Args.Option NODES = Args.Option.value("nodes", "N", "DHT nodes in the swarm, 1.." + LocalDemo.MAX_DHT_NODES + " (default " + LocalDemo.DEFAULT_DHT_NODES + ")");
    private static final Args.Option SIZE = Args.Option.value("size", "SIZE",
            "size of the generated random files: bytes, or with K, M or G (binary) (default 4M; the three files are SIZE, 1.5 x SIZE + 1 and SIZE / 2 + 3)");
    private static final Args.Option KEEP = Args.Option.flag("keep", "keep the temporary folder (keys, DHT state, blob stores, downloads)");
    private static final Args.Option PRIVATE = Args.Option.flag("private", "publish a private channel: the URI carries the read key");
    private static final Args.Option SELF_CHECK = Args.Option.flag("self-check", "first run the conformance vectors (see --vectors)");
    private static final Args.Option VECTORS = Args.Option.value("vectors", "PATH", "vectors for --self-check (default: test-vectors)");
    private static final Args.Option DIR = Args.Option.value("data-dir", 'd', "DIR", "run in DIR (new or empty) and keep it, instead of a temporary folder");

    DemoCommand() {
        super("demo", "run a local swarm on loopback: publish, find through the DHT, download over Noise, verify", "[options]");
    }

    @Override
    List<Args.Option> options() {
        return List.of(NODES, SIZE, DIR, KEEP, PRIVATE, SELF_CHECK, VECTORS);
    }

    @Override
    String description() {
        return """
                Walks the whole protocol for real on 127.0.0.1, nothing mocked: starts a swarm
                of DHT nodes (UDP) bootstrapped from each other; a publisher ingests generated
                files (three random ones and a text file) into padded encrypted blobs, signs a
                manifest, puts its pointer into the DHT (BEP 44, under the channel key),
                announces every blob (get_peers infohash: SHA-256 of the blob, first 20 bytes)
                and serves them over Noise; then two subscribers, given only the channel URI,
                get the pointer, find peers with get_peers, download over one Noise connection
                per peer with many requests in flight, verify each blob, check the manifest,
                reassemble the files and compare their SHA-256 with the originals. The second
                subscriber also finds the first as a peer.

                Prints each step with timings and figures, then "demo passed" (exit 0) or
                "demo FAILED: REASON" (exit 1). Everything is closed at the end; the temporary
                folder is removed unless --keep or -d is given. --self-check first runs the
                conformance vectors, as `megatorrent conformance` does.
                """;
    }

    @Override
    int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.noPositional();
        int nodes = (int) args.longValue("nodes", LocalDemo.DEFAULT_DHT_NODES, 1, LocalDemo.MAX_DHT_NODES);
        long size = args.get("size").isPresent() ? parseSize(args.get("size").get()) : LocalDemo.DEFAULT_FILE_SIZE;
        if (size < 1 || size > LocalDemo.MAX_FILE_SIZE) throw new UsageException("--size must be 1.." + LocalDemo.MAX_FILE_SIZE + " bytes (1G)");
        Path dir = args.get("data-dir").map(Path::of).orElse(null);
        if (args.has("vectors") && !args.has("self-check")) throw new UsageException("--vectors goes with --self-check");

        if (args.has("self-check")) {
            Path vectors = Path.of(args.get("vectors").orElse("test-vectors"));
            if (!Files.exists(vectors)) throw new java.io.IOException("vector folder not found: " + vectors + " (run from the project folder, or give --vectors PATH)");
            Conformance.Report report = Conformance.run(List.of(vectors), out);
            out.println(report.ok() ? "self-check passed" : "self-check FAILED");
            if (!report.ok()) {
                out.println("demo FAILED: the conformance self-check failed");
                return ExitCodes.FAILED;
            }
        }
        try {
            LocalDemo.run(new LocalDemo.Options(nodes, size, dir, args.has("keep"), args.has("private")), out);
        } catch (LocalDemo.Failure e) {
            out.println("demo FAILED: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        out.println("demo passed");
        return ExitCodes.OK;
    }

    /** "4096", "300K", "4M", "1G" (binary multiples). */
    static long parseSize(String text) throws UsageException {
        String s = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("K")) unit = 1L << 10;
        else if (s.endsWith("M")) unit = 1L << 20;
        else if (s.endsWith("G")) unit = 1L << 30;
        if (unit != 1) s = s.substring(0, s.length() - 1);
        if (!s.matches("\\d{1,10}")) throw new UsageException("--size must be a number of bytes, optionally with K, M or G, got '" + text + "'");
        return Long.parseLong(s) * unit;
    }
}
