package io.megatorrent.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.FileEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A file downloaded before a restart streams after it: the node finds it in the manifest it holds. */
@Timeout(180)
class StreamAfterRestartTest {
    @Test
    void aDownloadedFileStreamsAfterTheNodeRestarts(@TempDir Path tmp) throws Exception {
        byte[] data = new byte[FileEntry.CHUNK_SIZE + 4321];
        new Random(9).nextBytes(data);
        Files.createDirectories(tmp.resolve("in/col"));
        Files.write(tmp.resolve("in/col/f.bin"), data);
        try (ServeProcess a = ServeProcess.start(tmp.resolve("a"))) {
            String hex;
            try (ServeProcess b = ServeProcess.start(tmp.resolve("b"), "--bootstrap", "127.0.0.1:" + a.dhtPort())) {
                a.awaitDhtNodes(Duration.ofSeconds(30));
                JsonObject pub = (JsonObject) a.rpc("publish", JsonObject.builder().put("path", tmp.resolve("in/col").toString()).build());
                hex = pub.string("publicKey");
                b.rpc("subscribe", JsonObject.builder().put("uri", pub.string("uri")).build());
                b.awaitComplete(hex, Duration.ofSeconds(60));
            }
            try (ServeProcess b = ServeProcess.start(tmp.resolve("b"))) { // no bootstrap: nothing to fetch, all held
                RawHttp.Response r = RawHttp.send(b.port, "GET", "/stream/" + hex + "/col/f.bin",
                        Map.of("Host", b.host(), "Authorization", "Bearer " + b.endpoint.token(), "Range", "bytes=1048000-"), null);
                assertEquals(206, r.status(), r.text());
                assertArrayEquals(Arrays.copyOfRange(data, 1048000, data.length), r.body());
                assertEquals(404, RawHttp.send(b.port, "GET", "/stream/" + hex + "/col/g.bin",
                        Map.of("Host", b.host(), "Authorization", "Bearer " + b.endpoint.token()), null).status());
            }
        }
    }
}
