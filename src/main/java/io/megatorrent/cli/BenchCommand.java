package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code megatorrent bench [WHAT] [--json FILE]}: benchmarks that print figures beside their baselines. */
final class BenchCommand implements Command {
    private static final List<String> BENCHES = List.of("crypto", "dht", "transport", "ingest", "reassemble", "transfer", "stream", "anonymity");

    /**
     * What {@code megatorrent bench} with no benchmark named runs: every bench, sized to stay
     * within a few minutes on 2 cores (each bench's own defaults measure longer).
     */
    private static final List<String[]> ALL = List.of(
            new String[] {"crypto", "--seconds", "1"},
            new String[] {"dht", "--seconds", "1", "--rounds", "2", "--nodes", "500", "--lookups", "100"},
            new String[] {"dht", "--cold", "--seconds", "2"},
            new String[] {"transport", "--mib", "256", "--handshakes", "100"},
            new String[] {"ingest", "--size", "256", "--rounds", "2"},
            new String[] {"reassemble", "--size", "512", "--rounds", "2"},
            new String[] {"transfer", "--size", "256M"},
            new String[] {"stream", "--mib", "64"});

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "benchmarks: crypto, dht, transport, ingest, reassemble, transfer, stream, anonymity (none named: all of them)";
    }

    @Override
    public String help() {
        return """
                Usage: megatorrent bench [crypto|dht|transport|ingest|reassemble|transfer|stream|anonymity] [OPTIONS] [--json FILE]

                Benchmarks print figures, each beside its baseline measured in the same run.
                  crypto      ChaCha20-Poly1305 and SHA-256 MB/s on 1 MiB buffers, Ed25519 verifications/s
                  dht         KRPC queries/s answered by one node beside libtorrent, lookups in a
                              simulated network; --cold: a fresh node process per round measured from
                              its first query, with CPU per answered query, beside a fresh libtorrent
                  transport   MB/s through a Noise channel over loopback, beside raw loopback TCP
                  ingest      ingest MB/s for 1 GiB of random data, beside the crypto and disk ceilings,
                              and a one-off `megatorrent ingest` in a fresh process
                  reassemble  reassembly MB/s of 1 GiB from the store, beside the disk's sequential
                              read + write of the same bytes, and a one-off `megatorrent reassemble`
                  transfer    1 GiB between serve processes (one seeder, two seeders, a warm
                              receiver), beside a cold pair without the image's AOT cache (in
                              the image), raw loopback TCP, the work ceiling of the machine's
                              cores and disk, and libtorrent over TCP, encryption off and forced
                  stream      first byte of a range of a file not downloaded yet, beside the same range held;
                              MB/s read through /stream, beside the same file read from disk
                  anonymity   download MB/s through a SOCKS5 proxy (--socks5) and an I2P SAM bridge (--sam),
                              beside the same download over direct loopback TCP
                With no benchmark named, runs all of them (dht both warm and --cold), shorter than
                their defaults: a few minutes on 2 cores. Everything runs on loopback and in the
                system temp folder (ingest, reassemble: --dir DIR).
                  --json FILE   also write every figure, with its unit, to FILE as one JSON object
                Run "megatorrent bench WHAT --help" for each one's options.

                bench aot-training [--dir DIR] is no benchmark: it is the workload the build runs
                once under -XX:AOTCacheOutput (JDK 25+) to make the image's AOT cache.

                """ + ExitCodes.HELP;
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(argv));
        Path json = null;
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("--json") || a.startsWith("--json=")) {
                String value;
                if (a.equals("--json")) {
                    if (i + 1 == rest.size()) throw new UsageException("--json needs a FILE");
                    value = rest.remove(i + 1);
                } else {
                    value = a.substring("--json=".length());
                }
                rest.remove(i);
                json = Path.of(value);
                break;
            }
        }
        BenchFigures figures = new BenchFigures();
        int status = ExitCodes.OK;
        if (rest.isEmpty()) {
            for (String[] bench : ALL) {
                out.println("== megatorrent bench " + String.join(" ", bench));
                status = Math.max(status, one(bench, out, err, figures));
                out.println();
                out.flush();
            }
        } else {
            status = one(rest.toArray(String[]::new), out, err, figures);
        }
        if (json != null) {
            Files.writeString(json, Json.writePretty(figures.toJson()) + "\n", StandardCharsets.UTF_8);
            out.println("figures written to " + json);
        }
        return status;
    }

    private static int one(String[] argv, PrintStream out, PrintStream err, BenchFigures figures) throws Exception {
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        return switch (argv[0]) {
            case "crypto" -> CryptoBench.run(rest, out, figures);
            case "dht" -> DhtBench.run(rest, out, err, figures);
            case "transport" -> TransportBench.run(rest, out, err, figures);
            case "ingest" -> IngestBench.run(rest, out, err, figures);
            case "reassemble" -> ReassembleBench.run(rest, out, err, figures);
            case "transfer" -> TransferBench.run(rest, out, err, figures);
            case "stream" -> StreamBench.run(rest, out, err);
            case "anonymity" -> AnonymityBench.run(rest, out, err);
            case "aot-training" -> AotTraining.run(rest, out, err);
            default -> throw new UsageException("unknown benchmark '" + argv[0] + "' (" + String.join(", ", BENCHES) + ")");
        };
    }
}
