package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays constant: a 4 GiB file ingests in a child JVM limited to a 64 MiB heap. The
 * input and the store go to /dev/shm when it has room: this test is about memory, and 4 GiB
 * fsynced to a shared virtual disk takes most of a minute (the kill tests cover the disk path).
 */
class IngestLargeFileTest {
    static final long SIZE = 4L << 30;

    @TempDir
    Path tmp;

    @Test
    void fourGibibytesIngestWithSixtyFourMebibytesOfHeap() throws Exception {
        // Sparse (zeros read back free), with a few marked chunks so they are not all alike.
        Path base = scratch(tmp);
        Path input = base.resolve("four.bin");
        try (RandomAccessFile f = new RandomAccessFile(input.toFile(), "rw")) {
            f.setLength(SIZE);
            for (long at = 0; at < SIZE; at += 512L << 20) {
                f.seek(at + 17);
                f.write(("chunk at " + at).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        Path data = base.resolve("data");
        Path log = tmp.resolve("child.log");
        long start = System.nanoTime();
        Process p = BlobTestFiles.megatorrent("64m", log, "ingest", "-i", input.toString(), "-d", data.toString(), "--json").start();
        boolean exited = p.waitFor(5, TimeUnit.MINUTES);
        if (!exited) p.destroyForcibly().waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        String output = Files.readString(log);
        try {
            assertTrue(exited, "ingest of 4 GiB did not finish in 5 minutes");
            assertEquals(0, p.exitValue(), output);
            FileEntry entry = FileEntry.fromJson(Json.parseObject(output.strip().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(SIZE, entry.size());
            assertEquals(4096, entry.blobIds().size());
            assertEquals(4096, new HashSet<>(entry.blobIds()).size());
            BlobStore store = BlobStore.open(data);
            assertEquals(4096, BlobTestFiles.blobFiles(store).size());
            // Spot-check that blobs decrypt to what the file holds at their offsets.
            Blob.Sealer sealer = new Blob.Sealer(entry.fileKey());
            for (int i : new int[] {0, 512, 4095}) {
                byte[] blob = store.read(entry.blobIds().get(i));
                sealer.open(i, blob);
                String mark = "chunk at " + ((long) i << 20);
                String got = new String(blob, 17, mark.length(), java.nio.charset.StandardCharsets.US_ASCII);
                if (i % 512 == 0) assertEquals(mark, got);
            }
            System.out.printf("4 GiB ingest with -Xmx64m: %.1f s (%.0f MB/s, JVM start included)%n", seconds, SIZE / 1e6 / seconds);
        } finally {
            BlobTestFiles.deleteTree(data);
            Files.deleteIfExists(input);
            if (!base.equals(tmp)) BlobTestFiles.deleteTree(base);
        }
    }

    /** A folder in /dev/shm (RAM) if it has 6 GiB free, else the test's temporary folder. */
    static Path scratch(Path fallback) throws java.io.IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).getUsableSpace() > (6L << 30)) {
            return Files.createTempDirectory(shm, "megatorrent-ingest-test-");
        }
        return fallback;
    }
}
