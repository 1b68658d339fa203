package io.megatorrent.cli;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code megatorrent bench transfer}: one file moved between {@code serve} processes on
 * loopback, always encrypted, from one seeder and from two at once, timed from the subscribe
 * call to verified files on disk; beside raw loopback TCP and, when python3-libtorrent is
 * installed, libtorrent moving the same file between two sessions over TCP with encryption off
 * and forced on.
 */
final class TransferBench {
    private static final String PYTHON = "/usr/bin/python3";
    static final long DEFAULT_SIZE = 1L << 30;

    private TransferBench() {}

    private static final String AOT_OFF = "-XX:AOTMode=off";

    static int run(String[] argv, PrintStream out, PrintStream err, BenchFigures figures) throws Exception {
        Args args = Args.parse(argv, List.of(Args.Option.value("size", "SIZE", "file size (K, M, G suffixes; default 1G)"),
                Args.Option.flag("keep", "keep the bench folder")));
        args.noPositional();
        long size = args.has("size") ? SubscribeCommand.parseSize("--size", args.require("size")) : DEFAULT_SIZE;
        Path dir = Files.createTempDirectory("megatorrent-bench-transfer-");
        List<NodeChild> nodes = new ArrayList<>();
        try {
            Path file = dir.resolve("payload/data.bin");
            writeRandom(file, size);
            out.printf(Locale.ROOT, "bench transfer: %s of random data, %s%n", Progress.size(size), dir);

            double raw = rawTcp(size);
            NodeChild a = NodeChild.start(dir.resolve("A"), null);
            nodes.add(a);
            NodeChild b = NodeChild.start(dir.resolve("B"), a.dhtPort);
            nodes.add(b);
            NodeChild c = NodeChild.start(dir.resolve("C"), a.dhtPort);
            nodes.add(c);
            JsonObject published = (JsonObject) a.api.call("publish", JsonObject.builder().put("path", file.getParent().toString()).build());
            String uri = published.string("uri");
            Timed one = download(b, uri, size);
            Timed two = download(c, uri, size);
            JsonObject byPeer = ((JsonObject) c.api.call("status", JsonObject.builder().build())).object("blobsByPeer");
            // B again, now that its JIT has compiled the download path: what a node that has been
            // running meets; another channel of new data, so nothing is held yet
            Path second = dir.resolve("payload-2/data.bin");
            writeRandom(second, size);
            Path keyFile = dir.resolve("second-key.json");
            io.megatorrent.content.ChannelIdentity.generate(false, new java.security.SecureRandom()).save(keyFile, false);
            JsonObject published2 = (JsonObject) a.api.call("publish",
                    JsonObject.builder().put("path", second.getParent().toString()).put("keyFile", keyFile.toString()).build());
            Timed warm = download(b, published2.string("uri"), size);

            // the image's AOT cache is what a cold node starts from: the same cold pair without it
            Timed noAot = null;
            if (ColdDhtBench.imageHasAotCache()) {
                NodeChild seeder = NodeChild.start(dir.resolve("A-no-aot"), a.dhtPort, AOT_OFF);
                nodes.add(seeder);
                NodeChild receiver = NodeChild.start(dir.resolve("D-no-aot"), a.dhtPort, AOT_OFF);
                nodes.add(receiver);
                Path third = dir.resolve("payload-3/data.bin");
                writeRandom(third, size);
                JsonObject published3 = (JsonObject) seeder.api.call("publish", JsonObject.builder().put("path", third.getParent().toString()).build());
                noAot = download(receiver, published3.string("uri"), size);
            }

            figures.put("transfer.node_one_seeder", one.mbps(size), "MB/s");
            figures.put("transfer.node_two_seeders", two.mbps(size), "MB/s");
            figures.put("transfer.node_one_seeder_warm", warm.mbps(size), "MB/s");
            figures.put("transfer.raw_tcp", raw, "MB/s");
            out.printf(Locale.ROOT, "node to node, one seeder    %8.0f MB/s   (two serve processes, Noise + ChaCha20-Poly1305, subscribe -> verified files on disk)%n", one.mbps(size));
            out.printf(Locale.ROOT, "                                          (%s)%n", one.phases(size));
            out.printf(Locale.ROOT, "node from two seeders       %8.0f MB/s   (blobs per seeder: %s)%n", two.mbps(size), Json.write(byPeer));
            out.printf(Locale.ROOT, "                                          (%s)%n", two.phases(size));
            out.printf(Locale.ROOT, "node to node, warm          %8.0f MB/s   (the first receiver again, on a second channel: its JIT has compiled the path)%n", warm.mbps(size));
            out.printf(Locale.ROOT, "                                          (%s)%n", warm.phases(size));
            if (noAot != null) {
                figures.put("transfer.node_one_seeder_no_aot", noAot.mbps(size), "MB/s");
                out.printf(Locale.ROOT, "node to node, no AOT cache  %8.0f MB/s   (baseline: another cold pair of the same image, -XX:AOTMode=off; the pairs above start from its cache)%n",
                        noAot.mbps(size));
                out.printf(Locale.ROOT, "                                          (%s)%n", noAot.phases(size));
            }
            out.printf(Locale.ROOT, "raw loopback TCP            %8.0f MB/s   (baseline: one stream, no crypto, no disk)%n", raw);
            Floor floor = floor(dir.resolve("floor.bin"), Math.min(size, FLOOR_WRITE));
            figures.put("transfer.work_ceiling", floor.ceiling(), "MB/s");
            figures.put("transfer.work_ceiling_cpu", floor.cpuCeiling(), "MB/s");
            figures.put("transfer.work_ceiling_disk", floor.diskCeiling(), "MB/s");
            out.printf(Locale.ROOT, "work ceiling                %8.0f MB/s   (baseline: the least a byte needs here, the lower of two figures:%n", floor.ceiling());
            out.printf(Locale.ROOT, "                                          the CPU's, %.0f MB/s on %d cores doing nothing else (receiver: Noise open %.0f,%n",
                    floor.cpuCeiling(), CORES, floor.open());
            out.printf(Locale.ROOT, "                                          SHA-256 %.0f, blob open %.0f; sender: Noise seal %.0f MB/s, one core each),%n",
                    floor.sha(), floor.open(), floor.seal());
            out.printf(Locale.ROOT, "                                          and the disk's, %.0f MB/s: each byte is written twice (blob, file)%n", floor.diskCeiling());
            out.printf(Locale.ROOT, "                                          and made durable; %.0f MB/s for one %s write of a new file, then fsync)%n",
                    floor.write(), floor.direct() ? "O_DIRECT" : "buffered");
            if (!libtorrentInstalled()) {
                out.println("libtorrent                  baseline missing: python3-libtorrent is not installed (apt-get install python3-libtorrent)");
            } else {
                JsonObject plain = libtorrent(file, dir.resolve("lt-plain"), false);
                JsonObject rc4 = libtorrent(file, dir.resolve("lt-rc4"), true);
                figures.put("transfer.libtorrent_plain", mbps(size, plain.require("seconds")), "MB/s");
                figures.put("transfer.libtorrent_rc4", mbps(size, rc4.require("seconds")), "MB/s");
                out.printf(Locale.ROOT, "libtorrent, plain           %8.0f MB/s   (baseline: libtorrent %s, two sessions over TCP, uTP off, encryption off)%n",
                        mbps(size, plain.require("seconds")), plain.string("version"));
                out.printf(Locale.ROOT, "libtorrent, RC4 forced      %8.0f MB/s   (baseline: the same with its encryption forced on)%n", mbps(size, rc4.require("seconds")));
            }
            return ExitCodes.OK;
        } finally {
            for (NodeChild n : nodes) n.close();
            if (!args.has("keep")) deleteTree(dir);
            else out.println("kept: " + dir);
        }
    }

