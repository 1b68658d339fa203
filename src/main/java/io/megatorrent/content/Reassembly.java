package io.megatorrent.content;

import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.crypto.OwnedFolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rebuilds a file from its entry and the blob store: every blob read, opened (the tag, and the
 * hash when the tag fails: PROTOCOL_FINAL.md 6.2) and truncated to the entry's size, written at
 * its offset into a temporary file in
 * {@link #TEMP_FOLDER} beside the output (full chunks with O_DIRECT where the file system takes
 * it: {@link DirectWriter}), which is fsynced and only then given the output's name. The output
 * path is used as given; the entry's name (untrusted) never chooses where anything is written.
 */
public final class Reassembly {
    /**
     * Folder, in the output's folder, that holds the temporaries: the same file system, so the
     * final link or rename is atomic, and a name {@link ItemName} reserves, so no item of a
     * manifest (nor a user's file beside it) can land where stale temporaries are removed.
     */
    public static final String TEMP_FOLDER = ".megatorrent-tmp";
    /**
     * Temporary output: {@code <pid>-<16 hex digits>.part}; short and independent of the output's
     * name, so a name of the full 255 bytes a component may have still leaves room.
     */
    static final String TEMP_SUFFIX = ".part";
    private static final Pattern TEMP_NAME = Pattern.compile("([0-9]{1,19})-[0-9a-f]{16}" + Pattern.quote(TEMP_SUFFIX));
    /**
     * Attempts to create the temporary while other reassemblies remove the emptied folder: each
     * failed one means another reassembly finished, so this bounds a wait, not a rare case.
     */
    private static final int TEMP_ATTEMPTS = 1000;
    /**
     * Most workers (each holding one blob-sized buffer) one reassembly runs; a file of n blobs
     * gets min(n, this). Reassembly fsyncs once per file, not per blob, so unlike ingest it gains
     * nothing from many writers in flight: on the 2-core development machine 2, 4, 8 and 16
     * workers all reached the same ~900 MB/s (bench ingest, interleaved runs). Two per core keeps
     * the cores busy while some wait on a read from a cold store.
     */
    static final int WORKERS = Math.max(2, Math.min(ParallelChunks.WORKERS, 2 * Runtime.getRuntime().availableProcessors()));
    /** Bytes written between background flushes of the output. */
    static final long FLUSH_EVERY = 64L << 20;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();

    private Reassembly() {}

    /**
     * Writes the file of {@code entry} to {@code out}. An existing {@code out} is replaced only
     * with {@code replace}; otherwise it is an error and nothing is written. {@code progress}
     * receives byte counts from several threads at once.
     */
    public static void toFile(FileEntry entry, BlobStore store, Path out, boolean replace, LongConsumer progress)
            throws IOException, InterruptedException {
        toFile(entry, store, out, replace, progress, Arrivals.HELD);
    }

    /**
     * Tells a reassembly that runs beside the download of its blobs when each has arrived, so
     * the file is written while the blobs come in rather than after the last one.
     */
    public interface Arrivals {
        /** Every blob is in the store already. */
        Arrivals HELD = new Arrivals() {
            @Override
            public void awaitBlob(int index) {}

            @Override
            public void awaitAll() {}
        };

        /** Returns once blob {@code index} of the entry is in the store; throws if it never will be. */
        void awaitBlob(int index) throws IOException, InterruptedException;

        /**
         * Returns once the download has finished and its blobs are durable; the output takes its
         * name only then, so a file in place always has its blobs stored for seeding.
         */
        void awaitAll() throws IOException, InterruptedException;
    }

