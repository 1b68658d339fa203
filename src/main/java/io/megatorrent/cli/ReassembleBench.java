package io.megatorrent.cli;

import io.megatorrent.codec.Json;
import io.megatorrent.content.BlobStore;
import io.megatorrent.content.DirectIo;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.Reassembly;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code megatorrent bench reassemble}: MB/s of rebuilding a file from the blob store (read,
 * open, write, fsync), beside the disk's own figure for the same bytes measured in the same run
 * (the store's blob files read in order and written to one file through a direct buffer: no
 * hashing, no cipher), and beside a one-off {@code megatorrent reassemble} in a fresh process.
 * The baseline writes as reassembly does, so only the work between the read and the write
 * differs: the same bytes flushed in the background every {@link #FLUSH_EVERY} bytes (a copy
 * that leaves all of it to one final fsync is slower, and reassembly does not do that), then
 * fsynced. Both read the blob files through the page cache: the store is written in this run
 * and is far smaller than the memory of the machines this runs on, and neither drops it.
 * Rounds interleave the three so a busy machine weighs on all.
 */
final class ReassembleBench {
    private static final int MIB = 1 << 20;
    /** As {@code content.Reassembly.FLUSH_EVERY}: the same writes as reassembly's. */
    private static final long FLUSH_EVERY = 64L << 20;

    private ReassembleBench() {}

