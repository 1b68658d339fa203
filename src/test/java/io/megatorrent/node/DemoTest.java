package io.megatorrent.node;

import io.megatorrent.testing.Cli;
import io.megatorrent.testing.FileDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.cli.ExitCodes;
import io.megatorrent.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `megatorrent demo` end to end, in process: a real swarm on loopback with small files. */
@Timeout(60)
class DemoTest {

    static Cli.Result run(String... argv) {
        return Cli.run(argv);
    }

    @Test
    void publicChannelWalksTheWholeProtocolAndCleansUp() throws Exception {
        run("demo", "--size", "1K", "--nodes", "2"); // warm up: class loading opens jar files once
        long fdsBefore = FileDescriptors.open();
        Cli.Result r = run("demo", "--size", "300K", "--nodes", "4");
        assertEquals(0, r.code(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("demo passed", lines[lines.length - 1], r.out());
        assertTrue(r.out().contains("4 nodes up on 127.0.0.1"), r.out());
        assertTrue(r.out().contains("pointer seq 1 got from the DHT"), r.out());
        // files: 300K, 450K + 1, 150K + 3 and a text file = 4 blobs; plus 1 manifest blob
        assertTrue(r.out().contains("ingested 4 files into 4 blobs"), r.out());
        assertTrue(r.out().contains("announced 5 blobs"), r.out());
        assertEquals(2, count(r.out(), "SHA-256 identical to the originals"), r.out());
        // the first subscriber has one peer, the second finds the first as well
        assertTrue(r.out().contains("4 blobs downloaded and verified (SHA-256), files in parallel, from 1 peer"), r.out());
        assertTrue(r.out().contains("from 2 peers"), r.out());
        Matcher folder = Pattern.compile("folder: (\\S+)").matcher(r.out());
        assertTrue(folder.find(), r.out());
        assertFalse(Files.exists(Path.of(folder.group(1))), "temporary folder left behind: " + folder.group(1));
        // every socket (4 + 3 UDP, 3 listeners, the Noise connections) and file was closed
        if (fdsBefore >= 0) assertEquals(fdsBefore, FileDescriptors.open(), "file descriptors before and after the demo");
    }


    @Test
    void privateChannelIsReadOnlyWithTheReadKey(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Cli.Result r = run("demo", "--private", "--size", "100K", "--nodes", "3", "-d", dir.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().strip().endsWith("demo passed"), r.out());
        assertTrue(r.out().contains("channel (private) megatorrent://"), r.out());
        assertTrue(r.out().contains("decrypted with the read key"), r.out());
        assertTrue(r.out().contains("without the read key: signer and seq 1 verified, file list unreadable"), r.out());
        // -d keeps everything: every node's store, keys, DHT state and the downloads
        for (String node : new String[] {"publisher", "subscriber-1", "subscriber-2"}) {
            assertTrue(Files.isDirectory(dir.resolve(node).resolve("blobs")), node);
            assertTrue(Files.isRegularFile(dir.resolve(node).resolve("transport-static.key")), node);
        }
        assertTrue(Files.isRegularFile(dir.resolve("subscriber-2/downloads/demo/random/random-1.bin")));
        assertEquals(100 * 1024, Files.size(dir.resolve("subscriber-2/downloads/demo/random/random-1.bin")));
        assertTrue(Files.readString(dir.resolve("subscriber-1/downloads/demo/README.txt")).contains("Megatorrent v6 swarm"));

        // a folder that is not empty is refused, and nothing in it is touched
        Cli.Result again = run("demo", "--size", "1K", "-d", dir.toString());
        assertEquals(ExitCodes.FAILED, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("demo FAILED: ") && again.out().contains("is not empty"), again.out());
    }

    @Test
    void selfCheckRunsTheVectorsFirst() {
        // one small suite keeps the test quick; the conformance tests run them all
        Path vectors = io.megatorrent.testing.Peers.projectDir().resolve("test-vectors").resolve("bencode.json");
        Cli.Result r = run("demo", "--self-check", "--vectors", vectors.toString(), "--size", "1K", "--nodes", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().indexOf("self-check passed") < r.out().indexOf("megatorrent demo: a local swarm"), r.out());
        assertTrue(r.out().strip().endsWith("demo passed"), r.out());

        Cli.Result missing = run("demo", "--self-check", "--vectors", vectors.resolve("nothing-here").toString());
        assertEquals(ExitCodes.IO, missing.code(), missing.out() + missing.err());
    }

    /**
     * The demo and its self-check, 20 runs in a row: each run reassembles several files into one
     * folder at once (the race on the shared temporary folder failed about one run in three).
     */
    @Test
    @Timeout(120)
    void demoAndItsSelfCheckPassTwentyRunsInARow() {
        Path vectors = io.megatorrent.testing.Peers.projectDir().resolve("test-vectors").resolve("bencode.json");
        for (int i = 0; i < 20; i++) {
            String size = i % 2 == 0 ? "1K" : "100K";
            Cli.Result r = i % 4 == 3
                    ? run("demo", "--private", "--size", size, "--nodes", "2")
                    : run("demo", "--self-check", "--vectors", vectors.toString(), "--size", size, "--nodes", "2");
            assertEquals(0, r.code(), "run " + (i + 1) + " of 20: " + r.out() + r.err());
            assertTrue(r.out().strip().endsWith("demo passed"), "run " + (i + 1) + " of 20: " + r.out());
        }
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(ExitCodes.USAGE, run("demo", "--size", "lots").code());
        assertEquals(ExitCodes.USAGE, run("demo", "--size", "2G").code());
        assertEquals(ExitCodes.USAGE, run("demo", "--nodes", "0").code());
        assertEquals(ExitCodes.USAGE, run("demo", "extra").code());
        assertEquals(ExitCodes.USAGE, run("demo", "--vectors", "x").code());
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) n++;
        return n;
    }
}
