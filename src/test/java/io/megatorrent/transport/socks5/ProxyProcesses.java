package io.megatorrent.transport.socks5;

import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/** Starts the real proxies from the templates in src/test/resources/proxies on free loopback ports. */
final class ProxyProcesses {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    static final Duration STOP_GRACE = Duration.ofSeconds(3);

    private ProxyProcesses() {}

    record Started(TestProcess process, int port) {}

    /** Fills ${KEY} placeholders of a template under /proxies/ on the test classpath. */
    static String template(String name, Map<String, String> values) throws IOException {
        try (InputStream in = ProxyProcesses.class.getResourceAsStream("/proxies/" + name)) {
            if (in == null) throw new IOException("missing test resource /proxies/" + name);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (var e : values.entrySet()) text = text.replace("${" + e.getKey() + "}", e.getValue());
            if (text.contains("${")) throw new IOException("unfilled placeholder in " + name);
            return text;
        }
    }

    /**
     * Starts {@code command(port)} on a free port and waits for it to listen. Another user of
     * the machine may take the port between our probe and the proxy's bind: then try another.
     */
    static Started start(String what, Path dir, IntFunction<List<String>> command) throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = Peers.freePort();
            Path log = dir.resolve(what.replaceAll("[^A-Za-z0-9]", "_") + "-" + port + ".log");
            TestProcess p = TestProcess.start(what, command.apply(port), log, STOP_GRACE);
            try {
                p.awaitPort(port, READY_TIMEOUT);
                return new Started(p, port);
            } catch (IOException e) {
                last = e;
                p.close();
            }
        }
        throw last;
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }
}
