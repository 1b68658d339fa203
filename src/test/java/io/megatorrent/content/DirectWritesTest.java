package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a download writes goes past the page cache (O_DIRECT) where the file system allows it:
 * a blob's chunk, and a reassembled file's full chunks (the partial last chunk, and everything
 * after a refused write, through the page cache). Either way the bytes come out whole.
 */
class DirectWritesTest {
    private static final int MIB = BlobTestFiles.MIB;
    /** Empty, one byte, one block, just under and over a chunk, and several chunks with a tail. */
    private static final int[] SIZES = {0, 1, 4096, MIB - 1, MIB, MIB + 1, 3 * MIB + 4097};

    @TempDir
    Path tmp;

    @Test
    void filesComeOutWholeThroughODirect() throws Exception {
        Path probe = Files.createFile(tmp.resolve("probe"));
        try (Reassembly.DirectWriter w = Reassembly.DirectWriter.open(probe)) {
            Assumptions.assumeTrue(w != null, "the test folder's file system (" + Files.getFileStore(tmp).type()
                    + ") refuses O_DIRECT: the page-cache path is what runs there, and the next test covers it");
        }
        reassembleEverySize(tmp);
    }

    /**
     * Once the file system refuses an O_DIRECT write (here: a position past the largest file it
     * allows), the writer hands that chunk and every later one back to the page-cache path.
     */
    @Test
    void aRefusedWriteHandsThisChunkAndTheRestBack() throws Exception {
        Path file = tmp.resolve("refused");
        try (Reassembly.DirectWriter w = directWriter(file)) {
            byte[] chunk = new byte[MIB];
            long beyond = (Long.MAX_VALUE / MIB - 1) * MIB;
            assertFalse(w.write(chunk, MIB, beyond), "a write past the largest file was taken");
            assertFalse(w.write(chunk, MIB, 0), "the writer went on after a refusal");
            assertTrue(Files.size(file) == 0, "something was written");
        }
    }

    /** The direct writer takes whole aligned blocks only and leaves the rest to the caller. */
    @Test
    void theDirectWriterTakesWholeBlocksOnly() throws Exception {
        Path file = tmp.resolve("f");
        try (Reassembly.DirectWriter w = directWriter(file)) {
            byte[] chunk = new byte[MIB];
            new Random(7).nextBytes(chunk);
            assertFalse(w.write(chunk, MIB - 1, 0), "a partial block was taken");
            assertFalse(w.write(chunk, 4096, 100), "an unaligned position was taken");
            assertTrue(w.write(chunk, MIB, MIB));
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                var back = java.nio.ByteBuffer.allocate(MIB);
                while (back.hasRemaining() && ch.read(back, MIB + back.position()) >= 0) {}
                assertArrayEquals(chunk, back.array());
            }
        }
    }

    /**
     * A downloaded blob (putDeferred) reaches the disk whole, and the reassembly that follows the
     * download reads it once from memory: here the disk copy is spoiled after the put, the first
     * read still gets the verified bytes, the next one reads the disk. Only the newest
     * {@link RecentBlobs#CAPACITY} blobs are held.
     */
    @Test
    void aDownloadedBlobIsOnDiskWholeAndReadOnceFromMemory() throws Exception {
        BlobStore seeder = BlobStore.open(tmp.resolve("seeder"));
        byte[] content = new byte[(RecentBlobs.CAPACITY + 3) * MIB];
        new Random(3).nextBytes(content);
        FileEntry entry = Ingest.bytes(content, "f", seeder);
        BlobStore store = BlobStore.open(tmp.resolve("receiver"));
        var ids = entry.blobIds();
        for (String id : ids) store.putDeferred(id, seeder.read(id));
        store.syncDeferred();
        for (String id : ids) assertArrayEquals(seeder.read(id), Files.readAllBytes(store.path(id)), "blob " + id + " on disk");

        String newest = ids.get(ids.size() - 1);
        byte[] spoiled = Files.readAllBytes(store.path(newest));
        spoiled[100] ^= 1;
        Files.write(store.path(newest), spoiled);
        byte[] buf = new byte[Blob.BLOB_SIZE];
        assertTrue(store.readUnhashed(newest, buf));
        assertArrayEquals(seeder.read(newest), buf, "the first read comes from memory");
        assertTrue(store.readUnhashed(newest, buf));
        assertArrayEquals(spoiled, buf, "the second read comes from the disk");

        String oldest = ids.get(0); // pushed out by the newer ones
        Files.write(store.path(oldest), spoiled);
        assertTrue(store.readUnhashed(oldest, buf));
        assertArrayEquals(spoiled, buf, "the oldest blob was still held in memory");
    }

    /**
     * A download cancelled while a blob is written (its thread interrupted) is not a refusal of
     * O_DIRECT: the put fails, and the next blob still goes to disk that way and is handed to
     * its reassembly from memory.
     */
    @Test
    void anInterruptedPutLeavesODirectOn() throws Exception {
        BlobStore seeder = BlobStore.open(tmp.resolve("seeder"));
        byte[] content = new byte[2 * MIB];
        new Random(5).nextBytes(content);
        var ids = Ingest.bytes(content, "f", seeder).blobIds();
        BlobStore store = BlobStore.open(tmp.resolve("receiver"));
        Files.createFile(tmp.resolve("probe"));
        try (Reassembly.DirectWriter w = Reassembly.DirectWriter.open(tmp.resolve("probe"))) {
            Assumptions.assumeTrue(w != null, "the test folder's file system refuses O_DIRECT");
        }
        byte[] first = seeder.read(ids.get(0));
        Thread.currentThread().interrupt();
        try {
            assertThrows(java.io.IOException.class, () -> store.putDeferred(ids.get(0), first));
        } finally {
            Thread.interrupted();
        }
        String id = ids.get(1);
        byte[] blob = seeder.read(id);
        store.putDeferred(id, blob);
        byte[] spoiled = Files.readAllBytes(store.path(id));
        spoiled[7] ^= 1;
        Files.write(store.path(id), spoiled);
        byte[] buf = new byte[Blob.BLOB_SIZE];
        assertTrue(store.readUnhashed(id, buf));
        assertArrayEquals(blob, buf, "the blob after the interrupted one was not written with O_DIRECT");
    }

    /** A direct writer on a new {@code file}; the test is skipped where the file system refuses O_DIRECT. */
    private static Reassembly.DirectWriter directWriter(Path file) throws Exception {
        Reassembly.DirectWriter w = Reassembly.DirectWriter.open(Files.createFile(file));
        Assumptions.assumeTrue(w != null, "the test folder's file system (" + Files.getFileStore(file).type() + ") refuses O_DIRECT");
        return w;
    }

    private static void reassembleEverySize(Path folder) throws Exception {
        BlobStore store = BlobStore.open(folder.resolve("data"));
        Path out = Files.createDirectories(folder.resolve("out"));
        for (int size : SIZES) {
            byte[] content = new byte[size];
            new Random(size).nextBytes(content);
            FileEntry entry = Ingest.bytes(content, "f" + size, store);
            Path file = out.resolve("f" + size);
            Reassembly.toFile(entry, store, file, false, n -> {});
            assertNotNull(file);
            assertArrayEquals(content, Files.readAllBytes(file), "a file of " + size + " bytes");
        }
    }
}
