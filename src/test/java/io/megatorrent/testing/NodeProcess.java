package io.megatorrent.testing;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A megatorrent command run as its own process, the way a user starts it ({@code megatorrent
 * ARGS}, here as {@code java -cp CLASSPATH io.megatorrent.cli.Main ARGS} with a small heap): a
 * {@code serve} node, or a foreground {@code publish}. Reads the JSON lines it prints, calls
 * its local API with the token from {@code DIR/api.json}, and stops it by PID (TERM, then
 * KILL), or kills it outright to test crash recovery.
 */
public final class NodeProcess implements AutoCloseable {
    /** How long a node gets to print its first JSON line. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final String EOF = "\u0000eof";

    private final String name;
    private final Process process;
    private final Path dataDir;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stderr = new StringBuilder();
    private final HttpClient http = HttpClient.newHttpClient();
    private JsonObject ready;

    private NodeProcess(String name, Process process, Path dataDir) {
        this.name = name;
        this.process = process;
        this.dataDir = dataDir;
        Thread.ofPlatform().daemon().start(() -> pump(process.getInputStream(), true));
        Thread.ofPlatform().daemon().start(() -> pump(process.getErrorStream(), false));
    }

    /** {@code megatorrent serve -d DIR} on loopback with ports chosen by the system, plus {@code extra}. */
    public static NodeProcess serve(String name, Path dataDir, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("serve", "-d", dataDir.toString(), "--bind", "127.0.0.1", "--dht-port", "0"));
        args.addAll(List.of(extra));
        NodeProcess p = start(name, dataDir, args);
        p.ready = p.nextLine(READY_TIMEOUT);
        return p;
    }

    /** Any command line, as a process; its output lines can be read with {@link #nextLine}. */
    public static NodeProcess start(String name, Path dataDir, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        ProcessBuilder b = new ProcessBuilder(command);
        return new NodeProcess(name, b.start(), dataDir);
    }

    private void pump(InputStream in, boolean out) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (out) {
                    lines.add(line);
                } else {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                        if (stderr.length() > 20_000) stderr.delete(0, stderr.length() - 20_000);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            if (out) lines.add(EOF);
        }
    }

    /** The next JSON object the process prints on stdout. */
    public JsonObject nextLine(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line;
            try {
                line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (line == null) throw new IOException(name + " printed no JSON line within " + timeout.toSeconds() + " s; stderr:\n" + stderr());
            if (line.equals(EOF)) {
                lines.add(EOF);
                throw new IOException(name + " exited (" + exitCode(5) + ") before printing a JSON line; stderr:\n" + stderr());
            }
            try {
                if (Json.parse(line) instanceof JsonObject o) return o;
            } catch (CodecException e) {
                // a progress line: skip it
            }
        }
    }

    public String name() {
        return name;
    }

    public JsonObject ready() {
        return ready;
    }

    public long pid() {
        return process.pid();
    }

    public int dhtPort() throws CodecException {
        return (int) ready.integer("dhtPort");
    }

    public int listenPort() throws CodecException {
        return (int) ready.integer("listenPort");
    }

    public String staticKey() throws CodecException {
        return ready.string("staticKey");
    }

    public String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    /** A JSON-RPC error the node answered. */
    public static final class RpcError extends Exception {
        private static final long serialVersionUID = 1L;
        public final int code;

        RpcError(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** Calls a method of the node's API; returns its result or throws its error. */
    public JsonValue call(String method, JsonObject params) throws IOException, InterruptedException, RpcError, CodecException {
        JsonObject request = JsonObject.builder().put("jsonrpc", "2.0").put("method", method).put("params", params).put("id", 1).build();
        HttpResponse<String> r = post(Json.write(request), token());
        JsonObject answer = Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8));
        if (answer.has("error")) throw new RpcError((int) answer.object("error").integer("code"), answer.object("error").string("message"));
        return answer.require("result");
    }

    public JsonObject call(String method) throws IOException, InterruptedException, RpcError, CodecException {
        return (JsonObject) call(method, JsonObject.builder().build());
    }

    /** POSTs {@code body} to the API with {@code token} (null: no Authorization header). */
    public HttpResponse<String> post(String body, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url())).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String url() throws IOException {
        try {
            return Json.parseObject(Files.readAllBytes(dataDir.resolve("api.json"))).string("url");
        } catch (CodecException e) {
            throw new IOException(e);
        }
    }

    public String token() throws IOException {
        try {
            return Json.parseObject(Files.readAllBytes(dataDir.resolve("api.json"))).string("token");
        } catch (CodecException e) {
            throw new IOException(e);
        }
    }

    /** SIGKILL: the node gets no chance to save anything. */
    public void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, and the exit code (waits up to {@code seconds}). */
    public int terminate(int seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    /** The exit code once the process ends within {@code seconds}, else -1. */
    public int exitCode(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
