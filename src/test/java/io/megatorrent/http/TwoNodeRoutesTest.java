package io.megatorrent.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.FileEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two serve processes on loopback, A publishing and B following: every qBittorrent route
 * answering real data, and files streamed from B by byte range, downloaded or not yet.
 */
@Timeout(300)
class TwoNodeRoutesTest {
    static final String FORM = "application/x-www-form-urlencoded";
    @TempDir
    static Path tmp;
    static ServeProcess a;
    static ServeProcess b;

    @BeforeAll
    static void start() throws Exception {
        a = ServeProcess.start(tmp.resolve("a"));
        b = ServeProcess.start(tmp.resolve("b"), "--bootstrap", "127.0.0.1:" + a.dhtPort());
        a.awaitDhtNodes(Duration.ofSeconds(30));
        b.awaitDhtNodes(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) b.close();
        if (a != null) a.close();
    }

    static RawHttp.Response form(ServeProcess n, String route, String... kv) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < kv.length; i += 2) {
            if (!body.isEmpty()) body.append('&');
            body.append(kv[i]).append('=').append(java.net.URLEncoder.encode(kv[i + 1], StandardCharsets.UTF_8));
        }
        return RawHttp.send(n.port, "POST", QbittorrentRoutes.PREFIX + route,
                Map.of("Host", n.host(), "Authorization", "Bearer " + n.endpoint.token(), "Content-Type", FORM), body.toString().getBytes(StandardCharsets.UTF_8));
    }

    static JsonValue ok(RawHttp.Response r) throws Exception {
        assertEquals(200, r.status(), r.text());
        assertEquals("application/json; charset=utf-8", r.header("Content-Type"));
        return Json.parse(r.body());
    }

    static RawHttp.Response stream(ServeProcess n, String method, String path, String range) throws IOException {
        Map<String, String> h = new HashMap<>(Map.of("Host", n.host(), "Authorization", "Bearer " + n.endpoint.token()));
        if (range != null) h.put("Range", range);
        return RawHttp.send(n.port, method, path, h, null);
    }

    static byte[] file(Path p, int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return data;
    }

    @Test
    void everyQbittorrentRouteAnswersRealData() throws Exception {
        // generateKey: a key file on the node, never the secret over HTTP
        JsonObject key = (JsonObject) ok(form(a, "generateKey"));
        String hex = key.string("publicKey");
        assertTrue(hex.matches("[0-9a-f]{64}"));
        assertEquals("megatorrent://" + hex, key.string("uri"));
        assertEquals(a.dir.resolve("keys").resolve(hex + ".json").toAbsolutePath().toString(), key.string("keyFile"));
        assertTrue(Files.isRegularFile(Path.of(key.string("keyFile"))));
        assertEquals(3, key.members().size(), "publicKey, uri, keyFile and nothing else: " + Json.write(key));
        Path k2 = tmp.resolve("k2.json");
        JsonObject key2 = (JsonObject) ok(form(a, "generateKeyAction", "keyFile", k2.toString()));
        assertEquals(k2.toString(), key2.string("keyFile"));
        RawHttp.Response again = form(a, "generateKey", "keyFile", k2.toString());
        assertEquals(400, again.status());
        assertTrue(again.text().contains("exists already"), again.text());

        // ingest
        byte[] one = file(tmp.resolve("in/one.bin"), FileEntry.CHUNK_SIZE + 777, 1);
        JsonObject ingested = (JsonObject) ok(form(a, "ingest", "filePath", tmp.resolve("in/one.bin").toString()));
        assertEquals(2, ingested.integer("blobCount"));
        FileEntry entry = FileEntry.fromJson(ingested.object("fileEntry"));
        assertEquals(one.length, entry.size());
        assertEquals("one.bin", entry.name());
        assertEquals(2, ((JsonObject) ok(form(a, "ingestAction", "filePath", tmp.resolve("in/one.bin").toString()))).integer("blobCount"));
        assertEquals(400, form(a, "ingest").status());
        assertEquals(400, form(a, "ingest", "filePath", tmp.resolve("in/none").toString()).status());

        // blobs
        JsonArray blobs = (JsonArray) ok(form(a, "blobs"));
        boolean listed = false;
        for (JsonValue v : blobs.items()) {
            JsonObject o = (JsonObject) v;
            if (o.string("blobId").equals(entry.blobIds().get(0))) {
                listed = true;
                assertEquals(FileEntry.CHUNK_SIZE + 16, o.integer("size"));
                assertTrue(o.integer("addedAt") > 1_700_000_000L);
            }
        }
        assertTrue(listed, "the ingested blob is listed");
        assertEquals(1, ((JsonArray) ok(form(a, "blobsAction", "limit", "1"))).items().size());
        assertEquals(400, form(a, "blobs", "limit", "-3").status());

        // publish: a path and a key file on the node
        file(tmp.resolve("in/album/a.bin"), 5000, 2);
        JsonObject p1 = (JsonObject) ok(form(a, "publish", "path", tmp.resolve("in/album").toString(), "keyFile", key.string("keyFile")));
        assertEquals(hex, p1.string("publicKey"));
        assertEquals("megatorrent://" + hex, p1.string("uri"));
        assertTrue(p1.integer("sequence") >= 0);
        JsonObject p2 = (JsonObject) ok(form(a, "publishAction", "path", tmp.resolve("in/album").toString(), "keyFile", key.string("keyFile")));
        assertEquals(p1.integer("sequence") + 1, p2.integer("sequence"));
        assertEquals(400, form(a, "publish", "path", tmp.resolve("in/missing").toString()).status());
        assertEquals(400, form(a, "publish").status());

        // addSubscription / getSubscriptions on B; labels come back as given (the page shows them as text)
        String label = "<img src=x onerror=alert(1)>";
        JsonObject added = (JsonObject) ok(form(b, "addSubscription", "publicKey", hex, "label", label));
        assertEquals(hex, added.string("publicKey"));
        JsonObject s = find((JsonArray) ok(form(b, "getSubscriptions")), hex);
        assertEquals(hex, s.string("publicKey"));
        assertEquals(label, s.string("label"));
        assertTrue(s.has("lastSequence") && s.has("status"));
        JsonObject done = b.awaitComplete(hex, Duration.ofSeconds(60));
        assertEquals(p2.integer("sequence"), done.integer("lastSequence"));
        JsonObject listedDone = find((JsonArray) ok(form(b, "getSubscriptionsAction")), hex);
        assertEquals(p2.integer("sequence"), listedDone.integer("lastSequence"));
        assertEquals("complete", listedDone.string("status"));
        assertEquals(Json.write(ok(form(b, "getSubscriptions"))), Json.write(ok(form(b, "subscriptions"))));
        assertEquals(Json.write(ok(form(b, "subscriptions"))), Json.write(ok(RawHttp.send(b.port, "GET", QbittorrentRoutes.PREFIX + "subscriptionsAction",
                Map.of("Host", b.host(), "Authorization", "Bearer " + b.endpoint.token()), null))), "reading routes answer GET too");
        assertArrayEquals(Files.readAllBytes(tmp.resolve("in/album/a.bin")), Files.readAllBytes(b.dir.resolve("downloads").resolve(hex).resolve("album/a.bin")));

        // subscribe (by URI, or key) twice is no error
        assertTrue(((JsonObject) ok(form(b, "subscribe", "uri", "megatorrent://" + hex))).bool("alreadyFollowed"));
        assertFalse(((JsonObject) ok(form(b, "subscribeAction", "publicKey", key2.string("publicKey")))).bool("alreadyFollowed"));
        assertTrue(find((JsonArray) ok(form(b, "subscriptions")), key2.string("publicKey")) != null);
        assertEquals(400, form(b, "subscribe", "uri", "http://not-a-channel").status());
        assertEquals(400, form(b, "subscribe").status());

        // unsubscribe / removeSubscription
        assertTrue(((JsonObject) ok(form(b, "removeSubscription", "publicKey", key2.string("publicKey")))).bool("unsubscribed"));
        assertEquals(404, form(b, "removeSubscriptionAction", "publicKey", key2.string("publicKey")).status(), "not followed any more");
        assertTrue(((JsonObject) ok(form(b, "unsubscribeAction", "publicKey", hex.toUpperCase()))).bool("unsubscribed"));
        assertNull(find((JsonArray) ok(form(b, "subscriptions")), hex));
        assertNull(find((JsonArray) ok(form(b, "subscriptions")), key2.string("publicKey")));
        assertEquals(400, form(b, "unsubscribe", "publicKey", "12345").status());

        // status
        JsonObject status = (JsonObject) ok(form(b, "status"));
        assertEquals(b.ready.integer("dhtPort"), status.integer("dhtPort"));
        assertTrue(status.integer("blobsFetched") >= 1);
        assertTrue(status.object("streams").has("blobsFetched"));
        assertTrue(((JsonObject) ok(form(b, "statusAction"))).has("listenPort"));
    }

    /** The subscription to {@code hex} in a list, or null. */
    static JsonObject find(JsonArray subs, String hex) throws Exception {
        for (JsonValue v : subs.items()) {
            if (((JsonObject) v).string("publicKey").equals(hex)) return (JsonObject) v;
        }
        return null;
    }

    @Test
    void rangesOfADownloadedFile() throws Exception {
        Path keyFile = tmp.resolve("ranges-key.json");
        ok(form(a, "generateKey", "keyFile", keyFile.toString()));
        int size = 2 * FileEntry.CHUNK_SIZE + 5000;
        byte[] data = file(tmp.resolve("in/docs/small.bin"), size, 3);
        byte[] wav = file(tmp.resolve("in/docs/tone.wav"), 3000, 4);
        JsonObject pub = (JsonObject) ok(form(a, "publish", "path", tmp.resolve("in/docs").toString(), "keyFile", keyFile.toString()));
        String hex = pub.string("publicKey");
        ok(form(b, "subscribe", "uri", pub.string("uri")));
        b.awaitComplete(hex, Duration.ofSeconds(60));
        String path = "/stream/" + hex + "/docs/small.bin";

        RawHttp.Response whole = stream(b, "GET", path, null);
        assertEquals(200, whole.status());
        assertArrayEquals(data, whole.body());
        assertEquals("bytes", whole.header("Accept-Ranges"));
        assertEquals("application/octet-stream", whole.header("Content-Type"));
        assertTrue(whole.header("Content-Security-Policy").contains("sandbox"), "a file runs no script on this origin");

        assertRange(path, "bytes=100-199", data, 100, 199); // inside one blob
        assertRange(path, "bytes=1048000-1049600", data, 1048000, 1049600); // across a blob boundary
        assertRange(path, "bytes=1048575-1048576", data, 1048575, 1048576); // the two bytes either side of it
        assertRange(path, "bytes=2097000-", data, 2097000, size - 1); // open-ended
        assertRange(path, "bytes=-500", data, size - 500, size - 1); // suffix
        assertRange(path, "bytes=-99999999", data, 0, size - 1); // suffix longer than the file
        assertRange(path, "bytes=0-99999999999", data, 0, size - 1); // past the end
        assertRange(path, "bytes=" + (size - 1) + "-" + (size - 1), data, size - 1, size - 1);

        for (String unsatisfiable : new String[] {"bytes=" + size + "-", "bytes=" + (size + 10) + "-" + (size + 20), "bytes=-0"}) {
            RawHttp.Response r = stream(b, "GET", path, unsatisfiable);
            assertEquals(416, r.status(), unsatisfiable);
            assertEquals("bytes */" + size, r.header("Content-Range"));
        }
        for (String ignored : new String[] {"bytes=1-2,5-6", "items=0-5", "bytes=9-3", "bytes=abc"}) {
            RawHttp.Response r = stream(b, "GET", path, ignored);
            assertEquals(200, r.status(), ignored);
            assertEquals(size, r.body().length);
        }
        RawHttp.Response head = stream(b, "HEAD", path, "bytes=10-19");
        assertEquals(206, head.status());
        assertEquals("10", head.header("Content-Length"));
        assertEquals("bytes 10-19/" + size, head.header("Content-Range"));

        RawHttp.Response tone = stream(b, "GET", "/stream/" + hex + "/docs/tone.wav", "bytes=0-");
        assertEquals(206, tone.status());
        assertEquals("audio/wav", tone.header("Content-Type"));
        assertArrayEquals(wav, tone.body());

        assertEquals(404, stream(b, "GET", "/stream/" + hex + "/docs/none.bin", null).status());
        assertEquals(404, stream(b, "GET", "/stream/" + hex + "/other/small.bin", null).status());
        assertEquals(404, stream(b, "GET", "/stream/" + hex + "/docs", null).status());
        assertEquals(405, RawHttp.send(b.port, "POST", path, Map.of("Host", b.host(), "Authorization", "Bearer " + b.endpoint.token()), new byte[0]).status());
        assertTrue(b.isAlive());
    }

    private static void assertRange(String path, String range, byte[] data, int first, int last) throws IOException {
        RawHttp.Response r = stream(b, "GET", path, range);
        assertEquals(206, r.status(), range + ": " + r.text());
        assertEquals("bytes " + first + "-" + last + "/" + data.length, r.header("Content-Range"), range);
        assertEquals(Integer.toString(last - first + 1), r.header("Content-Length"), range);
        assertArrayEquals(Arrays.copyOfRange(data, first, last + 1), r.body(), range);
    }

    @Test
    void aRangeOfAFileNotYetDownloadedIsFetchedBeforeTheRest() throws Exception {
        Path keyFile = tmp.resolve("big-key.json");
        ok(form(a, "generateKey", "keyFile", keyFile.toString()));
        int blobs = 128;
        int size = blobs * FileEntry.CHUNK_SIZE - 1234;
        byte[] data = file(tmp.resolve("in/big/big.bin"), size, 5);
        JsonObject pub = (JsonObject) ok(form(a, "publish", "path", tmp.resolve("in/big").toString(), "keyFile", keyFile.toString()));
        String hex = pub.string("publicKey");
        long fetchedBefore = ((JsonObject) b.rpc("streams")).integer("blobsFetched");

        // the download is held to 4 MiB/s, so it cannot reach the last blob (32 s away) before the
        // stream asks for it; the stream's urgent fetch is not held back
        b.rpc("setDownloadRate", JsonObject.builder().put("bytesPerSecond", 4L << 20).build());
        assertEquals(4L << 20, ((JsonObject) b.rpc("status")).integer("downloadRate"));
        // asked at once: the manifest is not even resolved yet, so the request waits for it and the blob
        ok(form(b, "subscribe", "uri", pub.string("uri")));
        int first = size - 3000;
        RawHttp.Response r = stream(b, "GET", "/stream/" + hex + "/big/big.bin", "bytes=" + first + "-");
        JsonArray downloads = (JsonArray) b.rpc("downloads");
        assertEquals(206, r.status(), r.text());
        assertArrayEquals(Arrays.copyOfRange(data, first, size), r.body());
        JsonObject file = (JsonObject) downloads.items().stream().filter(d -> {
            try {
                return ((JsonObject) d).string("publicKey").equals(hex);
            } catch (Exception e) {
                return false;
            }
        }).findFirst().orElseThrow();
        assertTrue(file.integer("blobsPresent") < blobs,
                "the last blob was served while the download had not reached it: " + Json.write(file));
        assertTrue(((JsonObject) b.rpc("streams")).integer("blobsFetched") > fetchedBefore, "the stream fetched the range's blob itself");

        // the rest arrives too once the cap is lifted, and the whole file reads back through the route
        assertEquals(0, ((JsonObject) b.rpc("setDownloadRate", JsonObject.builder().put("bytesPerSecond", 0L).build())).integer("downloadRate"));
        b.awaitComplete(hex, Duration.ofSeconds(120));
        RawHttp.Response all = stream(b, "GET", "/stream/" + hex + "/big/big.bin", null);
        assertEquals(200, all.status());
        assertArrayEquals(data, all.body());
        assertNull(all.header("Content-Range"));
        assertEquals(0, ((JsonObject) b.rpc("status")).integer("blobsFetchedTwice"), "no blob fetched twice by the stream and the download");
    }
}
