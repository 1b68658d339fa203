package io.megatorrent.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folders the node keeps files in, and key files: only ours, only real, never decided on a stale check. */
class OwnedFolderTest {
    @TempDir
    Path tmp;

    @Test
    void makesAPrivateFolderAndAcceptsOneWeOwn() throws Exception {
        Path f = tmp.resolve("a/b/c");
        assertTrue(OwnedFolder.ensureWithParents(f));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent())));
        assertFalse(OwnedFolder.ensure(f), "an existing folder we own is used as it is");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        OwnedFolder.check(f);
        assertThrows(java.nio.file.NoSuchFileException.class, () -> OwnedFolder.ensure(tmp.resolve("x/y")), "ensure alone makes no parents");
    }

    @Test
    void refusesWhatIsNotAFolderWeOwn() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertRefused(file, "is not a folder");
        Path real = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        assertRefused(link, "symbolic link");
        for (String mode : List.of("rwxrwxr-x", "rwxr-xrwx", "rwxrwxrwt")) {
            Path open = Files.createDirectory(tmp.resolve("open-" + mode));
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString(mode.replace('t', 'x')));
            assertRefused(open, "chmod go-w");
        }
    }

    @Test
    void refusesAnotherUsersFolder() throws Exception {
        Path folder;
        UserPrincipal us = Files.getOwner(tmp);
        if (us.getName().equals("root")) {
            // root can give a folder away: to nobody (every Debian system has it)
            folder = Files.createDirectory(tmp.resolve("theirs"));
            Files.setOwner(folder, folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        } else {
            folder = Path.of("/usr"); // root's, not writable by others
        }
        assertRefused(folder, "not to " + us.getName());
    }

    @Test
    void aFolderOthersKeepMakingAndRemovingIsAlwaysEndedUpIn() throws Exception {
        // Half the workers make the folder and put a file in it, the other half remove it when
        // empty, as parallel reassemblies do: ensure never reports a folder that vanished.
        Path f = tmp.resolve("shared");
        int workers = 6;
        long deadline = System.nanoTime() + 2_000_000_000L;
        try (ExecutorService pool = Executors.newFixedThreadPool(workers)) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                done.add(pool.submit(() -> {
                    int made = 0;
                    for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
                        if (worker % 2 == 0) {
                            OwnedFolder.ensure(f);
                            made++;
                        } else {
                            try {
                                Files.deleteIfExists(f);
                            } catch (java.nio.file.DirectoryNotEmptyException e) {
                                // not empty: someone is using it
                            }
                        }
                    }
                    return made;
                }));
            }
            int made = 0;
            for (Future<Integer> d : done) made += d.get();
            assertTrue(made > 0);
        }
    }

    @Test
    void keyFilesAreReadOnlyWhenTheyAreTheFileChecked() throws Exception {
        Path key = tmp.resolve("keys/k");
        SecretFile.write(key, new byte[] {1, 2, 3}, false);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())));
        assertArrayEquals(new byte[] {1, 2, 3}, SecretFile.read(key, 3));
        assertTrue(assertThrows(IOException.class, () -> SecretFile.read(key, 2)).getMessage().contains("larger than a key file"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), key);
        assertTrue(assertThrows(IOException.class, () -> SecretFile.read(link, 3)).getMessage().contains("symbolic link"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IOException.class, () -> SecretFile.read(key, 3)).getMessage().contains("chmod 600"));
        // a key written into a folder others may write to is refused before anything is written
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(assertThrows(IOException.class, () -> SecretFile.write(open.resolve("k"), new byte[1], false)).getMessage().contains("chmod go-w"));
        assertFalse(Files.exists(open.resolve("k")));
    }

    private static void assertRefused(Path folder, String says) {
        IOException e = assertThrows(IOException.class, () -> OwnedFolder.ensure(folder), folder.toString());
        assertTrue(e.getMessage().contains(says) && e.getMessage().contains(folder.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> OwnedFolder.check(folder), folder.toString());
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }
}
