package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The transport blocks on sockets on virtual threads. On JDK 21 a virtual thread blocking inside
 * a {@code synchronized} block pins its carrier, so a few slow peers could stall every
 * connection: the transport uses ReentrantLock only. This keeps it that way.
 */
class NoPinningTest {
    private static final Pattern KEYWORD = Pattern.compile("\\bsynchronized\\b");

    @Test
    void transportSourcesUseNoSynchronized() throws IOException {
        Path root = Peers.projectDir().resolve("src/main/java/io/megatorrent/transport");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).strip();
                    if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) continue;
                    int comment = code.indexOf("//");
                    if (comment >= 0) code = code.substring(0, comment);
                    if (KEYWORD.matcher(code).find()) found.add(root.relativize(f) + ":" + (i + 1) + ": " + code);
                }
            }
        }
        assertTrue(found.isEmpty(), "synchronized in the transport (use a ReentrantLock): " + found);
    }
}
