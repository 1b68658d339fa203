package io.megatorrent.content;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.testing.Fuzz;
import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fuzzes the manifest JSON decoder (JSON, schema, names, signature) from the manifests of test-vectors/manifest.json. */
class ManifestJsonFuzzTest {
    @Test
    void manifestDecoder() throws Exception {
        JsonValue.JsonObject file = Json.parseObject(Files.readAllBytes(Peers.projectDir().resolve("test-vectors/manifest.json")));
        List<byte[]> seeds = new ArrayList<>();
        for (JsonValue v : ((JsonValue.JsonArray) file.get("vectors").orElseThrow()).items()) {
            if (v instanceof JsonValue.JsonObject o && o.get("manifest").orElse(null) instanceof JsonValue.JsonString s) {
                seeds.add(s.value().getBytes(StandardCharsets.UTF_8));
            }
        }
        Fuzz.run("manifest JSON", 10_000, 8, seeds, 8192, 256 << 10, 96, Manifest::parse, ManifestException.class);
    }
}
