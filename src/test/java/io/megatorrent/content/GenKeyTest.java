package io.megatorrent.content;

import io.megatorrent.testing.Cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenKeyTest {
    @TempDir
    Path dir;


    private static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    @Test
    void writesAnOwnerOnlyIdentityIntoTheDataFolder() throws Exception {
        Path data = dir.resolve("state");
        Cli.Result r = run("gen-key", "-d", data.toString());
        assertEquals(0, r.code(), r.err());
        Path file = data.resolve("identity.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        JsonObject printed = Json.parseObject(r.out().getBytes(StandardCharsets.UTF_8));
        ChannelIdentity id = ChannelIdentity.load(file);
        assertEquals(Hex.encode(id.publicKey()), printed.string("publicKey"));
        assertEquals("megatorrent://" + printed.string("publicKey"), printed.string("uri"));
        assertArrayEquals(id.publicKey(), ChannelUri.parse(printed.string("uri")).publicKey());
        assertFalse(printed.has("privateUri"));
        assertFalse(id.isPrivate());
        try (Stream<Path> files = Files.list(data)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void refusesToOverwriteWithoutForce() throws Exception {
        Path file = dir.resolve("me.json");
        assertEquals(0, run("gen-key", "-k", file.toString()).code());
        byte[] first = Files.readAllBytes(file);
        Cli.Result again = run("gen-key", "-k", file.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());
        assertEquals("", again.out());
        assertArrayEquals(first, Files.readAllBytes(file), "the existing key is untouched");

        Cli.Result forced = run("gen-key", "-k", file.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void readKeyMakesAPrivateChannel() throws Exception {
        Path file = dir.resolve("private.json");
        Cli.Result r = run("gen-key", "-k", file.toString(), "--read-key");
        assertEquals(0, r.code(), r.err());
        JsonObject printed = Json.parseObject(r.out().getBytes(StandardCharsets.UTF_8));
        ChannelUri priv = ChannelUri.parse(printed.string("privateUri"));
        ChannelIdentity id = ChannelIdentity.load(file);
        assertTrue(id.isPrivate());
        assertArrayEquals(id.readKey(), priv.readKey());
        assertArrayEquals(id.publicKey(), priv.publicKey());
        assertFalse(ChannelUri.parse(printed.string("uri")).isPrivate());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void identityFileIsChecked() throws Exception {
        Path file = dir.resolve("id.json");
        assertEquals(0, run("gen-key", "-k", file.toString()).code());
        String text = Files.readString(file);
        JsonObject o = Json.parseObject(text.getBytes(StandardCharsets.UTF_8));
        String otherPub = Hex.encode(ManifestFixtures.key(1).publicKey());
        Files.writeString(file, text.replace(o.string("publicKey"), otherPub));
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> ChannelIdentity.load(file));
        assertTrue(e.getMessage().contains("publicKey"), e.getMessage());
    }

    /** Racing writers without --force: exactly one identity lands, the others are refused, nothing is left behind. */
    @Test
    void concurrentWritersNeverOverwriteEachOther() throws Exception {
        Path file = dir.resolve("race").resolve("identity.json");
        List<ChannelIdentity> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) ids.add(ChannelIdentity.generate(false, new java.security.SecureRandom()));
        java.util.concurrent.atomic.AtomicInteger won = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (ChannelIdentity id : ids) {
                executor.submit(() -> {
                    try {
                        id.save(file, false);
                        won.incrementAndGet();
                    } catch (java.nio.file.FileAlreadyExistsException e) {
                        refused.incrementAndGet();
                    }
                    return null;
                });
            }
        }
        assertEquals(1, won.get());
        assertEquals(7, refused.get());
        ChannelIdentity stored = ChannelIdentity.load(file);
        assertTrue(ids.stream().anyMatch(id -> java.util.Arrays.equals(id.publicKey(), stored.publicKey())));
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void usageErrors() {
        assertEquals(2, run("gen-key", "--bogus").code());
        assertEquals(2, run("gen-key", "extra").code());
        assertEquals(0, run("gen-key", "--help").code());
    }
}
