package io.megatorrent.cli;

import io.megatorrent.dht.DhtNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code megatorrent bench aot-training}: the workload the build runs once under
 * {@code -XX:AOTCacheOutput} (JDK 25+) to make the image's AOT cache: the classes it loads and
 * links and the method profiles it gathers are what a user's first second then skips. It runs
 * the demo, a DHT node under the outside load generator (ping, find_node, get_peers), and an
 * ingest then a reassembly through the CLI commands; it prints one line per step.
 */
final class AotTraining {
    private static final int MIB = 1 << 20;

    private AotTraining() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("dir", "DIR", "scratch folder (default: the system temp folder)")));
        args.noPositional();
        Path parent = Path.of(args.get("dir").orElse(System.getProperty("java.io.tmpdir")));
        Files.createDirectories(parent);
        Path scratch = Files.createTempDirectory(parent, "megatorrent-aot-training-");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try {
            long t = System.nanoTime();
            check("demo", Main.run(new String[] {"demo", "--size", "16M"}, quiet, err));
            out.printf("aot-training: demo in %.1f s%n", (System.nanoTime() - t) / 1e9);

            t = System.nanoTime();
            try (DhtNode node = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
                for (int round = 0; round < 2; round++) {
                    DhtLoad.run(node.localAddress(), false, 1, 64, 4, () -> {});
                    DhtLoad.run(node.localAddress(), true, 1, 64, 4, () -> {});
                }
                out.printf("aot-training: DHT load, %d queries answered in %.1f s%n", node.queriesAnswered(), (System.nanoTime() - t) / 1e9);
            }

            t = System.nanoTime();
            Path input = scratch.resolve("input.bin");
            IngestBench.writeRandom(input, 128L * MIB);
            Path data = scratch.resolve("data");
            Path entry = scratch.resolve("entry.json");
            try (PrintStream entryOut = new PrintStream(Files.newOutputStream(entry), true, java.nio.charset.StandardCharsets.UTF_8)) {
                check("ingest", Main.run(new String[] {"ingest", "-i", input.toString(), "-d", data.toString(), "--json"}, entryOut, err));
            }
            check("reassemble", Main.run(new String[] {"reassemble", "-e", entry.toString(), "-d", data.toString(),
                "-o", scratch.resolve("output.bin").toString()}, quiet, err));
            if (Files.mismatch(input, scratch.resolve("output.bin")) != -1) throw new java.io.IOException("aot-training: reassembly differs from its input");
            out.printf("aot-training: ingest and reassembly of 128 MiB in %.1f s%n", (System.nanoTime() - t) / 1e9);
        } finally {
            IngestBench.deleteTree(scratch);
        }
        return ExitCodes.OK;
    }

    private static void check(String step, int code) throws java.io.IOException {
        if (code != ExitCodes.OK) throw new java.io.IOException("aot-training: " + step + " exited with " + code);
    }
}
