package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.content.BlobStore;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.Reassembly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file is written while its blobs arrive (a "download" that copies blobs from a seeder's
 * store one by one), takes its name only after the last one, and a download that fails leaves
 * no file and no temporary behind.
 */
class WriteWhileFetchingTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    record Setup(byte[] content, FileEntry entry, BlobStore seeder, BlobStore receiver, Path out) {}

    Setup setup(int blobs) throws Exception {
        byte[] content = new byte[blobs * MIB - 77];
        new Random(blobs).nextBytes(content);
        BlobStore seeder = BlobStore.open(tmp.resolve("seeder"));
        FileEntry entry = Ingest.bytes(content, "f.bin", seeder);
        BlobStore receiver = BlobStore.open(tmp.resolve("receiver"));
        Files.createDirectories(tmp.resolve("out"));
        return new Setup(content, entry, seeder, receiver, tmp.resolve("out/f.bin"));
    }

    /** Copies blob {@code i} into the receiver's store and says so, as the downloader does. */
    static void arrive(Setup s, int i, BlobDownloader.BlobListener l) throws IOException {
        String id = s.entry().blobIds().get(i);
        s.receiver().put(id, s.seeder().read(id));
        l.present(id, null);
    }

    @Test
    void theFileIsWrittenAsBlobsArriveAndNamedOnlyAfterTheLast() throws Exception {
        Setup s = setup(24);
        int count = s.entry().blobIds().size();
        Path temps = tmp.resolve("out").resolve(Reassembly.TEMP_FOLDER);
        AtomicLong partBytesSeen = new AtomicLong();
        AtomicBoolean namedEarly = new AtomicBoolean();
        AtomicLong presentCalls = new AtomicLong();
        WriteWhileFetching.run(l -> {
            for (int i = 0; i < count; i++) {
                arrive(s, i, l);
                if (i == count - 2) {
                    // all but the last blob are here: the writer should have written most of the file by now
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (System.nanoTime() < deadline && partBytesSeen.get() < (long) (count - 6) * MIB) {
                        partBytesSeen.set(partSize(temps));
                        Thread.sleep(5);
                    }
                }
                if (Files.exists(s.out())) namedEarly.set(true);
            }
        }, s.receiver(), s.entry(), s.out(), true, (id, from) -> presentCalls.incrementAndGet());

        assertTrue(partBytesSeen.get() >= (long) (count - 6) * MIB,
                "the temporary held only " + partBytesSeen.get() + " bytes before the last blob arrived");
        assertFalse(namedEarly.get(), "the output took its name before the download finished");
        assertEquals(count, presentCalls.get(), "the caller's listener hears of every blob");
        assertArrayEquals(s.content(), Files.readAllBytes(s.out()));
        assertFalse(Files.exists(temps), "no temporary left");
    }

    @Test
    void aDownloadThatFailsLeavesNoFileAndNoTemporary() throws Exception {
        Setup s = setup(8);
        IOException e = assertThrows(IOException.class, () -> WriteWhileFetching.run(l -> {
            for (int i = 0; i < 3; i++) arrive(s, i, l);
            throw new IOException("no peer holds blob 3");
        }, s.receiver(), s.entry(), s.out(), true, BlobDownloader.BlobListener.NONE));
        assertEquals("no peer holds blob 3", e.getMessage(), "the download's own error reaches the caller");
        assertFalse(Files.exists(s.out()));
        assertFalse(Files.exists(tmp.resolve("out").resolve(Reassembly.TEMP_FOLDER)), "no temporary left");
    }

    @Test
    void aBlobGoneBadOnDiskIsFetchedAgainAndTheFileWrittenOnce() throws Exception {
        Setup s = setup(4);
        List<String> ids = s.entry().blobIds();
        // blob 2 is held from before, but its bytes went bad on disk
        s.receiver().put(ids.get(2), s.seeder().read(ids.get(2)));
        byte[] bad = Files.readAllBytes(s.receiver().path(ids.get(2)));
        bad[1000] ^= 1;
        Files.write(s.receiver().path(ids.get(2)), bad);
        AtomicLong downloads = new AtomicLong();
        WriteWhileFetching.run(l -> {
            downloads.incrementAndGet();
            for (int i = 0; i < ids.size(); i++) {
                if (s.receiver().has(ids.get(i))) {
                    l.present(ids.get(i), null); // held: the downloader skips it
                } else {
                    arrive(s, i, l);
                }
            }
        }, s.receiver(), s.entry(), s.out(), true, BlobDownloader.BlobListener.NONE);
        assertEquals(2, downloads.get(), "the quarantined blob was fetched in a second download");
        assertArrayEquals(s.content(), Files.readAllBytes(s.out()));
    }

    private static long partSize(Path temps) throws IOException {
        if (!Files.isDirectory(temps)) return 0;
        try (Stream<Path> parts = Files.list(temps)) {
            long most = 0;
            for (Path p : parts.toList()) {
                try {
                    most = Math.max(most, Files.size(p));
                } catch (IOException gone) {
                    // renamed meanwhile
                }
            }
            return most;
        }
    }
}
