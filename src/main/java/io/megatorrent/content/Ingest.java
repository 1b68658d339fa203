package io.megatorrent.content;

import io.megatorrent.crypto.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * Ingest (PROTOCOL_FINAL.md 6.1, 6.2): cuts content into 1 MiB chunks, pads the last one with
 * random bytes, seals each into a blob under a fresh random file key, and stores the blobs.
 * Chunks are processed by {@link ParallelChunks#WORKERS} workers, each with one blob-sized
 * buffer, reading its chunk at its own offset: memory does not grow with the file, apart from
 * the entry's own list of blob ids (about 100 bytes per MiB of file).
 */
public final class Ingest {
    /** Largest file: the entry's id list is indexed by int. (2^31 - 1 MiB chunks: 2 PiB.) */
    public static final long MAX_SIZE = (long) Integer.MAX_VALUE * FileEntry.CHUNK_SIZE;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ingest() {}

    /** Where chunk bytes come from: fills {@code buf[0, len)} with the bytes at {@code position}. */
    interface Source {
        void read(long position, byte[] buf, int len) throws IOException;
    }

    /** Where finished blobs go: the store, or (benchmarks, a future streaming sender) elsewhere. */
    @FunctionalInterface
    public interface BlobSink {
        /** Takes blob {@code id} in {@code blob[0, Blob.BLOB_SIZE)}; the buffer is reused after it returns. */
        void accept(String id, byte[] blob) throws IOException;
    }

    /** Ingests a file; the entry is named after the file's name. {@code progress} receives byte counts from several threads at once. */
    public static FileEntry file(Path input, BlobStore store, LongConsumer progress) throws IOException, InterruptedException {
        Path name = input.getFileName();
        return file(input, name == null ? "" : name.toString(), store, progress);
    }

    public static FileEntry file(Path input, String name, BlobStore store, LongConsumer progress) throws IOException, InterruptedException {
        Set<Path> folders = ConcurrentHashMap.newKeySet();
        FileEntry entry = file(input, name, (id, blob) -> store.write(id, blob, folders), progress);
        store.syncFolders(folders);
        return entry;
    }

    /** Ingests a file, handing each blob to {@code sink} (from several threads at once). */
    public static FileEntry file(Path input, String name, BlobSink sink, LongConsumer progress) throws IOException, InterruptedException {
        if (!Files.isRegularFile(input)) {
            if (Files.isDirectory(input)) throw new IOException(input + " is a folder, not a file");
            if (!Files.exists(input)) throw new NoSuchFileException(input.toString(), null, "no such file");
            throw new IOException(input + " is not a regular file");
        }
        try (FileChannel ch = FileChannel.open(input, StandardOpenOption.READ)) {
            long size = ch.size();
            FileEntry entry = run(size, name, sink, progress, (position, buf, len) -> {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
                long at = position;
                while (b.hasRemaining()) {
                    int n = ch.read(b, at);
                    if (n < 0) throw new IOException(input + " shrank while being ingested (at byte " + at + ")");
                    at += n;
                }
            });
            if (ch.size() != size) throw new IOException(input + " changed size while being ingested");
            return entry;
        }
    }

    /** Ingests bytes held in memory (a manifest, a test). */
    public static FileEntry bytes(byte[] content, String name, BlobStore store) throws IOException, InterruptedException {
        Set<Path> folders = ConcurrentHashMap.newKeySet();
        FileEntry entry = run(content.length, name, (id, blob) -> store.write(id, blob, folders), n -> {}, (position, buf, len) -> System.arraycopy(content, (int) position, buf, 0, len));
        store.syncFolders(folders);
        return entry;
    }

    static FileEntry run(long size, String name, BlobSink sink, LongConsumer progress, Source source) throws IOException, InterruptedException {
        if (size > MAX_SIZE) throw new IOException("file of " + size + " bytes is larger than the " + MAX_SIZE + " bytes an entry can list");
        byte[] fileKey = new byte[FileEntry.FILE_KEY_LENGTH];
        RANDOM.nextBytes(fileKey);
        byte[] paddingSeed = BlobPadding.randomSeed(RANDOM);
        long chunks = FileEntry.chunkCount(size);
        String[] ids = new String[(int) chunks];
        if (chunks >= Blob.WARM_UP_FROM_BLOBS) Blob.warmUpJit();
        ParallelChunks.run(chunks, () -> {
            byte[] buf = new byte[Blob.BLOB_SIZE];
            Blob.Sealer sealer = new Blob.Sealer(fileKey);
            BlobPadding padding = new BlobPadding(paddingSeed);
            MessageDigest sha = Hashes.sha256();
            return i -> {
                long position = i * FileEntry.CHUNK_SIZE;
                int len = (int) Math.min(FileEntry.CHUNK_SIZE, size - position);
                source.read(position, buf, len);
                if (len < FileEntry.CHUNK_SIZE) padding.fill(i, buf, len, FileEntry.CHUNK_SIZE - len);
                sealer.seal(i, buf);
                String id = Blob.id(buf, sha);
                sink.accept(id, buf);
                ids[(int) i] = id;
                progress.accept(len);
            };
        });
        FileEntry entry = new FileEntry(name, size, Arrays.asList(ids), fileKey);
        Arrays.fill(fileKey, (byte) 0);
        return entry;
    }
}
