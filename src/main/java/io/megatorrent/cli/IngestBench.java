package io.megatorrent.cli;

import io.megatorrent.content.Blob;
import io.megatorrent.content.BlobPadding;
import io.megatorrent.content.BlobStore;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.Reassembly;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code megatorrent bench ingest}: ingest MB/s for random data, beside the ceilings measured in
 * the same run: ChaCha20-Poly1305 seal + SHA-256 of 1 MiB buffers on one thread and on every
 * core (the CPU work ingest cannot avoid), and the disk writing 1 MiB files the way the store
 * does (write, fsync, rename).
 */
final class IngestBench {
    private static final int MIB = 1 << 20;

    private IngestBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, IOException, InterruptedException {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("size", "MIB", "MiB of random data to ingest (default 1024)"),
                Args.Option.value("seconds", "S", "time per ceiling measurement (default 2)"),
                Args.Option.value("dir", "DIR", "scratch folder for the input and the store (default: the system temp folder)")));
        args.noPositional();
        long mib = args.longValue("size", 1024, 1, 1 << 20);
        double seconds = args.longValue("seconds", 2, 1, 600);
        Path parent = Path.of(args.get("dir").orElse(System.getProperty("java.io.tmpdir")));
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("megatorrent bench ingest (Java %s, %d cores, %d MiB of random data)%n", Runtime.version(), cores, mib);

        perThread(seconds, cores, true, true); // JIT warm-up: the seal and hash intrinsics need a few hundred MB
        double seal = perThread(seconds, 1, true, false);
        double sha = perThread(seconds, 1, false, true);
        double both = perThread(seconds, 1, true, true);
        double allCores = perThread(seconds, cores, true, true);
        line(out, "ceiling     ChaCha20-Poly1305 seal, 1 thread", seal, "");
        line(out, "ceiling     SHA-256, 1 thread", sha, "");
        line(out, "ceiling     seal + SHA-256, 1 thread", both, "");
        line(out, "ceiling     seal + SHA-256, " + cores + " threads", allCores, "(the ceiling for ingest)");

        Path scratch = Files.createTempDirectory(parent, "megatorrent-bench-");
        try {
            Path input = scratch.resolve("input.bin");
            writeRandom(input, mib * MIB);
            double disk = diskBaseline(scratch.resolve("disk"), (int) Math.min(mib, 256));
            line(out, "disk        1 MiB files: write, fsync, rename", disk, "(the ceiling for storing)");

            // Warm the JIT on the same path before the measured runs.
            Path warmDir = scratch.resolve("warm");
            Ingest.bytes(new byte[64 * MIB], "warm-up", BlobStore.open(warmDir));
            deleteTree(warmDir);

            long start0 = System.nanoTime();
            FileEntry dry = Ingest.file(input, "input.bin", (id, blob) -> {}, n -> {});
            double drySeconds = (System.nanoTime() - start0) / 1e9;
            double pipeline = mib * MIB / 1e6 / drySeconds;
            line(out, String.format("ingest      blobs not stored, %.2f s", drySeconds), pipeline,
                    String.format("(%.0f%% of the %d-thread ceiling)", 100 * pipeline / allCores, cores));

            BlobStore store = BlobStore.open(scratch.resolve("data"));
            long start = System.nanoTime();
            FileEntry entry = Ingest.file(input, store, n -> {});
            double ingestSeconds = (System.nanoTime() - start) / 1e9;
            double ingest = mib * MIB / 1e6 / ingestSeconds;
            line(out, String.format("ingest      into the store, %.2f s", ingestSeconds), ingest,
                    String.format("(%.0f%% of the %d-thread ceiling, %.0f%% of the disk's)", 100 * ingest / allCores, cores, 100 * ingest / disk));

            Path output = scratch.resolve("output.bin");
            start = System.nanoTime();
            Reassembly.toFile(entry, store, output, false, n -> {});
            double reassembleSeconds = (System.nanoTime() - start) / 1e9;
            line(out, String.format("reassemble  from the store, %.2f s", reassembleSeconds), mib * MIB / 1e6 / reassembleSeconds, "");
            if (Files.size(output) != mib * MIB) throw new IOException("reassembled output has the wrong size");
        } finally {
            deleteTree(scratch);
        }
        out.println("(the Node.js client ingested 176-272 MB/s on the same 2-core machine; target >= 1000 MB/s on 2 cores)");
        return ExitCodes.OK;
    }

    private static void line(PrintStream out, String what, double mbs, String note) {
        out.printf("%-46s %8.1f MB/s %s%n", what, mbs, note);
    }

    /** MB/s of sealing and/or hashing 1 MiB buffers on {@code threads} threads at once. */
    private static double perThread(double seconds, int threads, boolean seal, boolean hash) throws InterruptedException {
        AtomicLong bytes = new AtomicLong();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().start(() -> {
                byte[] buf = new byte[Blob.BLOB_SIZE];
                byte[] key = new byte[32];
                key[0] = (byte) id;
                Blob.Sealer sealer = new Blob.Sealer(key);
                MessageDigest sha = Hashes.sha256();
                long index = 0;
                for (int i = 0; i < 20; i++) step(sealer, sha, buf, index++, seal, hash); // JIT warm-up
                while (System.nanoTime() < deadline) {
                    step(sealer, sha, buf, index++, seal, hash);
                    bytes.addAndGet(MIB);
                }
            }));
        }
        long start = System.nanoTime();
        for (Thread t : ts) t.join();
        return bytes.get() / ((System.nanoTime() - start) / 1e9) / 1e6;
    }

    private static void step(Blob.Sealer sealer, MessageDigest sha, byte[] buf, long index, boolean seal, boolean hash) {
        if (seal) sealer.seal(index, buf);
        if (hash) Blob.id(buf, sha);
    }

    private static void writeRandom(Path file, long size) throws IOException {
        byte[] seed = BlobPadding.randomSeed(new SecureRandom());
        BlobPadding generator = new BlobPadding(seed);
        byte[] buf = new byte[MIB];
        try (OutputStream os = Files.newOutputStream(file)) {
            for (long done = 0, i = 0; done < size; done += MIB, i++) {
                int len = (int) Math.min(MIB, size - done);
                generator.fill(i, buf, 0, len);
                os.write(buf, 0, len);
            }
        }
        // Flush it now, so its writeback does not compete with the measured ingest.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Writes {@code count} 1 MiB files as the store does, on as many threads as ingest uses. */
    private static double diskBaseline(Path dir, int count) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        byte[] buf = new byte[Blob.BLOB_SIZE];
        AtomicLong next = new AtomicLong();
        List<Thread> ts = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        int threads = Math.max(4, Math.min(16, 4 * Runtime.getRuntime().availableProcessors()));
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofVirtual().start(() -> {
                long i;
                while ((i = next.getAndIncrement()) < count) {
                    Path temp = dir.resolve("." + i + ".tmp");
                    try {
                        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf);
                            while (b.hasRemaining()) ch.write(b);
                            ch.force(true);
                        }
                        Files.move(temp, dir.resolve(Long.toString(i)), StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : ts) t.join();
        double s = (System.nanoTime() - start) / 1e9;
        if (failures.get() > 0) throw new IOException("disk baseline: " + failures.get() + " writes failed in " + dir);
        deleteTree(dir);
        return (double) count * Blob.BLOB_SIZE / 1e6 / s;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
