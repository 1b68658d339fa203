package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blob store: verified puts and reads, quarantine of corrupt blobs, verify-all, the CLI's errors. */
class BlobStoreTest {
    @TempDir
    Path tmp;

    private static byte[] randomBlob(int seed) {
        byte[] b = new byte[Blob.BLOB_SIZE];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putHasReadList() throws Exception {
        BlobStore store = BlobStore.open(tmp);
        byte[] blob = randomBlob(1);
        String id = store.put(blob);
        assertTrue(FileEntry.isBlobId(id));
        assertTrue(store.has(id));
        assertEquals(store.root().resolve(id.substring(0, 2)).resolve(id), store.path(id));
        assertArrayEquals(blob, store.read(id));
        assertEquals(id, store.put(blob), "putting the same blob again is a no-op");
        String id2 = store.put(randomBlob(2));
        assertEquals(List.of(id, id2).stream().sorted().toList(), store.list());
        assertFalse(store.has("00".repeat(32)));
        MissingBlobException missing = assertThrows(MissingBlobException.class, () -> store.read("00".repeat(32)));
        assertEquals("00".repeat(32), missing.blobId());
        assertTrue(missing.getMessage().contains("00".repeat(32)));
    }

    @Test
    void putRejectsWrongLengthAndWrongId() throws Exception {
        BlobStore store = BlobStore.open(tmp);
        assertThrows(IOException.class, () -> store.put(new byte[Blob.BLOB_SIZE - 1]));
        byte[] blob = randomBlob(3);
        String wrong = "ab".repeat(32);
        CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> store.put(wrong, blob));
        assertTrue(e.getMessage().contains(wrong));
        assertFalse(store.has(wrong));
        assertEquals(List.of(), store.list());
        assertThrows(IllegalArgumentException.class, () -> store.has("../../etc/passwd"));
    }

