package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.conformance.Conformance;
import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our handshake and framing vectors are exactly what the generator makes, and pass the
 * conformance runner; so does the external cacophony file. Regenerate after a deliberate wire
 * change with {@code mvn test -Dtest=TransportVectorsTest -Dmegatorrent.writeVectors=true}.
 */
class TransportVectorsTest {
    private static Path vectorFile(String name) {
        return Peers.projectDir().resolve("test-vectors").resolve(name);
    }

    private static void checkOrWrite(String name, JsonObject generated) throws Exception {
        String text = Json.writePretty(generated) + "\n";
        Path file = vectorFile(name);
        if (Boolean.getBoolean("megatorrent.writeVectors")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
        assertTrue(Files.exists(file), file + " is missing: run with -Dmegatorrent.writeVectors=true");
        assertEquals(text, Files.readString(file, StandardCharsets.UTF_8), file + " differs from what the generator produces");
    }

    private static void runs(Path file, int expected) {
        Conformance.FileResult r = Conformance.runFile(file);
        assertEquals(0, r.failed(), () -> String.join("\n", r.failures()));
        assertEquals(expected, r.passed());
    }

    @Test
    void handshakeVectorsAreCurrentAndPass() throws Exception {
        JsonObject g = TransportVectors.handshake();
        checkOrWrite("handshake.json", g);
        runs(vectorFile("handshake.json"), g.array("vectors").items().size());
    }

    @Test
    void hybridHandshakeVectorsAreCurrentAndPass() throws Exception {
        JsonObject g = TransportVectors.handshakeHybrid();
        checkOrWrite("handshake-hybrid.json", g);
        runs(vectorFile("handshake-hybrid.json"), g.array("vectors").items().size());
    }

    @Test
    void framingVectorsAreCurrentAndPass() throws Exception {
        JsonObject g = TransportVectors.framing();
        checkOrWrite("framing.json", g);
        runs(vectorFile("framing.json"), g.array("vectors").items().size());
    }

    @Test
    void sessionVectorsAreCurrentAndPass() throws Exception {
        JsonObject g = TransportVectors.session();
        checkOrWrite("session.json", g);
        runs(vectorFile("session.json"), g.array("vectors").items().size());
        // The runner really checks: a valid sequence cut before its last answer's request fails.
        String text = Files.readString(vectorFile("session.json"));
        Path copy = Files.createTempFile("session", ".json");
        try {
            Files.writeString(copy, text.replaceFirst("\"valid\": true", "\"valid\": false, \"error_field\": \"type\""));
            assertEquals(1, Conformance.runFile(copy).failed());
        } finally {
            Files.delete(copy);
        }
    }

    @Test
    void cacophonyVectorsPass() {
        Path file = Peers.sharedVectors().resolve("noise-cacophony.json");
        Assumptions.assumeTrue(Files.exists(file), "external vectors not present at " + file);
        runs(file, 5);
    }

    @Test
    void cacophonyVectorsWithoutHandshakeHashPassOnTheirMessages(@TempDir Path dir) throws Exception {
        Path file = Peers.sharedVectors().resolve("noise-cacophony.json");
        Assumptions.assumeTrue(Files.exists(file), "external vectors not present at " + file);
        String text = Files.readString(file);
        String stripped = text.replaceAll("\"handshake_hash\"\\s*:\\s*\"[0-9a-f]*\"\\s*,?", "");
        assertTrue(!stripped.contains("handshake_hash") && !stripped.equals(text));
        Path copy = dir.resolve("noise-no-hash.json");
        Files.writeString(copy, stripped);
        runs(copy, 5);
        // The messages still pin the vector: one changed ciphertext digit fails it.
        int at = stripped.indexOf("\"ciphertext\": \"") + 15;
        Files.writeString(copy, stripped.substring(0, at) + (stripped.charAt(at) == '0' ? '1' : '0') + stripped.substring(at + 1));
        assertEquals(1, Conformance.runFile(copy).failed());
    }

    @Test
    void aCorruptedVectorFails(@TempDir Path dir) throws Exception {
        // The suites really compare bytes: change one hex digit of each file and each run must fail.
        for (String name : new String[] {"handshake.json", "framing.json"}) {
            String text = Files.readString(vectorFile(name));
            int at = text.indexOf("\"wire\": \"") + 12;
            char c = text.charAt(at);
            Path copy = dir.resolve(name);
            Files.writeString(copy, text.substring(0, at) + (c == '0' ? '1' : '0') + text.substring(at + 1));
            Conformance.FileResult r = Conformance.runFile(copy);
            assertEquals(1, r.failed(), name + ": " + r.failures());
        }
        Path cacophony = Peers.sharedVectors().resolve("noise-cacophony.json");
        if (Files.exists(cacophony)) {
            String text = Files.readString(cacophony).replaceFirst("\"handshake_hash\": \"8", "\"handshake_hash\": \"9");
            Path copy = dir.resolve("noise.json");
            Files.writeString(copy, text);
            assertEquals(1, Conformance.runFile(copy).failed());
        }
    }
}
