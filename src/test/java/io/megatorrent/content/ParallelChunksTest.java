package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Memory of a parallel job is its workers' buffers: never more workers than chunks. */
class ParallelChunksTest {
    @TempDir
    Path tmp;

    @Test
    void workersNeverOutnumberChunks() throws Exception {
        for (long count : new long[] {0, 1, 2, 3, 5, 1000}) {
            AtomicInteger made = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            ParallelChunks.run(count, Reassembly.WORKERS, () -> {
                made.incrementAndGet();
                return i -> done.incrementAndGet();
            });
            assertEquals(Math.min(count, Reassembly.WORKERS), made.get(), "workers for " + count + " chunks");
            assertEquals(count, done.get());
        }
        assertEquals(1, ParallelChunks.workers(1, 16));
        assertEquals(0, ParallelChunks.workers(0, 16));
        assertTrue(Reassembly.WORKERS >= 2 && Reassembly.WORKERS <= ParallelChunks.WORKERS);
    }

    /** A one-blob file costs one worker's buffer (~1 MiB), whatever the cap: measured on the heap. */
    @Test
    void reassemblingATinyFileAllocatesAboutOneBuffer() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        byte[] content = new byte[1000];
        new Random(1).nextBytes(content);
        FileEntry entry = Ingest.bytes(content, "f", store);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Reassembly.toFile(entry, store, out.resolve("warm"), false, n -> {}); // loads the classes
        var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        // Workers are virtual threads: count every allocation of the carriers and this thread,
        // by summing all threads' totals (other tests may run, so take the best of a few runs).
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long before = allocated(bean);
            Reassembly.toFile(entry, store, out.resolve("f" + r), false, n -> {});
            long used = allocated(bean) - before;
            if (used > 0) best = Math.min(best, used); // <= 0: a thread counted before has ended meanwhile

        }
        assertTrue(best != Long.MAX_VALUE, "no usable allocation figure");
        System.out.printf("reassembling a 1-blob file allocated %.2f MiB%n", best / 1048576.0);
        assertTrue(best < 3L << 20, "a 1-blob reassembly allocated " + best + " bytes");
    }

    private static long allocated(com.sun.management.ThreadMXBean bean) {
        long sum = 0;
        for (long id : bean.getAllThreadIds()) sum += Math.max(0, bean.getThreadAllocatedBytes(id));
        return sum;
    }
}
