package io.megatorrent.node;

import io.megatorrent.content.BlobStore;
import io.megatorrent.content.CorruptBlobException;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Reassembly;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Downloads one file's blobs and writes the file at the same time: the reassembly follows the
 * download blob by blob (the download takes blobs roughly in order), so the file is in place
 * moments after its last blob instead of a whole reassembly later. The output takes its name
 * only once the download has finished, as when the two ran one after the other.
 */
final class WriteWhileFetching implements Reassembly.Arrivals, BlobDownloader.BlobListener {
    /** One download of the file's blobs, telling {@code listener} of each blob present. */
    interface Fetch {
        void run(BlobDownloader.BlobListener listener) throws IOException, InterruptedException;
    }

    /** How long a waiting reader sleeps between checks when no arrival woke it (a missed signal costs no more). */
    private static final long RECHECK_MILLIS = 100;

    private final BlobStore store;
    private final List<String> ids;
    private final BlobDownloader.BlobListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private boolean finished; // guarded by lock
    private Throwable failed; // guarded by lock

    private WriteWhileFetching(BlobStore store, List<String> ids, BlobDownloader.BlobListener listener) {
        this.store = store;
        this.ids = ids;
        this.listener = listener;
    }

    /**
     * Runs {@code fetch} and writes {@code entry} to {@code out} beside it. A blob that turns out
     * corrupt on disk (the store quarantines it) is fetched once more and the file written again.
     */
    static void run(Fetch fetch, BlobStore store, FileEntry entry, Path out, boolean replace, BlobDownloader.BlobListener listener)
            throws IOException, InterruptedException {
        WriteWhileFetching arrivals = new WriteWhileFetching(store, entry.blobIds(), listener);
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        Thread writer = Thread.ofVirtual().name("write-while-fetching").start(() -> {
            try {
                Reassembly.toFile(entry, store, out, replace, n -> {}, arrivals);
            } catch (Throwable t) {
                writeFailure.set(t);
            }
        });
        try {
            fetch.run(arrivals);
            arrivals.finish(null);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            arrivals.finish(e);
            joinUninterruptibly(writer); // its temporary is gone before the caller hears of the failure
            throw e;
        }
        joinUninterruptibly(writer);
        Throwable t = writeFailure.get();
        if (t == null) return;
        if (t instanceof CorruptBlobException) {
            fetch.run(BlobDownloader.BlobListener.NONE);
            Reassembly.toFile(entry, store, out, replace, n -> {});
            return;
        }
        if (t instanceof IOException io) throw io;
        if (t instanceof InterruptedException ie) throw ie;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        throw new IOException(t);
    }

    /** The writer stops promptly once the download has failed; wait for it even when interrupted, then keep the interrupt. */
    private static void joinUninterruptibly(Thread writer) {
        boolean interrupted = false;
        while (true) {
            try {
                writer.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                writer.interrupt();
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    @Override
    public void present(String blobId, InetSocketAddress from) {
        listener.present(blobId, from);
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void finish(Throwable failure) {
        lock.lock();
        try {
            finished = true;
            failed = failure;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitBlob(int index) throws IOException, InterruptedException {
        String id = ids.get(index);
        lock.lock();
        try {
            while (true) {
                if (failed != null) throw stopped();
                // after a download that succeeded every blob is there; one missing since is the store's to report
                if (finished || store.has(id)) return;
                arrived.await(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitAll() throws IOException, InterruptedException {
        lock.lock();
        try {
            while (!finished) arrived.await();
            if (failed != null) throw stopped();
        } finally {
            lock.unlock();
        }
    }

    private IOException stopped() {
        return new IOException("the download of the file's blobs stopped: " + failed.getMessage(), failed);
    }
}