    private static double mbps(long bytes, JsonValue seconds) throws CodecException {
        return bytes / 1e6 / ((JsonValue.JsonNumber) seconds).asDouble();
    }

    /**
     * When a download passed its phases (nanoseconds from the subscribe call, as the polls saw
     * them): the first blob present (lookups and manifest), every blob present (the fetch), done
     * (the file written, verified and fsynced).
     */
    private record Timed(long firstBlob, long allBlobs, long done) {
        double mbps(long size) {
            return size / 1e6 / (done / 1e9);
        }

        String phases(long size) {
            return String.format(Locale.ROOT, "first blob after %.2f s, blobs fetched at %.0f MB/s, file written in %.2f s",
                    firstBlob / 1e9, size / 1e6 / ((allBlobs - firstBlob) / 1e9), (done - allBlobs) / 1e9);
        }
    }

    /** Subscribes {@code node} and waits until the channel is complete, noting when each phase ended. */
    private static Timed download(NodeChild node, String uri, long size) throws Exception {
        long start = System.nanoTime();
        JsonObject view = (JsonObject) node.api.call("subscribe", JsonObject.builder().put("uri", uri).build());
        String key = view.string("publicKey");
        long deadline = start + TimeUnit.MINUTES.toNanos(10);
        long firstBlob = -1;
        long allBlobs = -1;
        while (System.nanoTime() < deadline) {
            JsonObject s = (JsonObject) node.api.call("subscription", JsonObject.builder().put("publicKey", key).build());
            long now = System.nanoTime() - start;
            long done = s.integer("bytesDone");
            if (firstBlob < 0 && done > 0) firstBlob = now;
            if (allBlobs < 0 && done >= size) allBlobs = now;
            if (s.bool("complete")) {
                if (firstBlob < 0) firstBlob = now;
                if (allBlobs < 0) allBlobs = now;
                return new Timed(firstBlob, allBlobs, now);
            }
            Thread.sleep(20);
        }
        throw new IOException("the download did not complete within 10 minutes");
    }

