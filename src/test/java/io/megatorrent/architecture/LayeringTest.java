package io.megatorrent.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Packages are the protocol's layers: each imports only the layers below it (PROTOCOL_FINAL.md, design). */
class LayeringTest {
    private static final Map<String, Integer> LAYER = Map.of(
            "codec", 0, "crypto", 1, "dht", 2, "transport", 3, "content", 4, "ledger", 5, "node", 6,
            "cli", 7, "http", 7, "conformance", 7);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.megatorrent\\.([a-z0-9]+)\\.", Pattern.MULTILINE);

    @Test
    void everyImportPointsDownward() throws IOException {
        Path root = Peers.projectDir().resolve("src/main/java/io/megatorrent");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(file).getName(0).toString();
                Integer own = LAYER.get(pkg);
                if (own == null) {
                    violations.add(file + ": package '" + pkg + "' has no layer");
                    continue;
                }
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    Integer target = LAYER.get(m.group(1));
                    boolean sameFace = own == 7 && target != null && target == 7;
                    if (target == null || (target > own) || (target == own && !pkg.equals(m.group(1)) && !sameFace)) {
                        violations.add(root.relativize(file) + " imports " + m.group(1));
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
