package io.megatorrent.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code megatorrent bench WHAT}: benchmarks that print figures beside their baselines. */
final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "benchmarks: crypto, dht, transport, ingest, anonymity";
    }

    @Override
    public String help() {
        return """
                Usage: megatorrent bench crypto|dht|transport|ingest|anonymity [OPTIONS]

                Benchmarks print figures, each beside its baseline measured in the same run.
                  crypto     ChaCha20-Poly1305 and SHA-256 MB/s on 1 MiB buffers, Ed25519 verifications/s
                  dht        KRPC queries/s answered by one node, lookups in a simulated network
                  transport  MB/s through a Noise channel over loopback, beside raw loopback TCP
                  ingest     ingest MB/s for 1 GiB of random data, beside the crypto ceiling
                  anonymity  download MB/s through a SOCKS5 proxy (--socks5) and an I2P SAM bridge (--sam),
                             beside the same download over direct loopback TCP
                Run "megatorrent bench WHAT --help" for each one's options.

                """ + ExitCodes.HELP;
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        if (argv.length == 0) throw new UsageException("bench needs one of: crypto, dht, transport, ingest, anonymity");
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        return switch (argv[0]) {
            case "crypto" -> CryptoBench.run(rest, out);
            case "dht" -> DhtBench.run(rest, out, err);
            case "transport" -> TransportBench.run(rest, out, err);
            case "ingest" -> IngestBench.run(rest, out, err);
            case "anonymity" -> AnonymityBench.run(rest, out, err);
            default -> throw new UsageException("unknown benchmark '" + argv[0] + "' (crypto, dht, transport, ingest, anonymity)");
        };
    }
}
