package io.megatorrent.content;

import io.megatorrent.crypto.CryptoException;
import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Rebuilds a file from its entry and the blob store: every blob read verified (hash), opened
 * (tag) and truncated to the entry's size, written at its offset into a temporary file beside
 * the output, which is fsynced and only then given the output's name. The output path is used
 * as given; the entry's name (untrusted) never chooses where anything is written.
 */
public final class Reassembly {
    /** Temporary output: {@code .<name>.<pid>-<random>.part} in the output's folder. */
    static final String TEMP_SUFFIX = ".part";
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
        Path target = out.toAbsolutePath().normalize();
        Path folder = target.getParent();
        if (folder == null || target.getFileName() == null) throw new IOException("output " + out + " names no file");
        if (!Files.isDirectory(folder)) throw new IOException("output folder " + folder + " does not exist");
        if (Files.isDirectory(target)) throw new IOException("output " + out + " is a folder");
        if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(out.toString(), null, "already exists (use --force to replace it)");
        }
        String base = target.getFileName().toString();
        removeStaleTemporaries(folder, base);
        Path temp = folder.resolve("." + base + "." + PID + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong()) + TEMP_SUFFIX);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                write(entry, store, ch, progress);
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
        }
        BlobStore.syncFolder(folder);
    }

    /** Verifies, opens and writes every chunk at its offset in {@code out}. */
    static void write(FileEntry entry, BlobStore store, FileChannel out, LongConsumer progress) throws IOException, InterruptedException {
        long size = entry.size();
        byte[] fileKey = entry.fileKey();
        var ids = entry.blobIds();
        // Flush as we go, so the disk writes while the workers decrypt instead of all at the
        // final fsync; one flush at a time, on its own thread. Its errors resurface there.
        AtomicLong unflushed = new AtomicLong();
        AtomicBoolean flushing = new AtomicBoolean();
        AtomicReference<Thread> flusher = new AtomicReference<>();
        try {
            ParallelChunks.run(ids.size(), () -> {
                byte[] buf = new byte[Blob.BLOB_SIZE];
                Blob.Sealer sealer = new Blob.Sealer(fileKey);
                MessageDigest sha = Hashes.sha256();
                return i -> {
                    String id = ids.get((int) i);
                    store.read(id, buf, sha);
                    try {
                        sealer.open(i, buf);
                    } catch (CryptoException e) {
                        throw new CorruptBlobException(id, null, "blob " + id + " (chunk " + i + ") does not open with the entry's key at that position");
                    }
                    long position = i * FileEntry.CHUNK_SIZE;
                    int len = (int) Math.min(FileEntry.CHUNK_SIZE, size - position);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
                    long at = position;
                    while (b.hasRemaining()) at += out.write(b, at);
                    progress.accept(len);
                    if (unflushed.addAndGet(len) >= FLUSH_EVERY && flushing.compareAndSet(false, true)) {
                        unflushed.set(0);
                        flusher.set(Thread.ofVirtual().start(() -> {
                            try {
                                out.force(false);
                            } catch (IOException e) {
                                // the final fsync reports it
                            } finally {
                                flushing.set(false);
                            }
                        }));
                    }
                };
            });
        } finally {
            Thread last = flusher.get();
            if (last != null) last.join();
        }
    }

    /** Temporary outputs for the same name left by processes that died mid-write. */
    private static void removeStaleTemporaries(Path folder, String base) throws IOException {
        String prefix = "." + base + ".";
        DirectoryStream.Filter<Path> ours = f -> {
            String n = f.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX) && n.length() > prefix.length() + TEMP_SUFFIX.length();
        };
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, ours)) {
            for (Path f : files) {
                String rest = f.getFileName().toString().substring(prefix.length());
                rest = rest.substring(0, rest.length() - TEMP_SUFFIX.length());
                int dash = rest.indexOf('-');
                if (dash <= 0 || rest.indexOf('.') >= 0) continue;
                try {
                    long pid = Long.parseLong(rest.substring(0, dash));
                    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) Files.deleteIfExists(f);
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        }
    }
}
