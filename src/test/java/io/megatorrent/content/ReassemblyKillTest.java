package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL a child JVM at random points while it reassembles: the output is either absent or
 * complete and correct, never partial under its own name; a rerun writes it.
 */
class ReassemblyKillTest {
    static final int KILLS = 10;
    static final long INPUT_SIZE = 160L << 20;

    @TempDir
    Path tmp;

    @Test
    void killedReassemblyNeverLeavesAPartialOutputAndARerunFinishes() throws Exception {
        Path input = BlobTestFiles.random(tmp.resolve("input.bin"), INPUT_SIZE, 4);
        String inputHash = BlobTestFiles.sha256(input);
        Path data = tmp.resolve("data");
        BlobStore store = BlobStore.open(data);
        FileEntry entry = Ingest.file(input, store, n -> {});
        Path entryFile = Files.writeString(tmp.resolve("entry.json"), Json.write(entry.toJson()));
        Path outDir = Files.createDirectories(tmp.resolve("out"));
        Path out = outDir.resolve("file.bin");
        Random random = new Random();
        int midJob = 0;
        for (int k = 0; k < KILLS; k++) {
            Files.deleteIfExists(out);
            ProcessBuilder child = BlobTestFiles.megatorrent("256m", tmp.resolve("child.log"),
                    "reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString());
            boolean wasAlive = BlobTestFiles.killMidJob(child, outDir, 900, random, tmp.resolve("child.log"));
            if (wasAlive) midJob++;

            boolean complete = Files.exists(out);
            if (complete) assertEquals(inputHash, BlobTestFiles.sha256(out), "kill " + k + ": output present but not correct");
            for (Path f : list(outDir)) {
                String name = f.getFileName().toString();
                assertTrue(name.equals("file.bin") || name.equals(Reassembly.TEMP_FOLDER), "kill " + k + ": unexpected file " + f);
            }
            Path temps = outDir.resolve(Reassembly.TEMP_FOLDER);
            if (Files.isDirectory(temps)) {
                for (Path f : list(temps)) {
                    assertTrue(f.getFileName().toString().endsWith(Reassembly.TEMP_SUFFIX), "kill " + k + ": unexpected file " + f);
                }
            }
            assertTrue(store.verifyAll().ok());

            var rerun = BlobRoundTripTest.cli("reassemble", "-e", entryFile.toString(), "-d", data.toString(), "-o", out.toString(), "--force");
            assertEquals(0, rerun.code(), rerun.err());
            assertEquals(inputHash, BlobTestFiles.sha256(out));
            assertEquals(List.of(out), list(outDir), "the rerun removes the killed run's temporary and the emptied temporary folder");
            System.out.printf("reassembly kill %d: %s, output %s%n", k, wasAlive ? "mid-job" : "after exit", complete ? "complete" : "absent");
        }
        System.out.println("reassembly kills that landed mid-job: " + midJob + " of " + KILLS);
    }

    static List<Path> list(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
