package io.megatorrent.cli;

import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.http.ApiServer;
import io.megatorrent.node.Daemon;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Streaming over HTTP between two nodes on loopback (in this process, each with its own data
 * folder, DHT node and Noise listener): time to the first byte of a range at the end of a file
 * the subscriber has not downloaded yet, beside the same range once the file is held; and MB/s
 * of a sequential read of the whole downloaded file through {@code /stream}, beside reading the
 * same file from disk.
 */
final class StreamBench {
    private static final int RANGE = 64 * 1024;

    private StreamBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args args = Args.parse(argv, List.of(Args.Option.value("mib", "N", "size of the streamed file in MiB (default 256)")));
        args.noPositional();
        long mib = args.longValue("mib", 256, 2, 1 << 16);
        long size = mib << 20;
        Path tmp = Files.createTempDirectory("megatorrent-bench-stream");
        out.println("megatorrent bench stream (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, two nodes on loopback, a " + mib + " MiB file)");
        InetAddress lo = InetAddress.getLoopbackAddress();
        try {
            Path folder = tmp.resolve("in/bench");
            Files.createDirectories(folder);
            Path source = folder.resolve("file.bin");
            write(source, size);
            try (Daemon a = Daemon.open(config(tmp.resolve("a"), lo, List.of()))) {
                a.start();
                InetSocketAddress aDht = new InetSocketAddress(lo, a.node().udpAddress().getPort());
                try (Daemon b = Daemon.open(config(tmp.resolve("b"), lo, List.of(aDht)))) {
                    ApiServer api = ApiServer.start(b, new InetSocketAddress(lo, 0), tmp.resolve("b"));
                    try (api) {
                        b.start();
                        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (a.node().dhtNodes() == 0 && System.nanoTime() < until) Thread.sleep(50);
                        JsonObject pub = a.publish(folder, null);
                        String hex = pub.string("publicKey");
                        String token = ApiServer.Endpoint.read(tmp.resolve("b")).token();
                        URI file = URI.create("http://127.0.0.1:" + api.address().getPort() + "/stream/" + hex + "/bench/file.bin");
                        HttpClient http = HttpClient.newHttpClient();
                        String range = "bytes=" + (size - RANGE) + "-";

                        firstByte(http, URI.create("http://127.0.0.1:" + api.address().getPort() + "/app.css"), token, null); // connect, warm up
                        long t0 = System.nanoTime();
                        b.subscribe(pub.string("uri"), null, null, "bench");
                        long[] manifestAt = {0};
                        Thread watch = Thread.ofVirtual().start(() -> {
                            try {
                                while (b.downloads().items().isEmpty()) Thread.sleep(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                            manifestAt[0] = System.nanoTime();
                        });
                        long asked = System.nanoTime();
                        firstByte(http, file, token, range);
                        long got = System.nanoTime();
                        watch.join();
                        awaitComplete(b, hex);
                        double warm = Double.MAX_VALUE;
                        for (int i = 0; i < 5; i++) warm = Math.min(warm, firstByte(http, file, token, range));
                        out.printf("first byte of the last 64 KiB, not downloaded yet  %8.1f ms after the manifest arrived (%.1f ms after the request,"
                                + " %.1f ms after subscribing)%n", (got - manifestAt[0]) / 1e6, (got - asked) / 1e6, (got - t0) / 1e6);
                        out.printf("first byte of the same range, file held (baseline)  %8.1f ms (best of 5)%n", warm);

                        Path downloaded = tmp.resolve("b/downloads").resolve(hex).resolve("bench/file.bin");
                        readThrough(http, file, token); // warm-up
                        readDisk(downloaded);
                        double streamMbs = size / 1e6 / readThrough(http, file, token);
                        double diskMbs = size / 1e6 / readDisk(downloaded);
                        out.printf("sequential read through /stream (decrypts blobs)  %8.1f MB/s%n", streamMbs);
                        out.printf("the downloaded file read from disk (baseline)     %8.1f MB/s  (/stream at %.0f%% of it)%n", diskMbs, 100 * streamMbs / diskMbs);
                    }
                }
            }
            return ExitCodes.OK;
        } finally {
            try (Stream<Path> walk = Files.walk(tmp)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static Daemon.Config config(Path dir, InetAddress lo, List<InetSocketAddress> bootstrap) {
        return new Daemon.Config(dir, new InetSocketAddress(lo, 0), new InetSocketAddress(lo, 0), bootstrap, false, null, null);
    }

    private static void write(Path p, long size) throws IOException {
        byte[] block = new byte[1 << 20];
        Random r = new Random(7);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long done = 0; done < size; done += block.length) {
                r.nextBytes(block);
                ch.write(ByteBuffer.wrap(block, 0, (int) Math.min(block.length, size - done)));
            }
        }
    }

    /** Milliseconds until the first byte of the body arrives. */
    private static double firstByte(HttpClient http, URI file, String token, String range) throws IOException, InterruptedException {
        long t = System.nanoTime();
        HttpRequest.Builder req = request(file, token);
        if (range != null) req.header("Range", range);
        HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != (range == null ? 200 : 206) || in.read() < 0) throw new IOException("the stream route answered " + r.statusCode());
            return (System.nanoTime() - t) / 1e6; // the rest of the 64 KiB is read by close
        }
    }

    /** Seconds to read the whole file through the route. */
    private static double readThrough(HttpClient http, URI file, String token) throws IOException, InterruptedException {
        long t = System.nanoTime();
        HttpResponse<InputStream> r = http.send(request(file, token).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) throw new IOException("the stream route answered " + r.statusCode());
            in.transferTo(OutputStreamSink.INSTANCE);
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static double readDisk(Path p) throws IOException {
        long t = System.nanoTime();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) buf.clear();
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static HttpRequest.Builder request(URI file, String token) {
        return HttpRequest.newBuilder(file).header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(5));
    }

    private static void awaitComplete(Daemon b, String hex) throws Exception {
        long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < until) {
            if (b.subscription(hex).bool("complete")) return;
            Thread.sleep(50);
        }
        throw new IOException("the download did not complete within 10 minutes");
    }

    /** Discards what it is given. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
