package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code megatorrent bench reassemble} runs end to end on a small size, prints reassembly beside
 * the disk figure and a one-off CLI run, writes its figures with --json and cleans up (no
 * timing asserted).
 */
class ReassembleBenchTest {
    @TempDir
    Path tmp;

    @Test
    void benchPrintsReassemblyBesideTheDiskAndWritesJson() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path json = tmp.resolve("figures.json");
        var r = BlobRoundTripTest.cli("bench", "reassemble", "--size", "8", "--rounds", "1", "--dir", scratch.toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        for (String what : new String[] {"disk        read blobs", "reassemble  from the store", "reassemble  one-off CLI run"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(what) && l.contains(" MB/s")), what + " missing in:\n" + r.out());
        }
        assertTrue(r.out().contains("of the disk figure of its own round"), r.out());
        JsonObject figures = Json.parseObject(Files.readAllBytes(json)).object("figures");
        for (String key : new String[] {"reassemble.disk_baseline", "reassemble.warm", "reassemble.one_off_cli", "reassemble.percent_of_disk"}) {
            assertTrue(figures.object(key).string("unit").length() > 0, key);
        }
        try (var left = Files.list(scratch)) {
            assertEquals(0, left.count(), "the bench removes its scratch folder");
        }
    }
}
