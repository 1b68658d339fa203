package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code megatorrent bench ingest} runs end to end on a small size, prints its figures and cleans up. */
class IngestBenchTest {
    @TempDir
    Path tmp;

    @Test
    void benchPrintsIngestBesideItsCeilingsAndLeavesNothing() throws Exception {
        var r = BlobRoundTripTest.cli("bench", "ingest", "--size", "16", "--seconds", "1", "--rounds", "1", "--dir", tmp.toString());
        assertEquals(0, r.code(), r.err());
        for (String what : new String[] {"ceiling     ChaCha20-Poly1305 seal", "ceiling     SHA-256", "ceiling     seal + SHA-256",
                "disk        1 MiB", "ingest      blobs not stored", "ingest      into the store", "reassemble  from"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(what) && l.contains(" MB/s")), what + " missing in:\n" + r.out());
        }
        try (var left = Files.list(tmp)) {
            assertEquals(0, left.count(), "the bench removes its scratch folder");
        }
    }
}
