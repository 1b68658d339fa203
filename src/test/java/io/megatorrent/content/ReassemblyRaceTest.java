package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many reassemblies into one folder at once share (create, use, remove) one temporary folder;
 * files of different sizes finish at different moments, so one removes the emptied folder while
 * another is between creating it and creating its temporary in it.
 */
class ReassemblyRaceTest {
    /** Per phase, a round limit per worker and a time budget (whichever comes first): bounded on a loaded machine too. */
    private static final int ROUNDS = 1500;
    private static final long BUDGET_NANOS = 3_000_000_000L;
    private static final int[] SIZES = {0, 100, 4096, 70_000, 10, BlobTestFiles.MIB + 1};

    /**
     * Workers at once, one phase each: with few, the folder is often emptied and removed while
     * another is making it; with many, often in use while others finish. Two to four workers met
     * the race within seconds on the old code (one check, then a create that assumed it held).
     */
    private static final int[] WORKERS = {2, 3, 4, 6, 12};

    @TempDir
    Path tmp;

    @Test
    void parallelReassembliesIntoOneFolderNeverTripOverTheTemporaryFolder() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        List<byte[]> contents = new ArrayList<>();
        List<FileEntry> entries = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            byte[] content = new byte[SIZES[i]];
            new Random(i).nextBytes(content);
            contents.add(content);
            entries.add(Ingest.bytes(content, "f" + i, store));
        }
        Path out = Files.createDirectories(tmp.resolve("out"));
        for (int n : WORKERS) phase(store, entries, contents, out, n);
    }

    private static void phase(BlobStore store, List<FileEntry> entries, List<byte[]> contents, Path out, int n) throws Exception {
        long deadline = System.nanoTime() + BUDGET_NANOS;
        AtomicInteger rounds = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        // Each worker loops on its own: at any moment some create the folder, some write in it,
        // some remove it.
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int file = i;
                done.add(pool.submit(() -> {
                    for (int round = 0; round < ROUNDS && System.nanoTime() < deadline && !failed.get(); round++) {
                        Path target = out.resolve("r" + round + "-" + file);
                        try {
                            Reassembly.toFile(entries.get(file % SIZES.length), store, target, false, b -> {});
                        } catch (Exception e) {
                            failed.set(true); // the others stop: no need to wait for the budget
                            throw new AssertionError("reassembly " + round + " of file " + file + " (" + SIZES[file % SIZES.length] + " bytes) failed after "
                                    + rounds.get() + " in all: " + e, e);
                        }
                        assertArrayEquals(contents.get(file % SIZES.length), Files.readAllBytes(target), target.toString());
                        Files.delete(target);
                        rounds.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(); // rethrows a failed reassembly
        }
        assertEquals(List.of(), ReassemblyTest.names(out), "no temporary folder is left");
        assertTrue(rounds.get() >= n, rounds.get() + " reassemblies");
        System.out.println("ReassemblyRaceTest: " + rounds + " reassemblies by " + n + " parallel workers into one folder");
    }
}