    /** {@link #toFile(FileEntry, BlobStore, Path, boolean, LongConsumer)}, reading each blob once {@code arrivals} says it is there. */
    public static void toFile(FileEntry entry, BlobStore store, Path out, boolean replace, LongConsumer progress, Arrivals arrivals)
            throws IOException, InterruptedException {
        Path target = out.toAbsolutePath().normalize();
        Path folder = target.getParent();
        if (folder == null || target.getFileName() == null) throw new IOException("output " + out + " names no file");
        if (!Files.isDirectory(folder)) throw new IOException("output folder " + folder + " does not exist");
        if (Files.isDirectory(target)) throw new IOException("output " + out + " is a folder");
        if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(out.toString(), null, "already exists (use --force to replace it)");
        }
        Path tempFolder = folder.resolve(TEMP_FOLDER);
        Path temp = tempFolder.resolve(PID + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong()) + TEMP_SUFFIX);
        FileChannel ch = createTemporary(tempFolder, temp);
        boolean done = false;
        try {
            try (ch; DirectWriter direct = DirectWriter.open(temp)) {
                write(entry, store, ch, direct, progress, arrivals);
                arrivals.awaitAll();
                ch.force(true);
            }
            if (replace) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // A hard link is atomic and, unlike rename, refuses to replace a file that
                // appeared meanwhile; the temporary name is then dropped.
                boolean linked = false;
                try {
                    Files.createLink(target, temp);
                    linked = true;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    if (e instanceof FileAlreadyExistsException exists) throw exists;
                    // No hard links on this file system: check, then rename (a file created in
                    // between would be replaced; the check above already refused an existing one).
                    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                        throw new FileAlreadyExistsException(out.toString(), null, "already exists (use --force to replace it)");
                    }
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                }
                if (linked) Files.delete(temp);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(temp);
            removeIfEmpty(tempFolder);
        }
        BlobStore.syncFolder(folder);
    }

    /**
     * Opens (hashing only what fails to open) and writes every chunk at its offset in
     * {@code out}, as a pipeline: the workers read and open ahead into a bounded ring of blob
     * buffers while the calling thread writes them in order, so the disk sees one sequential writer that never
     * waits for the CPU work and the CPU work never waits for a write.
     */
    static void write(FileEntry entry, BlobStore store, FileChannel out, DirectWriter direct, LongConsumer progress, Arrivals arrivals)
            throws IOException, InterruptedException {
        long size = entry.size();
        byte[] fileKey = entry.fileKey();
        var ids = entry.blobIds();
        int count = ids.size();
        if (count == 0) return;
        if (count >= Blob.WARM_UP_FROM_BLOBS) Blob.warmUpJit();
        int workers = ParallelChunks.workers(count, WORKERS);
        // every worker one buffer in hand and one waiting for the writer: memory stays bounded
        int depth = Math.min(count, 2 * workers);
        ArrayBlockingQueue<byte[]> free = new ArrayBlockingQueue<>(depth);
        for (int k = 0; k < depth; k++) free.add(new byte[Blob.BLOB_SIZE]);
        byte[][] ready = new byte[depth][];
        ReentrantLock lock = new ReentrantLock();
        Condition filled = lock.newCondition();
        AtomicLong next = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            threads.add(Thread.ofVirtual().name("reassembly-worker-" + w).start(() -> {
                try {
                    Blob.Sealer sealer = new Blob.Sealer(fileKey);
                    MessageDigest sha = Hashes.sha256();
                    while (failure.get() == null) {
                        // a buffer first, then the index: every index handed out has a buffer, so
                        // the one the writer waits for is always being worked on (no deadlock)
                        byte[] buf = free.take();
                        long i = next.getAndIncrement();
                        if (i >= count) return;
                        String id = ids.get((int) i);
                        arrivals.awaitBlob((int) i);
                        // The tag authenticates every byte under the entry's key and this index, so
                        // the store's hash (checked by the put that named the file) is only needed to
                        // tell why a blob failed: a corrupt copy (quarantined) or a wrong key or index.
                        if (!store.readUnhashed(id, buf) || !opens(sealer, i, buf)) {
                            store.read(id, buf, sha);
                            if (!opens(sealer, i, buf)) {
                                throw new CorruptBlobException(id, null, "blob " + id + " (chunk " + i + ") does not open with the entry's key at that position");
                            }
                        }
                        lock.lock();
                        try {
                            ready[(int) (i % depth)] = buf;
                            filled.signal();
                        } finally {
                            lock.unlock();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    lock.lock();
                    try {
                        filled.signal();
                    } finally {
                        lock.unlock();
                    }
                }
            }));
        }
        // Flush as we go, so the disk writes while the workers decrypt instead of all at the
        // final fsync; one flush at a time, on its own thread. Its errors resurface there.
        long unflushed = 0;
        AtomicBoolean flushing = new AtomicBoolean();
        Thread flusher = null;
        try {
            for (long i = 0; i < count; i++) {
                byte[] buf;
                int slot = (int) (i % depth);
                lock.lock();
                try {
                    while ((buf = ready[slot]) == null && failure.get() == null) filled.await();
                    ready[slot] = null;
                } finally {
                    lock.unlock();
                }
                if (buf == null) break; // a worker failed: reported below
                long position = i * FileEntry.CHUNK_SIZE;
                int len = (int) Math.min(FileEntry.CHUNK_SIZE, size - position);
                if (direct == null || !direct.write(buf, len, position)) {
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
                    long at = position;
                    while (b.hasRemaining()) at += out.write(b, at);
                }
                free.add(buf); // never full: depth buffers in all
                progress.accept(len);
                unflushed += len;
                if (unflushed >= FLUSH_EVERY && flushing.compareAndSet(false, true)) {
                    unflushed = 0;
                    flusher = Thread.ofVirtual().start(() -> {
                        try {
                            out.force(false);
                        } catch (IOException e) {
                            // the final fsync reports it
                        } finally {
                            flushing.set(false);
                        }
                    });
                }
            }
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        } finally {
            if (failure.get() != null) for (Thread t : threads) t.interrupt();
            boolean interrupted = false;
            for (Thread t : threads) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true; // the workers stop promptly once interrupted: wait for them
                        failure.compareAndSet(null, e);
                        for (Thread u : threads) u.interrupt();
                    }
                }
            }
            if (flusher != null) flusher.join();
            if (interrupted) Thread.currentThread().interrupt();
        }
        ParallelChunks.rethrow(failure.get());
    }

    /**
     * The output's full chunks written with O_DIRECT ({@link DirectIo}): the file is fsynced
     * before it takes its name, as before. Where the file system refuses O_DIRECT, or refuses
     * one of its writes, the output is written through the page cache, from then on.
     */
    static final class DirectWriter implements AutoCloseable {
        private final FileChannel channel;
        private boolean closed;

        private DirectWriter(FileChannel channel) {
            this.channel = channel;
        }

        /** A second channel on {@code temp} opened with O_DIRECT, or null where that is not possible. */
        static DirectWriter open(Path temp) {
            FileChannel ch = DirectIo.blocksFit(temp) ? DirectIo.open(temp) : null;
            return ch == null ? null : new DirectWriter(ch);
        }

        /**
         * Writes {@code buf[0, len)} at {@code position}; false when the caller must write it
         * through the page cache instead: a partial last chunk (O_DIRECT takes whole blocks
         * only), or after the file system refused an O_DIRECT write, from then on.
         */
        boolean write(byte[] buf, int len, long position) {
            if (closed || !DirectIo.aligned(position, len)) return false;
            try {
                DirectIo.write(channel, buf, 0, len, position);
                return true;
            } catch (IOException e) {
                close(); // the buffered write rewrites the whole range
                return false;
            }
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                // nothing is left unwritten through it: a refused range is rewritten by the caller
            }
        }
    }

    private static boolean opens(Blob.Sealer sealer, long index, byte[] buf) {
        try {
            sealer.open(index, buf);
            return true;
        } catch (CryptoException e) {
            return false;
        }
    }

    /**
     * Creates {@code temp} in {@code tempFolder} (a folder we own, made 0700), after removing the
     * temporaries of reassemblies that died mid-write. Another reassembly finishing in the same
     * folder may remove the emptied folder at any point in between: then it is made again.
     */
    private static FileChannel createTemporary(Path tempFolder, Path temp) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                OwnedFolder.ensure(tempFolder);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                throw new IOException("cannot reassemble: " + e.getMessage(), e);
            }
            try {
                removeStaleTemporaries(tempFolder);
                return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (attempt == TEMP_ATTEMPTS) throw e;
            }
        }
    }

    /** Drops the temporary folder once no reassembly uses it, so a finished download leaves none. */
    private static void removeIfEmpty(Path tempFolder) {
        try {
            Files.deleteIfExists(tempFolder);
        } catch (IOException e) {
            // another reassembly's temporary (or a stale one) is still in it: it stays
        }
    }

    /**
     * Removes temporaries left by processes that died mid-write. Only files named exactly as
     * this class names them, only in the temporary folder, only when their writer is gone.
     */
    static int removeStaleTemporaries(Path tempFolder) throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tempFolder)) {
            for (Path f : files) {
                Matcher m = TEMP_NAME.matcher(f.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue; // beyond a long: not one of ours
                }
                if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && Files.deleteIfExists(f)) removed++;
            }
        }
        return removed;
    }
}