    @Test
    void corruptBlobIsQuarantinedOnReadAndNeverServed() throws Exception {
        BlobStore store = BlobStore.open(tmp);
        String id = store.put(randomBlob(4));
        flipByte(store.path(id), 12345);
        CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> store.read(id));
        assertEquals(id, e.blobId());
        assertNotNull(e.quarantinedTo());
        assertTrue(Files.exists(e.quarantinedTo()));
        assertTrue(e.quarantinedTo().startsWith(store.quarantineFolder()));
        assertFalse(store.has(id));
        assertThrows(MissingBlobException.class, () -> store.read(id));
        assertEquals(List.of(), store.list());
    }

    @Test
    void newFoldersAreMadeDurableInTheirParents() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Path data = tmp.resolve("new").resolve("data");
        BlobStore store = BlobStore.open(data, synced::add);
        assertEquals(List.of(tmp, tmp.resolve("new"), data), synced, "each folder made has its entry fsynced, outermost first");
        synced.clear();
        String id = store.put(randomBlob(11));
        Path shard = store.path(id).getParent();
        assertEquals(List.of(store.root(), shard), synced, "a new shard's entry in blobs/ is durable before the blob's in the shard");
        synced.clear();
        store.put(randomBlob(11));
        assertEquals(List.of(shard), synced, "blobs/ is fsynced once per shard, not per blob");
        synced.clear();
        BlobStore.open(data, synced::add);
        assertEquals(List.of(), synced, "opening an existing store creates nothing");
    }

    @Test
    void batchIngestMakesNewShardsDurable() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        BlobStore store = BlobStore.open(tmp, synced::add);
        synced.clear();
        FileEntry entry = Ingest.bytes(new byte[3 * BlobTestFiles.MIB], "f", store);
        java.util.Set<Path> shards = new java.util.HashSet<>();
        for (String id : entry.blobIds()) shards.add(store.path(id).getParent());
        assertTrue(synced.containsAll(shards));
        assertEquals(1, synced.stream().filter(store.root()::equals).count(), "blobs/ fsynced once for the batch, with the shards");
        synced.clear();
        store.put(store.read(entry.blobIds().get(0)));
        assertEquals(List.of(store.path(entry.blobIds().get(0)).getParent()), synced, "the batch made those shards durable already");
    }

    @Test
    void deferredPutsAreVisibleAtOnceAndDurableAtTheSync() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        BlobStore store = BlobStore.open(tmp, synced::add);
        synced.clear();
        byte[] a = randomBlob(21);
        byte[] b = randomBlob(22);
        String idA = Blob.id(a, io.megatorrent.crypto.Hashes.sha256());
        String idB = Blob.id(b, io.megatorrent.crypto.Hashes.sha256());
        store.putDeferred(idA, a);
        store.putDeferred(idB, b);
        assertEquals(List.of(), synced, "no fsync per blob");
        assertTrue(store.has(idA));
        assertArrayEquals(b, store.read(idB));
        assertEquals(2, store.unsyncedCount());

        CorruptBlobException bad = assertThrows(CorruptBlobException.class, () -> store.putDeferred("ab".repeat(32), a));
        assertTrue(bad.getMessage().contains("ab".repeat(32)));
        assertFalse(store.has("ab".repeat(32)));
        assertEquals(2, store.unsyncedCount(), "a rejected blob leaves nothing to sync");

        store.syncDeferred();
        assertEquals(0, store.unsyncedCount());
        java.util.Set<Path> want = new java.util.HashSet<>(List.of(store.path(idA), store.path(idB), store.path(idA).getParent(),
                store.path(idB).getParent(), store.root()));
        assertEquals(want, new java.util.HashSet<>(synced), "each blob, its shard and blobs/ (new shards) fsynced once");
        synced.clear();
        store.syncDeferred();
        assertEquals(List.of(), synced, "nothing left to sync");

        // a blob removed before its sync (garbage collected) is skipped, not an error
        byte[] c = randomBlob(23);
        String idC = Blob.id(c, io.megatorrent.crypto.Hashes.sha256());
        store.putDeferred(idC, c);
        assertTrue(store.delete(idC));
        store.syncDeferred();
        assertEquals(0, store.unsyncedCount());
        try (var files = Files.list(store.path(idC).getParent())) {
            assertEquals(List.of(), files.filter(f -> BlobStore.isTemporary(f.getFileName().toString())).toList(), "no temporary left behind");
        }
    }

    /**
     * A reader that found a corrupt copy while a put renamed a healed copy into place must not
     * quarantine the healed copy: the put lands just before the path check, or between the check
     * and the move.
     */
    @Test
    void quarantineNeverMovesAwayACopyHealedDuringTheRead() throws Exception {
        for (String step : List.of("check", "move")) {
            Path dir = Files.createDirectories(tmp.resolve(step));
            BlobStore store = BlobStore.open(dir);
            byte[] blob = randomBlob(12);
            String id = store.put(blob);
            flipByte(store.path(id), 999);
            java.util.concurrent.atomic.AtomicInteger heals = new java.util.concurrent.atomic.AtomicInteger();
            store.quarantineHook = s -> {
                if (s.equals(step) && heals.getAndIncrement() == 0) {
                    try {
                        store.put(id, blob);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            };
            byte[] read = new byte[Blob.BLOB_SIZE];
            store.read(id, read);
            assertArrayEquals(blob, read, step + ": the reader gets the healed copy");
            assertEquals(1, heals.get());
            assertTrue(store.has(id), step + ": the healed copy stays in the store");
            store.quarantineHook = s -> {};
            assertArrayEquals(blob, store.read(id));
            if (Files.exists(store.quarantineFolder())) {
                try (var q = Files.list(store.quarantineFolder())) {
                    assertEquals(List.of(), q.toList(), step + ": nothing good is quarantined");
                }
            }
        }
    }

    @Test
    void verifyAllFindsTruncatedAndFlippedBlobsAndRemovesDeadWritersTemporaries() throws Exception {
        BlobStore store = BlobStore.open(tmp);
        String good = store.put(randomBlob(5));
        String flipped = store.put(randomBlob(6));
        String truncated = store.put(randomBlob(7));
        flipByte(store.path(flipped), Blob.BLOB_SIZE - 1);
        try (RandomAccessFile f = new RandomAccessFile(store.path(truncated).toFile(), "rw")) {
            f.setLength(1000);
        }
        // A temporary of a writer that is gone (pid 2^22+ is beyond Linux's pid_max default) and one of a live writer.
        Path shard = store.path(good).getParent();
        Path dead = Files.write(shard.resolve("." + good + ".4194999-00ff.tmp"), new byte[10]);
        Path live = Files.write(shard.resolve("." + good + "." + ProcessHandle.current().pid() + "-00ff.tmp"), new byte[10]);
        BlobStore.VerifyReport report = store.verifyAll();
        assertEquals(3, report.checked());
        assertEquals(List.of(flipped, truncated).stream().sorted().toList(), report.corrupt().stream().map(BlobStore.Corrupt::id).toList());
        assertEquals(1, report.temporariesRemoved());
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(live));
        assertEquals(List.of(good), store.list());
        assertTrue(store.verifyAll().ok());
    }

    @Test
    void verifyCommandReportsQuarantinesAndExitsOne() throws Exception {
        BlobStore store = BlobStore.open(tmp);
        String id = store.put(randomBlob(8));
        store.put(randomBlob(9));
        var ok = BlobRoundTripTest.cli("verify", "-d", tmp.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("2 blobs checked, 0 corrupt"), ok.out());
        flipByte(store.path(id), 0);
        var bad = BlobRoundTripTest.cli("verify", "-d", tmp.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.out().contains("corrupt " + id), bad.out());
        assertTrue(bad.out().contains("2 blobs checked, 1 corrupt"), bad.out());
        try (var q = Files.list(store.quarantineFolder())) {
            assertEquals(1, q.count());
        }
        var after = BlobRoundTripTest.cli("verify", "-d", tmp.toString());
        assertEquals(0, after.code());
        assertTrue(after.out().contains("1 blobs checked, 0 corrupt"), after.out());
    }

    @Test
    void reassemblyNamesMissingCorruptAndUndecryptableBlobsAndWritesNothing() throws Exception {
        Path data = tmp.resolve("data");
        BlobStore store = BlobStore.open(data);
        byte[] content = new byte[2 * BlobTestFiles.MIB + 5];
        new Random(10).nextBytes(content);
        FileEntry entry = Ingest.bytes(content, "f", store);
        Path entryFile = Files.writeString(tmp.resolve("entry.json"), Json.write(entry.toJson()));
        Path out = tmp.resolve("out");

        // Wrong key: the blobs are there and hash right, but do not open.
        byte[] otherKey = entry.fileKey();
        otherKey[0] ^= 1;
        FileEntry wrongKey = new FileEntry("f", entry.size(), entry.blobIds(), otherKey);
        Path wrongFile = Files.writeString(tmp.resolve("wrong.json"), Json.write(wrongKey.toJson()));
        var r = BlobRoundTripTest.cli("reassemble", "-e", wrongFile.toString(), "-d", data.toString(), "-o", out.toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("does not open"), r.err());
        assertFalse(Files.exists(out));

        // Swapped order: each blob is fine but sits at the wrong index (the nonce binds the index).
        FileEntry swapped = new FileEntry("f", entry.size(), List.of(entry.blobIds().get(1), entry.blobIds().get(0), entry.blobIds().get(2)), entry.fileKey());
        assertThrows(CorruptBlobException.class, () -> Reassembly.toFile(swapped, store, out, false, n -> {}));
        assertFalse(Files.exists(out));

        String victim = entry.blobIds().get(1);
        flipByte(store.path(victim), 77);
        r = BlobRoundTripTest.cli("reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains(victim) && r.err().contains("corrupt"), r.err());
        assertFalse(Files.exists(out));

        r = BlobRoundTripTest.cli("reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(victim) && r.err().contains("not in the store"), r.err());
        assertFalse(Files.exists(out));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of("data", "entry.json", "wrong.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    /**
     * Reassembly opens a blob before hashing it (6.2): whatever fails the tag is then hashed, so
     * a damaged copy is still quarantined and named corrupt, whether the damage keeps the length
     * (a flipped byte in the tag) or not (a truncated file), while a good blob that merely does
     * not open at that index is left in the store.
     */
    @Test
    void reassemblyHashesWhatFailsTheTagAndQuarantinesOnlyDamagedCopies() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        byte[] content = new byte[3 * BlobTestFiles.MIB];
        new Random(11).nextBytes(content);
        FileEntry entry = Ingest.bytes(content, "f", store);
        Path out = tmp.resolve("out");

        FileEntry swapped = new FileEntry("f", entry.size(), List.of(entry.blobIds().get(1), entry.blobIds().get(0), entry.blobIds().get(2)), entry.fileKey());
        CorruptBlobException misplaced = assertThrows(CorruptBlobException.class, () -> Reassembly.toFile(swapped, store, out, false, n -> {}));
        assertTrue(misplaced.getMessage().contains("does not open"), misplaced.getMessage());
        assertNull(misplaced.quarantinedTo());
        assertTrue(store.has(entry.blobIds().get(0)) && store.has(entry.blobIds().get(1)), "good blobs stay in the store");

        String tagFlipped = entry.blobIds().get(2);
        flipByte(store.path(tagFlipped), Blob.BLOB_SIZE - 1);
        CorruptBlobException e = assertThrows(CorruptBlobException.class, () -> Reassembly.toFile(entry, store, out, false, n -> {}));
        assertEquals(tagFlipped, e.blobId());
        assertNotNull(e.quarantinedTo());
        assertFalse(store.has(tagFlipped));

        String truncated = entry.blobIds().get(0);
        try (RandomAccessFile f = new RandomAccessFile(store.path(truncated).toFile(), "rw")) {
            f.setLength(Blob.BLOB_SIZE - 1);
        }
        FileEntry firstTwo = new FileEntry("f", 2L * BlobTestFiles.MIB, entry.blobIds().subList(0, 2), entry.fileKey());
        e = assertThrows(CorruptBlobException.class, () -> Reassembly.toFile(firstTwo, store, out, false, n -> {}));
        assertEquals(truncated, e.blobId());
        assertNotNull(e.quarantinedTo());
        assertFalse(store.has(truncated));
        assertFalse(Files.exists(out));
        try (var q = Files.list(store.quarantineFolder())) {
            assertEquals(2, q.count());
        }
    }

    @Test
    void cliErrorsAreOneClearLine() throws Exception {
        var r = BlobRoundTripTest.cli("ingest", "-d", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--input"), r.err());
        r = BlobRoundTripTest.cli("ingest", "-i", tmp.resolve("nope").toString(), "-d", tmp.toString());
        assertEquals(3, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("no such file"), r.err());
        r = BlobRoundTripTest.cli("ingest", "-i", tmp.toString(), "-d", tmp.toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("is a folder"), r.err());
        Path junk = Files.writeString(tmp.resolve("junk.json"), "{\"name\":\"x\",\"size\":5,\"blobs\":[],\"key\":\"00\"}");
        r = BlobRoundTripTest.cli("reassemble", "-e", junk.toString(), "-d", tmp.toString(), "-o", tmp.resolve("o").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("not a file entry") && r.err().contains("blobs"), r.err());
        r = BlobRoundTripTest.cli("reassemble", "-e", junk.toString(), "-d", tmp.toString(), "-o", tmp.resolve("no/such/dir/o").toString());
        assertEquals(3, r.code());
        r = BlobRoundTripTest.cli("reassemble", "-e", junk.toString(), "-d", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--output"), r.err());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x40);
        }
    }
}