    static int run(String[] argv, PrintStream out, PrintStream err, BenchFigures figures) throws Exception {
        Args args = Args.parse(argv, List.of(
                Args.Option.value("size", "MIB", "MiB of random data to reassemble (default 1024)"),
                Args.Option.value("rounds", "N", "rounds, each measuring everything again (default 3)"),
                Args.Option.value("dir", "DIR", "scratch folder for the store and the outputs (default: the system temp folder)")));
        args.noPositional();
        long mib = args.longValue("size", 1024, 1, 1 << 20);
        int rounds = (int) args.longValue("rounds", 3, 1, 100);
        Path parent = Path.of(args.get("dir").orElse(System.getProperty("java.io.tmpdir")));
        long bytes = mib * MIB;
        out.printf("megatorrent bench reassemble (Java %s, %d cores, %d MiB of random data from the store, %d rounds)%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), mib, rounds);
        out.printf("The disk line reads the same blob files and writes the same bytes as reassembly does (full chunks with O_DIRECT where%n"
                + "the file system takes it), flushed every %d MiB, then fsynced; both read the store through the page cache (written in this%n"
                + "run). Rounds interleave the lines.%n", FLUSH_EVERY >> 20);
        String[] names = {
            "disk        read blobs + write one file, fsync",
            "reassemble  from the store (warm)",
            "reassemble  one-off CLI run, fresh process"};
        String[] notes = {"<- ceiling", "", "(JVM start included)"};
        String[] keys = {"reassemble.disk_baseline", "reassemble.warm", "reassemble.one_off_cli"};
        double[][] results = new double[names.length][rounds];
        Path scratch = Files.createTempDirectory(parent, "megatorrent-bench-");
        try {
            Path input = scratch.resolve("input.bin");
            IngestBench.writeRandom(input, bytes);
            Path dataDir = scratch.resolve("data");
            BlobStore store = BlobStore.open(dataDir);
            FileEntry entry = Ingest.file(input, store, n -> {});
            Files.delete(input);
            Path entryFile = scratch.resolve("entry.json");
            Files.writeString(entryFile, Json.write(entry.toJson()), StandardCharsets.UTF_8);
            // JIT warm-up on a small file of the same store
            Path warm = scratch.resolve("warm.bin");
            Reassembly.toFile(Ingest.bytes(new byte[64 * MIB], "warm-up", store), store, warm, false, n -> {});
            Files.delete(warm);
            Path output = scratch.resolve("output.bin");
            for (int r = 0; r < rounds; r++) {
                results[0][r] = diskBaseline(store, entry, output, bytes);
                Files.delete(output);
                long t0 = System.nanoTime();
                Reassembly.toFile(entry, store, output, false, n -> {});
                results[1][r] = bytes / 1e3 / ((System.nanoTime() - t0) / 1e6);
                if (Files.size(output) != bytes) throw new IOException("bench: reassembly lost bytes");
                Files.delete(output);
                results[2][r] = oneOff(dataDir, entryFile, output, bytes);
                Files.delete(output);
            }
        } finally {
            IngestBench.deleteTree(scratch);
        }
        out.printf("%-46s %13s %13s%n", "", "best", "median");
        for (int i = 0; i < names.length; i++) {
            double[] sorted = results[i].clone();
            Arrays.sort(sorted);
            out.printf("%-46s %8.1f MB/s %8.1f MB/s %s%n", names[i], sorted[rounds - 1], sorted[rounds / 2], notes[i]);
            figures.put(keys[i], sorted[rounds / 2], "MB/s");
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = results[1][r] / results[0][r];
        Arrays.sort(ratio);
        out.printf("reassembly: median %.0f%% of the disk figure of its own round (rounds: %s)%n", 100 * ratio[rounds / 2],
                String.join(", ", Arrays.stream(ratio).mapToObj(x -> Math.round(100 * x) + "%").toList()));
        figures.put("reassemble.percent_of_disk", 100 * ratio[rounds / 2], "%");
        return ExitCodes.OK;
    }

    /**
     * The disk alone: every blob file of the entry read in order, written to one file, flushed in
     * the background as reassembly does, fsynced.
     */
    private static double diskBaseline(BlobStore store, FileEntry entry, Path output, long bytes) throws IOException, InterruptedException {
        ByteBuffer buf = ByteBuffer.allocateDirect(MIB + DirectIo.ALIGNMENT).alignedSlice(DirectIo.ALIGNMENT).limit(MIB).slice();
        long t0 = System.nanoTime();
        try (FileChannel out = FileChannel.open(output, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                FileChannel direct = DirectIo.open(output)) {
            long left = bytes;
            long at = 0;
            long unflushed = 0;
            Thread flusher = null;
            IOException[] flushFailure = new IOException[1];
            for (String id : entry.blobIds()) {
                buf.clear();
                try (FileChannel in = FileChannel.open(store.path(id), StandardOpenOption.READ)) {
                    while (buf.hasRemaining() && in.read(buf) >= 0) {
                        // a blob file is exactly one buffer long
                    }
                }
                buf.flip();
                buf.limit((int) Math.min(buf.limit(), left));
                left -= buf.remaining();
                unflushed += buf.remaining();
                // full chunks past the page cache where the file system allows it, as reassembly writes them
                FileChannel to = direct != null && buf.remaining() == MIB ? direct : out;
                while (buf.hasRemaining()) at += to.write(buf, at);
                if (unflushed >= FLUSH_EVERY && (flusher == null || !flusher.isAlive())) {
                    unflushed = 0;
                    flusher = Thread.ofVirtual().start(() -> {
                        try {
                            out.force(false);
                        } catch (IOException e) {
                            flushFailure[0] = e;
                        }
                    });
                }
            }
            if (flusher != null) flusher.join();
            if (flushFailure[0] != null) throw flushFailure[0];
            out.force(true);
        }
        return bytes / 1e3 / ((System.nanoTime() - t0) / 1e6);
    }

    /** MB/s of {@code megatorrent reassemble} run once in a fresh process, JVM start included. */
    private static double oneOff(Path dataDir, Path entryFile, Path output, long bytes) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ColdDhtBench.megatorrentCommand());
        cmd.addAll(List.of("reassemble", "-d", dataDir.toString(), "-e", entryFile.toString(), "-o", output.toString()));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int code = p.waitFor();
        long t1 = System.nanoTime();
        if (code != 0) throw new IOException("bench: " + String.join(" ", cmd) + " exited with " + code);
        return bytes / 1e3 / ((t1 - t0) / 1e6);
    }
}
