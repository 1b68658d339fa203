package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 4: a manifest parse bomb (64 MiB of empty objects, which as a JSON tree
 * needs 1.5-3 GiB) is refused while parsing, in a separate JVM with a 512 MiB heap; and a
 * manifest listing more bytes than a subscription's budget is reported before any fetch.
 */
@Timeout(120)
class ManifestBombTest {
    /** Run in a child JVM: parses the file as a manifest; exit 0 when refused with a ManifestException naming the value budget. */
    public static void main(String[] args) throws Exception {
        byte[] bomb = Files.readAllBytes(Path.of(args[0]));
        try {
            Manifest.parse(bomb);
            System.out.println("parsed?!");
            System.exit(2);
        } catch (ManifestException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(e.getMessage().contains("may hold") ? 0 : 3);
        }
    }

    @Test
    void aManifestOfEmptyObjectsIsRefusedWithinABoundedHeap(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bomb.json");
        int n = (Manifest.MAX_MANIFEST_BYTES - 64) / 3;
        StringBuilder sb = new StringBuilder(Manifest.MAX_MANIFEST_BYTES);
        sb.append("{\"collections\":[");
        for (int i = 0; i < n - 8; i++) sb.append(i == 0 ? "{}" : ",{}");
        sb.append("]}");
        Files.write(file, sb.toString().getBytes(StandardCharsets.US_ASCII));
        assertTrue(Files.size(file) <= Manifest.MAX_MANIFEST_BYTES);
        Process p = new ProcessBuilder(List.of(Peers.javaExecutable(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ManifestBombTest.class.getName(), file.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(100, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        System.out.println("finding 4: " + out.strip());
    }

    @Test
    void valueBudgetFollowsTheManifestLimits() {
        // a valid manifest at the limits fits its own budget: every item with its five values, and blob ids by size
        assertTrue(Manifest.maxValues(Manifest.MAX_MANIFEST_BYTES) >= 5L * Manifest.MAX_ITEMS + Manifest.MAX_MANIFEST_BYTES / 67);
        assertTrue(Manifest.MAX_CONTAINERS >= 2L * Manifest.MAX_ITEMS + 2L * Manifest.MAX_COLLECTIONS + 1);
    }

    @Test
    void aManifestOverTheSubscriptionBudgetIsReported() throws Exception {
        FileEntry big = new FileEntry("big.bin", 3L << 20, List.of("a".repeat(64), "b".repeat(64), "c".repeat(64)), new byte[32]);
        List<ManifestCollection> collections = List.of(new ManifestCollection("c", List.of(big, new FileEntry("empty", 0, List.of(), new byte[32]))));
        assertEquals(3L << 20, Manifest.totalBytes(collections));
        Manifest.requireWithin(collections, 3L << 20);
        ManifestException e = assertThrows(ManifestException.class, () -> Manifest.requireWithin(collections, (3L << 20) - 1));
        assertTrue(e.getMessage().contains("budget"), e.getMessage());
    }
}
