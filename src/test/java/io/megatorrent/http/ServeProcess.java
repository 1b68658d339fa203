package io.megatorrent.http;

import io.megatorrent.cli.Main;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Peers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code megatorrent serve} node in a process of its own, started as a user starts it, on
 * loopback with ephemeral ports; its API endpoint read from {@code DIR/api.json}. Stopped by
 * its PID (TERM, then KILL).
 */
final class ServeProcess implements AutoCloseable {
    private final Process process;
    private final StringBuilder stderr = new StringBuilder();
    final Path dir;
    final JsonObject ready;
    final ApiServer.Endpoint endpoint;
    final int port;

    private ServeProcess(Process process, Path dir, JsonObject ready) throws IOException {
        this.process = process;
        this.dir = dir;
        this.ready = ready;
        this.endpoint = ApiServer.Endpoint.read(dir);
        this.port = java.net.URI.create(endpoint.url()).getPort();
    }

    static ServeProcess start(Path dir, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "-d", dir.toString(), "--bind", "127.0.0.1", "--dht-port", "0", "--listen-port", "0"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).start();
        StringBuilder err = new StringBuilder();
        Thread.ofPlatform().daemon().start(() -> { // a pipe read pins a virtual thread's carrier
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (err) {
                        err.append(line).append('\n');
                        if (err.length() > 8000) err.delete(0, err.length() - 8000);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> { // a pipe read pins a virtual thread's carrier
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) lines.add(line);
            } catch (IOException e) {
                // the process ended
            }
            lines.add("");
        });
        String first = lines.poll(90, TimeUnit.SECONDS);
        try {
            if (first == null || first.isEmpty()) throw new IOException("serve printed no ready line; stderr:\n" + err);
            ServeProcess s = new ServeProcess(p, dir, Json.parseObject(first.getBytes(StandardCharsets.UTF_8)));
            synchronized (err) {
                s.stderr.append(err);
            }
            return s;
        } catch (IOException | CodecException | RuntimeException e) {
            p.destroyForcibly();
            throw new IOException("serve did not start: " + e.getMessage(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int dhtPort() throws CodecException {
        return (int) ready.integer("dhtPort");
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** The Host header this node accepts. */
    String host() {
        return "127.0.0.1:" + port;
    }

    /** A JSON-RPC call with the bearer token; throws with the node's message on an error object. */
    JsonValue rpc(String method, JsonObject params) throws IOException, CodecException {
        JsonObject req = JsonObject.builder().put("jsonrpc", "2.0").put("method", method).put("params", params).put("id", 1).build();
        RawHttp.Response r = RawHttp.send(port, "POST", ApiServer.RPC_PATH, Map.of("Host", host(), "Authorization", "Bearer " + endpoint.token(),
                "Content-Type", "application/json"), Json.write(req).getBytes(StandardCharsets.UTF_8));
        JsonObject answer = Json.parseObject(r.body());
        if (answer.has("error")) throw new IOException(method + ": " + Json.write(answer.require("error")));
        return answer.require("result");
    }

    JsonValue rpc(String method) throws IOException, CodecException {
        return rpc(method, JsonObject.builder().build());
    }

    /** Waits until the subscription to {@code keyHex} is complete. */
    JsonObject awaitComplete(String keyHex, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonObject s = null;
        while (System.nanoTime() < deadline) {
            s = (JsonObject) rpc("subscription", JsonObject.builder().put("publicKey", keyHex).build());
            if (s.bool("complete")) return s;
            Thread.sleep(100);
        }
        throw new AssertionError("subscription not complete within " + timeout.toSeconds() + " s: " + (s == null ? "" : Json.write(s)) + "\nstderr:\n" + stderrTail());
    }

    /** Waits until the node knows at least one DHT node (so a publish can store its pointer). */
    void awaitDhtNodes(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (((JsonObject) rpc("status")).integer("dhtNodes") > 0) return;
            Thread.sleep(100);
        }
        throw new AssertionError("no DHT node known within " + timeout.toSeconds() + " s");
    }

    String stderrTail() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
