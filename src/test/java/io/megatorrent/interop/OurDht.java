package io.megatorrent.interop;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Peers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Our DHT, driven only through the CLI that issue 3 fixes: one-shot commands in-process through
 * {@link Main#run}, and the long-lived {@code dht node} as a child JVM (stopped by PID).
 */
final class OurDht {
    private OurDht() {}

    /** --timeout given to every one-shot command (a lookup and a store on a 3-node network). */
    static final int COMMAND_TIMEOUT_SECONDS = 10;
    static final Duration NODE_START_TIMEOUT = Duration.ofSeconds(30);
    /** The node's own lifetime bound (--seconds), in case the test JVM dies before stopping it. */
    static final int NODE_LIFETIME_SECONDS = 300;

    /** One CLI run: exit code, the JSON object it printed (null if none or not JSON), stdout, stderr. */
    record Run(List<String> argv, int exit, JsonObject json, String stdout, String stderr) {
        String describe() {
            return "megatorrent " + String.join(" ", argv) + "\n  exit " + exit + "\n  stdout: " + stdout.strip()
                    + "\n  stderr: " + tail(stderr.strip());
        }

        private static String tail(String s) {
            return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
        }
    }

    /** Runs {@code megatorrent dht COMMAND ARGS... --timeout N} in this JVM. */
    static Run dht(String command, String... args) {
        List<String> argv = new ArrayList<>(List.of("dht", command));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--timeout", Integer.toString(COMMAND_TIMEOUT_SECONDS)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Main.run(argv.toArray(String[]::new), o, e);
        }
        String stdout = out.toString(StandardCharsets.UTF_8);
        JsonObject json = null;
        try {
            if (!stdout.isBlank() && Json.parse(stdout.strip()) instanceof JsonValue.JsonObject o) json = o;
        } catch (CodecException ignored) {
            // left null: the check reports the raw stdout
        }
        return new Run(argv, exit, json, stdout, err.toString(StandardCharsets.UTF_8));
    }

    /** Our long-lived {@code dht node}, a child JVM. */
    static final class Node implements AutoCloseable {
        private final JsonLineProcess process;
        private final int port;
        private final String id;

        private Node(JsonLineProcess process) throws CodecException {
            this.process = process;
            this.port = (int) process.readyLine().integer("port");
            this.id = process.readyLine().string("id");
        }

        int port() {
            return port;
        }

        String id() {
            return id;
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        String stderrTail() {
            return process.stderrTail();
        }

        @Override
        public void close() {
            process.close();
        }
    }

    /** Starts {@code megatorrent dht node} on an ephemeral loopback port, its state in dataDir. */
    static Node startNode(String name, Path dataDir, List<String> bootstrap) throws IOException, CodecException {
        List<String> command = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "dht", "node", "--port", "0", "--bind", "127.0.0.1",
                "-d", dataDir.toString(), "--seconds", Integer.toString(NODE_LIFETIME_SECONDS)));
        for (String b : bootstrap) command.addAll(List.of("--bootstrap", b));
        return new Node(JsonLineProcess.start(name, command, dataDir, NODE_START_TIMEOUT));
    }
}
