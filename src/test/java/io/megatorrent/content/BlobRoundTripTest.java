package io.megatorrent.content;

import io.megatorrent.testing.Cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ingest then reassemble, through the CLI: byte-identical output, every blob exactly 1,048,592 bytes. */
class BlobRoundTripTest {
    @TempDir
    Path tmp;


    static Cli.Result cli(String... argv) {
        return Cli.run(argv);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) - 7})
    void smallFilesRoundTripThroughTheCli(long size) throws Exception {
        Path input = BlobTestFiles.random(tmp.resolve("in.bin"), size, (int) size);
        Path data = tmp.resolve("data");
        Cli.Result ingest = cli("ingest", "-i", input.toString(), "-d", data.toString(), "--json");
        assertEquals(0, ingest.code(), ingest.err());
        assertTrue(ingest.err().isEmpty(), "no progress bar without a terminal: " + ingest.err());
        FileEntry entry = FileEntry.fromJson(Json.parseObject(ingest.out().getBytes(StandardCharsets.UTF_8)));
        assertEquals("in.bin", entry.name());
        assertEquals(size, entry.size());
        assertEquals(FileEntry.chunkCount(size), entry.blobIds().size());
        List<Path> blobs = BlobTestFiles.blobFiles(BlobStore.open(data));
        assertEquals(new HashSet<>(entry.blobIds()).size(), blobs.size());

        Path entryFile = Files.writeString(tmp.resolve("entry.json"), ingest.out());
        Path out = tmp.resolve("out.bin");
        Cli.Result re = cli("reassemble", "--entry", entryFile.toString(), "--data-dir", data.toString(), "--output", out.toString());
        assertEquals(0, re.code(), re.err());
        assertEquals(size, Files.size(out));
        assertEquals(BlobTestFiles.sha256(input), BlobTestFiles.sha256(out));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of("data", "entry.json", "in.bin", "out.bin"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left beside the output");
        }

        // An existing output is left alone without --force, replaced with it.
        Cli.Result again = cli("reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString());
        assertEquals(3, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        Files.writeString(out, "something else");
        Cli.Result forced = cli("reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(BlobTestFiles.sha256(input), BlobTestFiles.sha256(out));
    }

    @Test
    void sameFileTwiceGivesUnrelatedKeysAndBlobs() throws Exception {
        Path input = BlobTestFiles.random(tmp.resolve("in.bin"), 2 * BlobTestFiles.MIB, 7);
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry a = Ingest.file(input, store, n -> {});
        FileEntry b = Ingest.file(input, store, n -> {});
        assertFalse(java.util.Arrays.equals(a.fileKey(), b.fileKey()));
        assertTrue(java.util.Collections.disjoint(a.blobIds(), b.blobIds()));
        assertNotEquals(a.blobIds().get(0), a.blobIds().get(1));
        assertEquals(4, store.list().size());
    }

    @Test
    void identicalChunksOfOneFileGiveDistinctBlobs() throws Exception {
        // The nonce is the chunk index: equal plaintext chunks must not produce equal blobs.
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry entry = Ingest.bytes(new byte[3 * BlobTestFiles.MIB], "zeros", store);
        assertEquals(3, new HashSet<>(entry.blobIds()).size());
        Path out = tmp.resolve("zeros");
        Reassembly.toFile(entry, store, out, false, n -> {});
        assertEquals(3L * BlobTestFiles.MIB, Files.size(out));
        assertTrue(java.util.Arrays.equals(new byte[3 * BlobTestFiles.MIB], Files.readAllBytes(out)));
    }

    @Test
    void theEntrysNameNeverChoosesWhereReassemblyWrites() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry honest = Ingest.bytes("payload".getBytes(StandardCharsets.UTF_8), "x", store);
        Path inner = Files.createDirectories(tmp.resolve("a/b"));
        for (String evil : new String[] {"../../escaped", "/tmp/escaped-abs", "..", "c/../../d"}) {
            FileEntry entry = new FileEntry(evil, honest.size(), honest.blobIds(), honest.fileKey());
            Path entryFile = Files.writeString(tmp.resolve("evil.json"), Json.write(entry.toJson()));
            Path out = inner.resolve("out.bin");
            Files.deleteIfExists(out);
            Cli.Result r = cli("reassemble", "-e", entryFile.toString(), "-d", tmp.resolve("data").toString(), "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals("payload", Files.readString(out));
            try (var files = Files.walk(tmp)) {
                assertEquals(List.of(), files.filter(p -> p.getFileName().toString().contains("escaped")
                        || p.getFileName().toString().equals("d")).toList());
            }
            try (var files = Files.list(inner)) {
                assertEquals(List.of(out), files.toList());
            }
        }
        assertFalse(Files.exists(Path.of("/tmp/escaped-abs")));
    }

    @Test
    void oneGibibyteOfRandomDataRoundTrips() throws Exception {
        long size = 1L << 30;
        Path input = BlobTestFiles.random(tmp.resolve("big.bin"), size, 1);
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        long t0 = System.nanoTime();
        FileEntry entry = Ingest.file(input, store, n -> {});
        long t1 = System.nanoTime();
        assertEquals(1024, entry.blobIds().size());
        assertEquals(1024, BlobTestFiles.blobFiles(store).size());
        Path out = tmp.resolve("big.out");
        Reassembly.toFile(entry, store, out, false, n -> {});
        long t2 = System.nanoTime();
        assertEquals(size, Files.size(out));
        assertEquals(BlobTestFiles.sha256(input), BlobTestFiles.sha256(out));
        System.out.printf("1 GiB: ingest %.0f MB/s, reassemble %.0f MB/s%n", size / 1e3 / ((t1 - t0) / 1e6), size / 1e3 / ((t2 - t1) / 1e6));
        Files.delete(out);
        Files.delete(input);
        BlobTestFiles.deleteTree(store.root());
    }
}
