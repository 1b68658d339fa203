package io.megatorrent.conformance;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The conformance runner: runs every {@code *.json} vector file it is given. A file is one of
 * our suites ({@code {"suite": NAME, ...}}), a Wycheproof file (by its {@code schema}), or a
 * cacophony Noise file ({@code {"vectors": [{"protocol_name": ...}]}}). A file it cannot run
 * is reported by name and its vectors count as failed, never skipped.
 */
public final class Conformance {
    /** Largest vector file read; the full Wycheproof files are well below it. */
    static final long MAX_FILE_SIZE = 64L << 20;

    private static final Map<String, Suite> SUITES = Map.ofEntries(
            Map.entry("bencode", new CodecSuites()),
            Map.entry("json", new CodecSuites()),
            Map.entry("ed25519", new CryptoSuites()),
            Map.entry("x25519", new CryptoSuites()),
            Map.entry("chacha20poly1305", new CryptoSuites()),
            Map.entry("blake2b", new CryptoSuites()),
            Map.entry("bep44", new Bep44Suite()),
            Map.entry("krpc", new KrpcSuite()),
            Map.entry("handshake", new TransportSuite()),
            Map.entry("handshake-hybrid", new HybridHandshakeSuite()),
            Map.entry("framing", new TransportSuite()),
            Map.entry("blob", new BlobSuite()),
            Map.entry("manifest", new ManifestSuite()),
            Map.entry("pointer", new ManifestSuite()),
            Map.entry("uri", new UriSuite()),
            Map.entry("session", new SessionSuite()),
            Map.entry("ledger", new LedgerSuite()));

    /** Verdict on one file. */
    public record FileResult(Path file, String format, int passed, int failed, List<String> failures) {}

    /** Verdicts on every file run. */
    public record Report(List<FileResult> files) {
        public int passed() {
            return files.stream().mapToInt(FileResult::passed).sum();
        }

        public int failed() {
            return files.stream().mapToInt(FileResult::failed).sum();
        }

        public boolean ok() {
            return failed() == 0 && passed() > 0;
        }
    }

    private Conformance() {}

    /** Runs the vector files under {@code paths}, printing one line per file and the total. */
    public static Report run(List<Path> paths, PrintStream out) throws IOException {
        List<FileResult> results = new ArrayList<>();
        for (Path file : vectorFiles(paths)) {
            FileResult r = runFile(file);
            results.add(r);
            out.printf("%s [%s]: %d passed, %d failed%n", file, r.format(), r.passed(), r.failed());
            r.failures().stream().limit(10).forEach(f -> out.println("    FAILED " + f));
            if (r.failures().size() > 10) out.println("    ... " + (r.failures().size() - 10) + " more failures");
        }
        Report report = new Report(results);
        out.println(report.passed() + " passed, " + report.failed() + " failed");
        return report;
    }

    static List<Path> vectorFiles(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".json"))
                            .sorted()
                            .forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IOException("no such file or folder: " + p);
            }
        }
        return files;
    }

    public static FileResult runFile(Path file) {
        Tally tally = new Tally();
        String format = "unknown";
        try {
            if (Files.size(file) > MAX_FILE_SIZE) {
                tally.failAll(1, "file larger than " + MAX_FILE_SIZE + " bytes");
                return result(file, "too large", tally);
            }
            JsonValue parsed = Json.parse(Files.readAllBytes(file));
            if (!(parsed instanceof JsonObject root)) {
                tally.failAll(1, "not a JSON object: unknown vector format");
                return result(file, format, tally);
            }
            if (root.has("suite")) {
                String suite = root.string("suite");
                format = "suite " + suite;
                Suite s = SUITES.get(suite);
                if (s == null) tally.failAll(vectorCount(root, "vectors"), "unknown suite '" + suite + "'");
                else checkEach(s, suite, root, tally);
            } else if (root.has("schema") && root.has("testGroups")) {
                format = "wycheproof " + root.string("schema");
                Wycheproof.run(root, tally);
            } else if (isCacophony(root)) {
                format = "cacophony noise";
                checkEach(new NoiseSuite(), "noise", root, tally);
            } else {
                tally.failAll(1, "unknown vector format (no 'suite', Wycheproof 'schema' or cacophony 'vectors')");
            }
        } catch (IOException e) {
            tally.failAll(1, "cannot read: " + e.getMessage());
        } catch (CodecException e) {
            tally.failAll(1, "malformed vector file: " + e.getMessage());
        } catch (Exception e) {
            tally.failAll(1, "runner error: " + e);
        }
        return result(file, format, tally);
    }

    private static void checkEach(Suite suite, String name, JsonObject root, Tally tally) throws CodecException {
        List<JsonObject> vectors = vectors(root);
        for (int i = 0; i < vectors.size(); i++) {
            JsonObject v = vectors.get(i);
            tally.check(id(v, i), () -> suite.check(name, v));
        }
    }

    private static FileResult result(Path file, String format, Tally tally) {
        return new FileResult(file, format, tally.passed(), tally.failed(), tally.failures());
    }

    private static boolean isCacophony(JsonObject root) {
        return root.get("vectors").orElse(null) instanceof JsonArray a
                && !a.items().isEmpty()
                && a.items().get(0) instanceof JsonObject v
                && v.has("protocol_name");
    }

    /** Number of entries in an array member, or 1 when absent: what an unrunnable file counts as failed. */
    static int vectorCount(JsonObject root, String key) {
        return root.get(key).orElse(null) instanceof JsonArray a ? Math.max(1, a.items().size()) : 1;
    }

    /** The {@code vectors} array of one of our suites, each element an object. */
    static List<JsonObject> vectors(JsonObject root) throws CodecException {
        List<JsonObject> out = new ArrayList<>();
        for (JsonValue v : root.array("vectors").items()) {
            if (!(v instanceof JsonObject o)) throw new CodecException("vector is not an object", 0);
            out.add(o);
        }
        return out;
    }

    /** A vector's name for failure messages: its "name"/"comment" if any, else its index. */
    static String id(JsonObject v, int index) {
        for (String key : List.of("name", "comment", "description", "protocol_name")) {
            if (v.get(key).orElse(null) instanceof JsonValue.JsonString s && !s.value().isEmpty()) {
                return "#" + index + " (" + s.value() + ")";
            }
        }
        return "#" + index;
    }
}
