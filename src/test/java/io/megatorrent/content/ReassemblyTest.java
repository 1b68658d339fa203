package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where reassembly keeps its temporaries, and which files its clean-up may touch. */
class ReassemblyTest {
    /** Beyond Linux's default pid_max (2^22): no process has it. */
    static final long DEAD_PID = 4194999;

    @TempDir
    Path tmp;

    private FileEntry ingest(BlobStore store, int size, int seed) throws Exception {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        return Ingest.bytes(content, "f", store);
    }

    @Test
    void cleanupNeverTouchesFilesAManifestOrAUserPutBesideTheOutput() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry entry = ingest(store, 3 * BlobTestFiles.MIB + 7, 1);
        Path out = Files.createDirectories(tmp.resolve("out"));
        // Names that dot-names allow and that the old clean-up took for a dead writer's temporary
        // of "x": another item of the same collection, a user's own file.
        ItemName.check(".x.4194999-a.part", "n");
        Path item = Files.writeString(out.resolve(".x." + DEAD_PID + "-a.part"), "another item");
        Path users = Files.writeString(out.resolve(".x." + DEAD_PID + "-00000000000000ff.part"), "the user's");
        // Real leftovers of a killed reassembly, and the temporary of a live one.
        Path tempFolder = Files.createDirectories(out.resolve(Reassembly.TEMP_FOLDER));
        Path stale = Files.writeString(tempFolder.resolve(DEAD_PID + "-0123456789abcdef" + Reassembly.TEMP_SUFFIX), "stale");
        Path live = Files.writeString(tempFolder.resolve(ProcessHandle.current().pid() + "-0123456789abcdef" + Reassembly.TEMP_SUFFIX), "live");
        Path other = Files.writeString(tempFolder.resolve("notes.txt"), "not named as a temporary");

        Reassembly.toFile(entry, store, out.resolve("x"), false, n -> {});

        assertEquals(entry.size(), Files.size(out.resolve("x")));
        assertEquals("another item", Files.readString(item));
        assertEquals("the user's", Files.readString(users));
        assertFalse(Files.exists(stale), "a dead writer's temporary is removed");
        assertTrue(Files.exists(live) && Files.exists(other));

        Files.delete(live);
        Files.delete(other);
        Reassembly.toFile(entry, store, out.resolve("y"), false, n -> {});
        assertEquals(List.of(".x." + DEAD_PID + "-00000000000000ff.part", ".x." + DEAD_PID + "-a.part", "x", "y"), names(out),
                "the emptied temporary folder is removed");
    }

    @Test
    void noItemNameCanLandInTheTemporaryFolder() {
        for (String name : List.of(Reassembly.TEMP_FOLDER, Reassembly.TEMP_FOLDER + "/4194999-0123456789abcdef.part", "a/.MEGATORRENT-TMP/b")) {
            var e = assertThrows(ManifestException.class, () -> ItemName.check(name, "n"), name);
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
            assertThrows(ManifestException.class, () -> ItemName.resolveUnder(tmp, "c", name));
        }
    }

    @Test
    void temporaryFolderIsPrivateWhileInUse() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry entry = ingest(store, 100, 2);
        Path out = Files.createDirectories(tmp.resolve("out"));
        List<String> seen = new java.util.ArrayList<>();
        Reassembly.toFile(entry, store, out.resolve("x"), false, n -> {
            try {
                seen.add(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(Reassembly.TEMP_FOLDER))));
                seen.add(String.valueOf(names(out.resolve(Reassembly.TEMP_FOLDER)).size()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(List.of("rwx------", "1"), seen);
        assertEquals(List.of("x"), names(out));
    }

    @Test
    void temporaryFolderThatIsNotAFolderIsAClearError() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        FileEntry entry = ingest(store, 100, 3);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.createSymbolicLink(out.resolve(Reassembly.TEMP_FOLDER), tmp);
        var e = assertThrows(java.io.IOException.class, () -> Reassembly.toFile(entry, store, out.resolve("x"), false, n -> {}));
        assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
        assertFalse(Files.exists(out.resolve("x")));
    }

    @Test
    void outputNameOfTheFull255BytesAComponentMayHave() throws Exception {
        BlobStore store = BlobStore.open(tmp.resolve("data"));
        byte[] content = new byte[BlobTestFiles.MIB + 3];
        new Random(4).nextBytes(content);
        FileEntry entry = Ingest.bytes(content, "f", store);
        String name = "é".repeat(100) + "n".repeat(ItemName.MAX_COMPONENT_BYTES - 200);
        assertEquals(ItemName.MAX_COMPONENT_BYTES, name.getBytes(StandardCharsets.UTF_8).length);
        ItemName.check(name, "n");
        Path out = Files.createDirectories(tmp.resolve("out"));
        Reassembly.toFile(entry, store, out.resolve(name), false, n -> {});
        assertArrayEquals(content, Files.readAllBytes(out.resolve(name)));
        Reassembly.toFile(entry, store, out.resolve(name), true, n -> {});
        assertArrayEquals(content, Files.readAllBytes(out.resolve(name)));
        assertEquals(List.of(name), names(out));
    }

    static List<String> names(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