    private static void writeRandom(Path file, long size) throws IOException {
        Files.createDirectories(file.getParent());
        SplittableRandom r = new SplittableRandom();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long left = size; left > 0; ) {
                buf.clear();
                while (buf.remaining() >= 8) buf.putLong(r.nextLong());
                buf.flip();
                buf.limit((int) Math.min(buf.limit(), left));
                left -= buf.remaining();
                while (buf.hasRemaining()) ch.write(buf);
            }
        }
    }

    /** Bytes the work ceiling writes to a new file. */
    static final long FLOOR_WRITE = 256L << 20;
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /** One core's MB/s for each step every byte of a transfer must pass through, measured in this run. */
    record Floor(double open, double seal, double sha, double write, boolean direct) {
        /**
         * MB/s the machine's cores could move if they did nothing else: a received byte is
         * opened twice (the Noise transport, then its blob) and hashed once (the blob id), and
         * sealed once by the sender. Its writes go past the page cache (O_DIRECT), which costs
         * the CPU little; where the file system refuses that, the buffered write counts here too.
         */
        double cpuCeiling() {
            return CORES / (2 / open + 1 / sha + 1 / seal + (direct ? 0 : 1 / write));
        }

        /** MB/s the disk takes when every byte goes to it twice, durably: the blob and the file. */
        double diskCeiling() {
            return write / 2;
        }

        double ceiling() {
            return Math.min(cpuCeiling(), diskCeiling());
        }
    }

    private static Floor floor(Path file, long writeBytes) throws IOException {
        int n = 1 << 20;
        byte[] buf = new byte[n + io.megatorrent.crypto.ChaChaPoly.TAG_LENGTH];
        new SplittableRandom(7).nextBytes(buf);
        io.megatorrent.crypto.ChaChaPoly aead = new io.megatorrent.crypto.ChaChaPoly(new byte[32]);
        byte[] nonce = new byte[12];
        long[] counter = {0};
        byte[] plain = new byte[n];
        java.security.MessageDigest sha = io.megatorrent.crypto.Hashes.sha256();
        // The JDK's intrinsics run only inside C2-compiled callers, which a few hundred 1 MiB
        // calls do not reach: many small calls first, as a node does over its life.
        for (int i = 0; i < 20_000; i++) {
            java.nio.ByteBuffer.wrap(nonce).putLong(4, ++counter[0]);
            aead.seal(nonce, null, buf, 0, 1024, buf, 0);
            try {
                aead.open(nonce, null, buf, 0, 1024 + io.megatorrent.crypto.ChaChaPoly.TAG_LENGTH, plain, 0);
            } catch (io.megatorrent.crypto.CryptoException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 does not open what it sealed", e);
            }
            sha.update(buf, 0, 1024);
            sha.digest();
        }
        double sealed = perCore(() -> {
            java.nio.ByteBuffer.wrap(nonce).putLong(4, ++counter[0]);
            aead.seal(nonce, null, buf, 0, n, buf, 0);
        });
        byte[] sealedBuf = buf.clone();
        byte[] lastNonce = nonce.clone();
        double opened = perCore(() -> {
            try {
                aead.open(lastNonce, null, sealedBuf, 0, sealedBuf.length, plain, 0);
            } catch (io.megatorrent.crypto.CryptoException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 does not open what it sealed", e);
            }
        });
        double hashed = perCore(() -> {
            sha.update(buf, 0, n);
            sha.digest();
        });
        // a new file written and made durable as a download writes its blobs and its file:
        // O_DIRECT from an aligned buffer, or through the page cache where that is refused
        ByteBuffer aligned = ByteBuffer.allocateDirect(n + io.megatorrent.content.DirectIo.ALIGNMENT).alignedSlice(io.megatorrent.content.DirectIo.ALIGNMENT);
        aligned.put(buf, 0, n).flip();
        FileChannel target;
        boolean direct = true;
        try {
            target = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            Files.deleteIfExists(file);
            target = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            direct = false;
        }
        long blocks = Math.max(1, writeBytes / n);
        long start = System.nanoTime();
        try (FileChannel ch = target) {
            long at = 0;
            for (long k = 0; k < blocks; k++) {
                aligned.rewind();
                while (aligned.hasRemaining()) at += ch.write(aligned, at);
            }
            ch.force(true);
        } finally {
            Files.deleteIfExists(file);
        }
        double written = blocks * n / 1e6 / ((System.nanoTime() - start) / 1e9);
        return new Floor(opened, sealed, hashed, written, direct);
    }

    /** MB/s of {@code op} (one 1 MiB buffer per call) on one thread, after half a second's warm-up. */
    private static double perCore(Runnable op) {
        long warm = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warm) op.run();
        long calls = 0;
        long start = System.nanoTime();
        long end = start + 1_000_000_000L;
        while (System.nanoTime() < end) {
            op.run();
            calls++;
        }
        return calls * (1 << 20) / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    /** MB/s of one loopback TCP stream moving {@code size} bytes, no crypto, no disk. */
    private static double rawTcp(long size) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread sender = Thread.ofVirtual().start(() -> {
                try (SocketChannel s = SocketChannel.open(server.getLocalAddress())) {
                    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                    for (long left = size; left > 0; ) {
                        b.clear().limit((int) Math.min(b.capacity(), left));
                        left -= b.remaining();
                        while (b.hasRemaining()) s.write(b);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long start = System.nanoTime();
            try (SocketChannel in = server.accept()) {
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                long got = 0;
                while (got < size) {
                    b.clear();
                    int n = in.read(b);
                    if (n < 0) break;
                    got += n;
                }
            }
            sender.join();
            return size / 1e6 / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static boolean libtorrentInstalled() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import libtorrent").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static JsonObject libtorrent(Path file, Path work, boolean encrypt) throws Exception {
        Files.createDirectories(work);
        Path script = work.resolve("libtorrent_transfer.py");
        try (InputStream in = TransferBench.class.getResourceAsStream("libtorrent_transfer.py")) {
            if (in == null) throw new IOException("resource libtorrent_transfer.py missing from the build");
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(PYTHON, script.toString(), file.toString(), work.toString(), encrypt ? "1" : "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("libtorrent did not finish");
        }
        if (line == null) throw new IOException("libtorrent printed nothing (exit " + p.exitValue() + ")");
        return Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
    }

    /** A serve process of this same program, on loopback, with its API. */
    private static final class NodeChild implements AutoCloseable {
        final Process process;
        final ApiClient api;
        final int dhtPort;

        private NodeChild(Process process, ApiClient api, int dhtPort) {
            this.process = process;
            this.api = api;
            this.dhtPort = dhtPort;
        }

        static NodeChild start(Path dir, Integer bootstrapPort) throws Exception {
            return start(dir, bootstrapPort, null);
        }

        /** As a user starts it: the image's launcher (with its AOT cache) when we run in the image. */
        static NodeChild start(Path dir, Integer bootstrapPort, String javaOptions) throws Exception {
            List<String> command = new ArrayList<>(ColdDhtBench.megatorrentCommand());
            command.addAll(List.of("serve", "-d", dir.toString(), "--bind", "127.0.0.1", "--dht-port", "0"));
            if (bootstrapPort != null) command.addAll(List.of("--bootstrap", "127.0.0.1:" + bootstrapPort));
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            if (javaOptions != null) pb.environment().merge("MEGATORRENT_JAVA_OPTS", javaOptions, (x, y) -> x + " " + y);
            Process p = pb.start();
            String line;
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            line = r.readLine();
            if (line == null) {
                p.destroyForcibly();
                throw new IOException("a serve process for " + dir + " exited before it was ready");
            }
            try {
                JsonObject ready = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
                ApiClient api = ApiClient.find(dir);
                if (api == null) throw new IOException("no API for " + dir);
                return new NodeChild(p, api, (int) ready.integer("dhtPort"));
            } catch (IOException | CodecException | RuntimeException e) {
                p.destroyForcibly(); // not yet in the caller's list: nobody else stops it
                throw e;
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
