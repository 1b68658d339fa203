package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Manifest;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.testing.Cli;
import io.megatorrent.testing.NodeProcess;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, findings 4 and 11 on the subscriber's side, against real {@code serve} processes
 * (256 MiB heaps, as {@link NodeProcess} starts them): the victim V subscribes through its API to
 * channels of a {@link HostilePublisher} (the test, with its own keys, blobs, listener and DHT
 * node) while C, a legitimate node (and the network's bootstrap node), follows V's own channel.
 * A correctly signed 64 MiB manifest of empty objects, a well-formed manifest listing far more
 * than the subscription's byte budget, and a manifest whose item names hide a reversed extension
 * are each reported in V's subscription status; V fetches none of their content, writes no file
 * for them, stays up without an OutOfMemoryError, and C gets V's channel meanwhile, byte for byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(240)
class ManifestAttackTest {
    static final Duration WAIT = Duration.ofSeconds(90);

    Path tmp;
    NodeProcess c;
    NodeProcess v;
    HostilePublisher x;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        c = NodeProcess.serve("C", tmp.resolve("C"));
        v = NodeProcess.serve("V", tmp.resolve("V"), "--bootstrap", "127.0.0.1:" + c.dhtPort());
        x = new HostilePublisher(tmp.resolve("X"), new InetSocketAddress(InetAddress.getLoopbackAddress(), c.dhtPort()));
    }

    @AfterAll
    void stop() throws Exception {
        if (x != null) x.close();
        if (v != null) v.close();
        if (c != null) c.close();
    }

    @Test
    void aManifestBombAndAnOversizedManifestAreReportedAndALegitimateSubscriberIsServedMeanwhile() throws Exception {
        // (a) the bomb: a manifest of the maximum size made of empty objects, correctly signed
        Ed25519.KeyPair bombChannel = HostilePublisher.channel();
        byte[] bomb = bomb(bombChannel);
        assertTrue(bomb.length <= Manifest.MAX_MANIFEST_BYTES && bomb.length > Manifest.MAX_MANIFEST_BYTES - 1024, "bomb of " + bomb.length + " bytes");
        x.publish(bombChannel, 0, bomb);
        // (b) well formed, but listing 64 x 2 MiB under a budget of 1 MiB: the blobs exist and are announced
        Ed25519.KeyPair bigChannel = HostilePublisher.channel();
        byte[] content = new byte[2 << 20];
        new Random(4).nextBytes(content);
        FileEntry real = x.store(content, "real.bin");
        x.announce(List.of(real));
        List<JsonValue> items = new ArrayList<>();
        for (int i = 0; i < 64; i++) items.add(rename(real, "part" + i + ".bin"));
        x.publish(bigChannel, 0, HostilePublisher.signManifest(bigChannel, HostilePublisher.header(bigChannel, 0)
                .put("collections", collection("huge", items)).build()));

        // V follows its own legitimate channel; C subscribes to it while V is under attack
        Path folder = tmp.resolve("legit");
        Files.createDirectories(folder);
        byte[] legit = new byte[3 << 20];
        new Random(5).nextBytes(legit);
        Files.write(folder.resolve("song.bin"), legit);
        JsonObject published = ok(Cli.run("publish", "-d", tmp.resolve("V").toString(), "-i", folder.toString()));

        v.call("subscribe", JsonObject.builder().put("uri", HostilePublisher.uri(bombChannel)).build());
        v.call("subscribe", JsonObject.builder().put("uri", HostilePublisher.uri(bigChannel)).put("maxSize", 1L << 20).build());
        JsonObject atC = ok(Cli.run("subscribe", "-d", tmp.resolve("C").toString(), "--wait", published.string("uri")));
        Path got = Path.of(((JsonValue.JsonString) ((JsonArray) atC.require("paths")).items().get(0)).value());
        assertArrayEquals(legit, Files.readAllBytes(got), "C got V's file during the attack");

        JsonObject bombStatus = reported(Hex.encode(bombChannel.publicKey()), s -> s.has("error"));
        System.out.println("finding 4 (a): " + Json.write(bombStatus));
        // refused by the parser's value budget, not by running out of heap
        assertTrue(bombStatus.string("error").contains("more objects and arrays than this document may hold"), Json.write(bombStatus));
        assertFalse(bombStatus.bool("complete"));
        assertEquals(0, bombStatus.integer("files"), "no file planned from a bomb");

        JsonObject bigStatus = reported(Hex.encode(bigChannel.publicKey()), s -> error(s).contains("budget"));
        System.out.println("finding 4 (b): " + Json.write(bigStatus));
        assertEquals(1L << 20, bigStatus.integer("maxSize"));
        assertFalse(bigStatus.bool("complete"));
        for (String id : real.blobIds()) assertFalse(x.requested.contains(id), "V fetched blob " + id + " of a manifest over its budget");
        for (JsonValue d : ((JsonArray) v.call("downloads", JsonObject.builder().build())).items()) {
            String key = ((JsonObject) d).string("publicKey");
            assertFalse(key.equals(Hex.encode(bigChannel.publicKey())) || key.equals(Hex.encode(bombChannel.publicKey())), Json.write(d));
        }
        assertUp(v);
    }

    @Test
    void aSignedManifestWithInvisibleFormatCharactersInItsNamesIsRefusedAndNothingIsWritten() throws Exception {
        byte[] content = new byte[100_000];
        new Random(6).nextBytes(content);
        FileEntry real = x.store(content, "real.bin");
        x.announce(List.of(real));
        for (String name : List.of("invoice\u202Efdp.exe", "read\u200Bme.txt")) {
            Ed25519.KeyPair channel = HostilePublisher.channel();
            x.publish(channel, 0, HostilePublisher.signManifest(channel, HostilePublisher.header(channel, 0)
                    .put("collections", collection("docs", List.of(rename(real, name)))).build()));
            v.call("subscribe", JsonObject.builder().put("uri", HostilePublisher.uri(channel)).build());
            String hex = Hex.encode(channel.publicKey());
            JsonObject s = reported(hex, o -> o.has("error"));
            System.out.println("finding 11 (subscriber): " + Json.write(s));
            assertTrue(s.string("error").contains("name"), Json.write(s));
            assertFalse(s.bool("complete"));
            assertEquals(0, s.integer("files"));
            Path out = Path.of(s.string("outDir"));
            if (Files.exists(out)) {
                try (Stream<Path> all = Files.walk(out)) {
                    assertEquals(List.of(out), all.toList(), "nothing written for the refused manifest");
                }
            }
        }
        for (String id : real.blobIds()) assertFalse(x.requested.contains(id), "V fetched content of a refused manifest");
        assertTrue(v.call("status").integer("subscriptions") >= 2, "V still answers its API and keeps the refused subscriptions listed");
        assertUp(v);
    }

    @Test
    void publishingAFileNamedWithInvisibleFormatCharactersIsRefusedWithAClearErrorAndExitCode() throws Exception {
        for (String name : List.of("invoice\u202Efdp.exe", "read\u200Bme.txt")) {
            Path folder = tmp.resolve("disguised-" + name.length() + "-" + (int) name.charAt(name.length() - 5));
            Files.createDirectories(folder);
            Files.writeString(folder.resolve("plain.txt"), "plain");
            try {
                Files.writeString(folder.resolve(name), "disguised");
            } catch (java.nio.file.InvalidPathException e) {
                org.junit.jupiter.api.Assumptions.abort("this JVM cannot name files in Unicode (sun.jnu.encoding is not UTF-8; run with LANG=C.UTF-8)");
            }
            String cp = String.format("U+%04X", (int) name.codePoints().filter(io.megatorrent.content.ItemName::isInvisibleFormat).findFirst().orElseThrow());
            // in the foreground, as its own process: no node serves P
            Path p = tmp.resolve("P" + cp);
            try (NodeProcess publish = NodeProcess.start("publish", p, List.of("publish", "-d", p.toString(), "-i", folder.toString(),
                    "--bind", "127.0.0.1", "--dht-port", "0"))) {
                int code = publish.exitCode(60);
                assertEquals(2, code, "exit code of a refused publish; stderr:\n" + publish.stderr());
                assertTrue(publish.stderr().contains("megatorrent publish: cannot publish") && publish.stderr().contains("invisible format character " + cp),
                        publish.stderr());
            }
            // handed to the serving node V
            long before = v.call("status").integer("published");
            Cli.Result r = Cli.run("publish", "-d", tmp.resolve("V").toString(), "-i", folder.toString());
            System.out.println("finding 11 (publish): exit " + r.code() + ": " + r.err().strip());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("invisible format character " + cp), r.err());
            assertEquals(before, v.call("status").integer("published"), "nothing published");
        }
        assertUp(v);
    }

    /** V's subscription to {@code hex} once {@code reported} holds (at most {@link #WAIT}). */
    private JsonObject reported(String hex, Predicate<JsonObject> reported) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonObject s;
        do {
            s = (JsonObject) v.call("subscription", JsonObject.builder().put("publicKey", hex).build());
            if (reported.test(s)) return s;
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        fail("V reported nothing for channel " + hex + ": " + Json.write(s) + "\nthe hostile publisher served " + x.requested.size()
                + " blobs; V's status: " + Json.write(v.call("status")) + "\n" + v.stderr());
        return s;
    }

    private static String error(JsonObject s) {
        return s.members().get("error") instanceof JsonValue.JsonString e ? e.value() : "";
    }

    private static void assertUp(NodeProcess n) {
        assertEquals(-1, n.exitCode(0), n.name() + " exited:\n" + n.stderr());
        assertFalse(n.stderr().contains("OutOfMemoryError"), n.stderr());
    }

    private static JsonObject ok(Cli.Result r) throws Exception {
        assertEquals(0, r.code(), () -> "exit " + r.code() + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return Json.parseObject(r.out().strip().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code f} as a manifest item named {@code name} (same size, blobs and key). */
    private static JsonValue rename(FileEntry f, String name) throws Exception {
        JsonObject o = f.toJson();
        var m = new java.util.LinkedHashMap<>(o.members());
        m.put("name", new JsonValue.JsonString(name));
        return new JsonObject(m);
    }

    private static JsonArray collection(String name, List<JsonValue> items) {
        return new JsonArray(List.of(JsonObject.builder().put("name", name).put("items", new JsonArray(items)).build()));
    }

    /**
     * A public manifest of {@code channel} whose collections are empty objects up to the maximum
     * manifest size, in canonical form and correctly signed: written byte by byte, since as a JSON
     * tree it would take gigabytes (which is the attack).
     */
    static byte[] bomb(Ed25519.KeyPair channel) throws Exception {
        String key = Hex.encode(channel.publicKey());
        String tail = "\"publicKey\":\"" + key + "\",\"seq\":0,";
        String end = "\"timestamp\":" + System.currentTimeMillis() / 1000 + ",\"version\":1}";
        String signatureMember = "\"signature\":\"" + "0".repeat(128) + "\",";
        int fixed = "{\"collections\":[".length() + "],".length() + tail.length() + signatureMember.length() + end.length();
        int n = (Manifest.MAX_MANIFEST_BYTES - fixed + 1) / 3;
        byte[] objects = new byte[3 * n - 1];
        for (int i = 0; i < n; i++) {
            objects[3 * i] = '{';
            objects[3 * i + 1] = '}';
            if (i < n - 1) objects[3 * i + 2] = ',';
        }
        ByteArrayOutputStream unsigned = new ByteArrayOutputStream(Manifest.MAX_MANIFEST_BYTES);
        unsigned.writeBytes("{\"collections\":[".getBytes(StandardCharsets.US_ASCII));
        unsigned.writeBytes(objects);
        unsigned.writeBytes(("]," + tail + end).getBytes(StandardCharsets.US_ASCII));
        byte[] signature = channel.sign(unsigned.toByteArray());
        ByteArrayOutputStream signed = new ByteArrayOutputStream(Manifest.MAX_MANIFEST_BYTES);
        signed.writeBytes("{\"collections\":[".getBytes(StandardCharsets.US_ASCII));
        signed.writeBytes(objects);
        signed.writeBytes(("]," + tail + "\"signature\":\"" + Hex.encode(signature) + "\"," + end).getBytes(StandardCharsets.US_ASCII));
        return signed.toByteArray();
    }
}
