package io.megatorrent.cli;

import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.crypto.X25519;
import io.megatorrent.node.BlobDownloader;
import io.megatorrent.node.BlobServer;
import io.megatorrent.node.LocalBlobs;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.TcpDialer;
import io.megatorrent.transport.sam.SamBridge;
import io.megatorrent.transport.sam.SamDialer;
import io.megatorrent.transport.sam.SamSession;
import io.megatorrent.transport.socks5.Socks5Dialer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * MB/s of one download (a file's blobs, fetched by the node's downloader from one seeder) through
 * a SOCKS5 proxy and through an I2P router's SAM bridge, each beside the same download over
 * direct loopback TCP in the same run: what the proxy costs. Point it at a local microsocks
 * ({@code --socks5}) and at an i2pd with zero-hop tunnels ({@code --sam} and the
 * {@code --sam-option}s an offline router needs); what is not given is left out.
 */
final class AnonymityBench {
    private static final Duration SAM_SESSION_TIMEOUT = Duration.ofSeconds(120);

    private AnonymityBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("mib", "N", "MiB of file to download (default 256)"),
                Args.Option.value("socks5", "IP:PORT", "a SOCKS5 proxy to download through (e.g. microsocks on loopback)"),
                Args.Option.value("sam", "IP:PORT", "an I2P router's SAM bridge to download through (e.g. i2pd)"),
                Args.Option.repeatable("sam-option", "KEY=VALUE", "I2CP option for both SAM sessions (an offline i2pd needs zero-hop tunnels and i2cp.leaseSetType=1)")));
        args.noPositional();
        long mib = args.longValue("mib", 256, 1, 1 << 16);
        InetSocketAddress socks = args.has("socks5") ? DhtCommand.ipAndPort("--socks5", args.require("socks5")) : null;
        InetSocketAddress sam = args.has("sam") ? DhtCommand.ipAndPort("--sam", args.require("sam")) : null;
        Map<String, String> samOptions = DhtCommand.samOptions(args);
        out.println("megatorrent bench anonymity (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, loopback, one seeder, a " + mib + " MiB file)");
        Path tmp = Files.createTempDirectory("megatorrent-bench-anon-");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try {
            Path file = tmp.resolve("file.bin");
            writeRandom(file, mib << 20);
            LocalBlobs seed = LocalBlobs.open(tmp.resolve("seeder"));
            FileEntry entry = Ingest.file(file, "file.bin", seed.store(), n -> {});
            seed.indexAll(entry.blobIds());
            Files.delete(file);
            X25519.KeyPair key = X25519.generate();
            BlobServer server = new BlobServer(seed, () -> 0);
            try (Listener listener = Listener.open(new InetSocketAddress(loopback, 0), key, Connection.Timeouts.DEFAULT, server)) {
                InetSocketAddress at = listener.localAddress();
                download(tmp, "warm-up", new TcpDialer(), at, entry.blobIds().subList(0, Math.min(64, entry.blobIds().size())));
                // a direct figure right before each proxied one: on a shared machine the disk and CPU drift within a run
                double direct = download(tmp, "direct", new TcpDialer(), at, entry.blobIds());
                out.printf("direct TCP, loopback                  %8.1f MB/s%n", direct);
                if (socks != null) {
                    double mbs = download(tmp, "socks5", Socks5Dialer.noAuth(socks), at, entry.blobIds());
                    out.printf("through SOCKS5 %-22s %8.1f MB/s  (%.0f%% of direct)%n", socks.getAddress().getHostAddress() + ":" + socks.getPort(), mbs, 100 * mbs / direct);
                } else {
                    out.println("through SOCKS5: not measured (give --socks5 IP:PORT, e.g. microsocks -i 127.0.0.1 -p 1080)");
                }
                if (sam != null) {
                    Listener overI2p = Listener.withoutSocket(key, Connection.Timeouts.DEFAULT, server);
                    SamBridge bridge = new SamBridge(sam);
                    // both sessions at once: an offline i2pd takes ~20 s to answer each
                    SamSession[] sessions = new SamSession[2];
                    Exception[] failed = new Exception[2];
                    Thread[] makers = new Thread[2];
                    for (int i = 0; i < 2; i++) {
                        int k = i;
                        makers[i] = Thread.ofVirtual().start(() -> {
                            try {
                                sessions[k] = bridge.createTransientSession("mt-bench-" + k + "-" + Long.toHexString(System.nanoTime()), samOptions, SAM_SESSION_TIMEOUT);
                            } catch (Exception e) {
                                failed[k] = e;
                            }
                        });
                    }
                    for (Thread t : makers) t.join();
                    try {
                        for (Exception e : failed) if (e != null) throw new IOException("cannot create a SAM session at " + sam + ": " + e.getMessage(), e);
                        sessions[0].startAccepting((channel, peer) -> overI2p.accept(channel));
                        InetSocketAddress seeder = InetSocketAddress.createUnresolved(sessions[0].b32Address(), 0);
                        direct = download(tmp, "direct", new TcpDialer(), at, entry.blobIds());
                        out.printf("direct TCP, loopback                  %8.1f MB/s%n", direct);
                        double mbs = download(tmp, "i2p", new SamDialer(sessions[1]), seeder, entry.blobIds());
                        out.printf("through I2P SAM %-21s %8.1f MB/s  (%.0f%% of direct; zero-hop tunnels give no anonymity)%n",
                                sam.getAddress().getHostAddress() + ":" + sam.getPort(), mbs, 100 * mbs / direct);
                    } finally {
                        for (SamSession s : sessions) if (s != null) s.close();
                        overI2p.close();
                    }
                } else {
                    out.println("through I2P: not measured (give --sam IP:PORT of an I2P router's SAM bridge)");
                }
            }
        } finally {
            deleteTree(tmp);
        }
        return ExitCodes.OK;
    }

    /** One download of {@code ids} from {@code seeder} into a fresh store; MB/s (10^6 bytes) of blob bytes. */
    private static double download(Path tmp, String name, Dialer dialer, InetSocketAddress seeder, List<String> ids) throws IOException, InterruptedException {
        LocalBlobs into = LocalBlobs.open(tmp.resolve("down-" + name));
        try (BlobDownloader d = new BlobDownloader(into, id -> List.of(seeder), dialer, X25519.generate(), 0)) {
            long start = System.nanoTime();
            BlobDownloader.Result r = d.download(ids);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (r.fetched() != ids.size()) throw new IOException(name + ": fetched " + r.fetched() + " of " + ids.size() + " blobs");
            return r.bytes() / seconds / 1e6;
        } finally {
            deleteTree(tmp.resolve("down-" + name));
        }
    }

    private static void writeRandom(Path file, long bytes) throws IOException {
        Random r = new Random(42);
        byte[] buf = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                o.write(buf, 0, (int) Math.min(buf.length, left));
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
