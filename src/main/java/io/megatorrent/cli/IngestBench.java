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
import java.util.Arrays;
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

    static int run(String[] argv, PrintStream out, PrintStream err, BenchFigures figures) throws UsageException, IOException, InterruptedException {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("size", "MIB", "MiB of random data to ingest (default 1024)"),
                Args.Option.value("seconds", "S", "time per ceiling measurement (default 1)"),
                Args.Option.value("rounds", "N", "rounds, each measuring everything again (default 3)"),
                Args.Option.value("dir", "DIR", "scratch folder for the input and the store (default: the system temp folder)")));
        args.noPositional();
        long mib = args.longValue("size", 1024, 1, 1 << 20);
        double seconds = args.longValue("seconds", 1, 1, 600);
        int rounds = (int) args.longValue("rounds", 3, 1, 100);
        Path parent = Path.of(args.get("dir").orElse(System.getProperty("java.io.tmpdir")));
        int cores = Runtime.getRuntime().availableProcessors();
        long bytes = mib * MIB;
        out.printf("megatorrent bench ingest (Java %s, %d cores, %d MiB of random data, %d workers, %d rounds)%n",
                Runtime.version(), cores, mib, Math.max(4, Math.min(16, 4 * cores)), rounds);
        out.println("Each round measures every line again, so that a busy machine hits ceilings and ingest alike.");

        String[] names = {
            "ceiling     ChaCha20-Poly1305 seal, 1 thread",
            "ceiling     SHA-256, 1 thread",
            "ceiling     seal + SHA-256, 1 thread",
            "ceiling     seal + SHA-256, " + cores + " threads",
            "disk        1 MiB files: write, fsync, rename",
            "ingest      blobs not stored",
            "ingest      into the store",
            "reassemble  from the store",
            "ingest      one-off CLI run, fresh process"};
        String[] notes = {"", "", "", "<- ceiling for ingest", "<- ceiling for storing", "", "", "", "(JVM start included)"};
        String[] keys = {"ingest.ceiling.seal_1_thread", "ingest.ceiling.sha256_1_thread", "ingest.ceiling.seal_sha256_1_thread",
            "ingest.ceiling.seal_sha256_all_threads", "ingest.disk_baseline", "ingest.not_stored", "ingest.into_store",
            "ingest.reassemble", "ingest.one_off_cli"};
        double[][] results = new double[names.length][rounds];
        Path scratch = Files.createTempDirectory(parent, "megatorrent-bench-");
        try {
            Path input = scratch.resolve("input.bin");
            writeRandom(input, bytes);
            // JIT warm-up: the seal and hash intrinsics are compiled after a few hundred MB.
            perThread(seconds, cores, true, true);
            Path warmDir = scratch.resolve("warm");
            Ingest.bytes(new byte[64 * MIB], "warm-up", BlobStore.open(warmDir));
            deleteTree(warmDir);
            for (int r = 0; r < rounds; r++) {
                results[0][r] = perThread(seconds, 1, true, false);
                results[1][r] = perThread(seconds, 1, false, true);
                results[2][r] = perThread(seconds, 1, true, true);
                results[3][r] = perThread(seconds, cores, true, true);
                results[4][r] = diskBaseline(scratch.resolve("disk"), (int) mib); // as much as ingest writes: a short burst would fit the disk's cache

                long t0 = System.nanoTime();
                FileEntry dry = Ingest.file(input, "input.bin", (id, blob) -> {}, n -> {});
                long t1 = System.nanoTime();
                BlobStore store = BlobStore.open(scratch.resolve("data"));
                FileEntry entry = Ingest.file(input, store, n -> {});
                long t2 = System.nanoTime();
                Path output = scratch.resolve("output.bin");
                Reassembly.toFile(entry, store, output, false, n -> {});
                long t3 = System.nanoTime();
                if (dry.size() != bytes || Files.size(output) != bytes) throw new IOException("bench: ingest or reassembly lost bytes");
                results[5][r] = bytes / 1e3 / ((t1 - t0) / 1e6);
                results[6][r] = bytes / 1e3 / ((t2 - t1) / 1e6);
                results[7][r] = bytes / 1e3 / ((t3 - t2) / 1e6);
                Files.delete(output);
                deleteTree(scratch.resolve("data"));
                results[8][r] = oneOffIngest(input, scratch.resolve("cli"), bytes);
                deleteTree(scratch.resolve("cli"));
            }
        } finally {
            deleteTree(scratch);
        }
        out.printf("%-46s %13s %13s%n", "", "best", "median");
        for (int i = 0; i < names.length; i++) {
            double[] sorted = results[i].clone();
            Arrays.sort(sorted);
            out.printf("%-46s %8.1f MB/s %8.1f MB/s %s%n", names[i], sorted[rounds - 1], sorted[rounds / 2], notes[i]);
            figures.put(keys[i], sorted[rounds / 2], "MB/s");
        }
        double ceiling = best(results[3]);
        out.printf("best ingest, blobs not stored: %.0f%% of the best %d-thread ceiling; into the store: %.0f%% of that ceiling, %.0f%% of the best disk figure%n",
                100 * best(results[5]) / ceiling, cores, 100 * best(results[6]) / ceiling, 100 * best(results[6]) / best(results[4]));
        out.println("(the Node.js client ingested 176-272 MB/s on the same 2-core machine; target >= 1000 MB/s on 2 cores)");
        return ExitCodes.OK;
    }

    /**
     * MB/s of {@code megatorrent ingest} run once in a fresh process, as a user runs it: from
     * the process start to its exit, the JVM's start and the JIT's warm-up included.
     */
    static double oneOffIngest(Path input, Path dataDir, long bytes) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ColdDhtBench.megatorrentCommand());
        cmd.addAll(List.of("ingest", "-i", input.toString(), "-d", dataDir.toString(), "--json"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int code = p.waitFor();
        long t1 = System.nanoTime();
        if (code != 0) throw new IOException("bench: " + String.join(" ", cmd) + " exited with " + code);
        return bytes / 1e3 / ((t1 - t0) / 1e6);
    }

    private static double best(double[] values) {
        return Arrays.stream(values).max().orElse(0);
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

    static void writeRandom(Path file, long size) throws IOException {
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

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
