package io.megatorrent.cli;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.http.ApiServer;
import io.megatorrent.node.DataDirLock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The command line's way into a running node: finds the node serving a data folder (its lock is
 * held) through {@code DIR/api.json}, and makes JSON-RPC calls with the token written there.
 */
final class ApiClient {
    /** How long a command waits for a node that holds the folder's lock to write its api.json. */
    static final Duration WAIT_FOR_API = Duration.ofSeconds(30);

    /** A JSON-RPC error answered by the node. */
    static final class CallException extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        CallException(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ApiServer.Endpoint endpoint;
    private final AtomicLong ids = new AtomicLong();

    private ApiClient(ApiServer.Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** The client of the node serving {@code dataDir}, or null when no node serves it. */
    static ApiClient find(Path dataDir) throws IOException, InterruptedException {
        if (!DataDirLock.isHeld(dataDir)) return null;
        long deadline = System.nanoTime() + WAIT_FOR_API.toNanos();
        IOException last = null;
        while (System.nanoTime() - deadline < 0) {
            if (Files.exists(dataDir.resolve(ApiServer.API_FILE))) {
                try {
                    ApiServer.Endpoint e = ApiServer.Endpoint.read(dataDir);
                    if (ProcessHandle.of(e.pid()).map(ProcessHandle::isAlive).orElse(false)) return new ApiClient(e);
                } catch (IOException e) {
                    last = e; // being written, or left by a node that died: wait for the new one
                }
            }
            if (!DataDirLock.isHeld(dataDir)) return null;
            Thread.sleep(100);
        }
        throw new IOException("a node holds " + dataDir + " but wrote no usable " + ApiServer.API_FILE + " within "
                + WAIT_FOR_API.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()));
    }

    /** Calls {@code method}; returns its result. */
    JsonValue call(String method, JsonObject params) throws IOException, InterruptedException, CallException {
        JsonObject request = JsonObject.builder().put("jsonrpc", "2.0").put("method", method).put("params", params).put("id", ids.incrementAndGet()).build();
        HttpRequest r = HttpRequest.newBuilder(URI.create(endpoint.url()))
                .header("Authorization", "Bearer " + endpoint.token())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(request), StandardCharsets.UTF_8))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IOException("the node at " + endpoint.url() + " did not answer: " + e.getMessage(), e);
        }
        JsonObject answer;
        try {
            answer = Json.parseObject(response.body());
        } catch (CodecException e) {
            throw new IOException("the node answered HTTP " + response.statusCode() + " with no JSON-RPC response");
        }
        try {
            if (answer.has("error")) {
                JsonObject err = answer.object("error");
                throw new CallException((int) err.integer("code"), err.string("message"));
            }
            return answer.require("result");
        } catch (CodecException e) {
            throw new IOException("malformed JSON-RPC response: " + e.getMessage());
        }
    }
}
