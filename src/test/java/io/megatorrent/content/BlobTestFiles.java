package io.megatorrent.content;

import java.util.concurrent.TimeUnit;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Helpers shared by the content tests: random files, hashes, child JVMs, store checks. */
final class BlobTestFiles {
    static final int MIB = 1 << 20;

    private BlobTestFiles() {}

    /** Writes {@code size} pseudo-random bytes (ChaCha20 keystream of {@code seed}). */
    static Path random(Path file, long size, int seed) throws IOException {
        byte[] s = new byte[32];
        s[0] = (byte) seed;
        s[1] = (byte) (seed >> 8);
        BlobPadding generator = new BlobPadding(s);
        byte[] buf = new byte[MIB];
        try (OutputStream os = Files.newOutputStream(file)) {
            long i = 0;
            for (long done = 0; done < size; done += MIB, i++) {
                int len = (int) Math.min(MIB, size - done);
                generator.fill(i, buf, 0, len);
                os.write(buf, 0, len);
            }
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = Hashes.sha256();
        byte[] buf = new byte[MIB];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return Hex.encode(md.digest());
    }

    /** Every file under the store's blob folder: blobs must be exactly BLOB_SIZE; temporaries may not look like blobs. */
    static List<Path> blobFiles(BlobStore store) throws IOException {
        List<Path> blobs = new ArrayList<>();
        if (!Files.isDirectory(store.root())) return blobs;
        try (Stream<Path> walk = Files.walk(store.root())) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (BlobStore.isTemporary(name)) continue;
                assertTrue(FileEntry.isBlobId(name), "unexpected file in the store: " + p);
                assertEquals(Blob.BLOB_SIZE, Files.size(p), "blob " + p + " size");
                blobs.add(p);
            }
        }
        return blobs;
    }

    /** A child JVM running {@code megatorrent ARGS} with this test's class path. */
    static ProcessBuilder megatorrent(String maxHeap, Path log, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx" + maxHeap,
                "-cp", System.getProperty("java.class.path"), "io.megatorrent.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Starts {@code child}, waits for its first sign of work (an entry in {@code watched}), kills it
     * with SIGKILL after a random part of {@code maxDelayMillis}, and returns whether it was still
     * running then (the kill landed mid-job). A child that finished first must have succeeded.
     */
    static boolean killMidJob(ProcessBuilder child, Path watched, int maxDelayMillis, Random random, Path log) throws Exception {
        Process p = child.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (p.isAlive() && !hasEntry(watched) && System.nanoTime() < deadline) Thread.sleep(5);
        Thread.sleep(random.nextInt(maxDelayMillis));
        boolean wasAlive = p.isAlive();
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        if (!wasAlive) assertEquals(0, p.exitValue(), "the child finished before the kill but failed: " + Files.readString(log));
        return wasAlive;
    }

    /** Whether {@code dir} exists and holds anything; names only, since the child renames files meanwhile. */
    static boolean hasEntry(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        }
    }
}
