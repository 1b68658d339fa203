package io.megatorrent.http;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** The Chrome DevTools protocol over the JDK's WebSocket client: commands by id, events ignored. */
final class Cdp implements AutoCloseable {
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentHashMap<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

    private Cdp(URI browser) throws IOException, InterruptedException {
        try {
            socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(browser, new Listener()).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no DevTools connection to " + browser + ": " + e, e);
        }
    }

    static Cdp connect(URI browser) throws IOException, InterruptedException {
        return new Cdp(browser);
    }

    /** Sends one command (to the page of {@code sessionId}, or the browser when null) and waits for its result. */
    JsonObject send(String sessionId, String method, JsonObject params) throws IOException, InterruptedException {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> answer = new CompletableFuture<>();
        pending.put(id, answer);
        JsonObject.Builder msg = JsonObject.builder().put("id", id).put("method", method).put("params", params);
        if (sessionId != null) msg.put("sessionId", sessionId);
        socket.sendText(Json.write(msg.build()), true).join();
        try {
            JsonObject a = answer.get(60, TimeUnit.SECONDS);
            if (a.has("error")) throw new IOException(method + " failed: " + Json.write(a.require("error")));
            return a.object("result");
        } catch (ExecutionException | TimeoutException | CodecException e) {
            throw new IOException(method + ": " + e, e);
        } finally {
            pending.remove(id);
        }
    }

    /** Evaluates a JavaScript expression in the page (promises awaited) and returns its value. */
    JsonValue eval(String sessionId, String expression) throws IOException, InterruptedException {
        JsonObject r = send(sessionId, "Runtime.evaluate", JsonObject.builder().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true).build());
        try {
            if (r.has("exceptionDetails")) throw new IOException("script failed: " + Json.write(r.require("exceptionDetails")));
            return r.object("result").get("value").orElse(JsonValue.JsonNull.INSTANCE);
        } catch (CodecException e) {
            throw new IOException(e);
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    JsonObject o = Json.parseObject(message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    if (o.has("id")) {
                        CompletableFuture<JsonObject> f = pending.get((int) o.integer("id"));
                        if (f != null) f.complete(o);
                    }
                } catch (CodecException e) {
                    // not for us
                }
            }
            webSocket.request(1);
            return null;
        }
    }

    @Override
    public void close() {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null);
        socket.abort();
    }
}
