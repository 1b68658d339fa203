package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL a child JVM at random points while it ingests: every blob left in the store must
 * verify (a blob is visible only complete), and a rerun must finish the job.
 */
class IngestKillTest {
    static final int KILLS = 10;
    static final long INPUT_SIZE = 160L << 20;

    @TempDir
    Path tmp;

    @Test
    void killedIngestLeavesOnlyCompleteBlobsAndARerunFinishes() throws Exception {
        Path input = BlobTestFiles.random(tmp.resolve("input.bin"), INPUT_SIZE, 3);
        String inputHash = BlobTestFiles.sha256(input);
        Random random = new Random();
        int midJob = 0;
        for (int k = 0; k < KILLS; k++) {
            Path data = tmp.resolve("data" + k);
            BlobStore store = BlobStore.open(data);
            // Kill after the first shard folder appears, a random part of the job later, so kill points land mid-job.
            ProcessBuilder child = BlobTestFiles.megatorrent("256m", tmp.resolve("child.log"), "ingest", "-i", input.toString(), "-d", data.toString(), "--json");
            boolean wasAlive = BlobTestFiles.killMidJob(child, store.root(), 600, random, tmp.resolve("child.log"));
            if (wasAlive) midJob++;

            List<Path> blobs = BlobTestFiles.blobFiles(store);
            BlobStore.VerifyReport report = store.verifyAll();
            assertTrue(report.ok(), "kill " + k + ": a blob that looks complete is not: " + report.corrupt());
            assertEquals(blobs.size(), report.checked());

            var rerun = BlobRoundTripTest.cli("ingest", "-i", input.toString(), "-d", data.toString(), "--json");
            assertEquals(0, rerun.code(), rerun.err());
            FileEntry entry = FileEntry.fromJson(Json.parseObject(rerun.out().getBytes(StandardCharsets.UTF_8)));
            assertEquals(INPUT_SIZE, entry.size());
            for (String id : entry.blobIds()) store.read(id); // present and verified
            if (k == KILLS - 1) {
                Path out = tmp.resolve("out.bin");
                Reassembly.toFile(entry, store, out, false, n -> {});
                assertEquals(inputHash, BlobTestFiles.sha256(out));
            }
            System.out.printf("ingest kill %d: %s, %d blobs survived, %d stale temporaries%n",
                    k, wasAlive ? "mid-job" : "after exit", blobs.size(), report.temporariesRemoved());
            BlobTestFiles.deleteTree(data);
        }
        System.out.println("ingest kills that landed mid-job: " + midJob + " of " + KILLS);
    }
}
