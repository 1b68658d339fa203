package io.megatorrent.content;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs a task over indices 0..count-1 on a few virtual threads, each with its own state (a
 * 1 MiB buffer, a cipher, a digest): memory is the workers' state whatever the count, and the
 * CPU work spreads over every carrier (one per core). The first failure stops the others.
 */
final class ParallelChunks {
    /**
     * Workers: enough to keep every core busy while others wait on a read, write or fsync (on
     * ext4, several fsyncs in flight share journal commits: 8 writers moved 1 MiB files 2-4x
     * faster than 2 on the 2-core development machine). Each holds one ~1 MiB buffer.
     */
    static final int WORKERS = Math.max(4, Math.min(16, 4 * Runtime.getRuntime().availableProcessors()));

    /** Workers for {@code count} tasks: never more than tasks, so a 1-chunk job holds one buffer. */
    static int workers(long count, int maxWorkers) {
        if (maxWorkers < 1) throw new IllegalArgumentException("maxWorkers < 1");
        return (int) Math.max(0, Math.min(maxWorkers, count));
    }

    interface Worker {
        void process(long index) throws Exception;
    }

    private ParallelChunks() {}

    static void run(long count, Supplier<Worker> workerFactory) throws IOException, InterruptedException {
        run(count, WORKERS, workerFactory);
    }

    /** Runs on {@link #workers workers(count, maxWorkers)} workers, each made by the factory on its own thread. */
    static void run(long count, int maxWorkers, Supplier<Worker> workerFactory) throws IOException, InterruptedException {
        if (count <= 0) return;
        int n = workers(count, maxWorkers);
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(n);
        for (int w = 0; w < n; w++) {
            threads.add(Thread.ofVirtual().name("chunk-worker-" + w).start(() -> {
                try {
                    Worker worker = workerFactory.get();
                    long i;
                    while (failure.get() == null && (i = next.getAndIncrement()) < count) {
                        if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                        worker.process(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            failure.compareAndSet(null, e);
            for (Thread t : threads) t.interrupt();
            for (Thread t : threads) t.join();
            throw e;
        }
        rethrow(failure.get());
    }

    /** The first failure of a worker, thrown as what it was (an unknown checked one as an IOException); nothing when null. */
    static void rethrow(Throwable t) throws IOException, InterruptedException {
        if (t == null) return;
        if (t instanceof IOException e) throw e;
        if (t instanceof InterruptedException e) throw e;
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        throw new IOException(t.getMessage(), t);
    }
}
