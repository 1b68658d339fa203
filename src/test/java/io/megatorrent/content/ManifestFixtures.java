package io.megatorrent.content;

import io.megatorrent.crypto.Ed25519;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Deterministic keys, file entries and collections for the manifest tests. */
final class ManifestFixtures {
    private ManifestFixtures() {}

    static Ed25519.KeyPair key(int n) {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) n);
        return Ed25519.fromSeed(seed);
    }

    static byte[] bytes(int length, int fill) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    static String blobId(long n) {
        return String.format("%064x", n);
    }

    /** A file of {@code size} bytes with made-up blob ids. */
    static FileEntry file(String name, long size, long seed) {
        List<String> ids = new ArrayList<>();
        for (long i = 0; i < FileEntry.chunkCount(size); i++) ids.add(blobId(seed * 100_000 + i + 1));
        Random r = new Random(seed);
        byte[] key = new byte[32];
        r.nextBytes(key);
        return new FileEntry(name, size, ids, key);
    }

    static List<ManifestCollection> small() {
        return List.of(
                new ManifestCollection("Season 1", List.of(
                        file("e01.mkv", 1_500_000, 1),
                        file("extras/notes.txt", 12, 2),
                        file("empty", 0, 3))),
                new ManifestCollection("Soundtrack", List.of(file("01 Theme.flac", 30_000_000, 4))));
    }

    /** Collections as comparable text (FileEntry holds a byte array, so records do not compare by value). */
    static String text(List<ManifestCollection> collections) {
        return io.megatorrent.codec.Json.write(Manifest.collectionsJson(collections));
    }

    /** {@code count} files of {@code blobsEach} blobs each, in one collection, with realistic names. */
    static List<ManifestCollection> many(int count, int blobsEach) {
        List<FileEntry> files = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long size = blobsEach == 0 ? 0 : (long) (blobsEach - 1) * FileEntry.CHUNK_SIZE + 1 + i;
            files.add(file(String.format("folder %03d/a file called number %05d.bin", i / 100, i), size, i + 1));
        }
        return List.of(new ManifestCollection("archive", files));
    }
}
