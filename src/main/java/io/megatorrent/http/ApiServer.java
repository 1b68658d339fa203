package io.megatorrent.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.SecretFile;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The node's local control API: JSON-RPC 2.0 over HTTP at {@code /api/rpc}, on loopback unless
 * told otherwise, guarded the way bitcoind guards its RPC: a random token written to
 * {@code DIR/api.json} (mode 0600, with the URL and the node's pid) must come with every call as
 * {@code Authorization: Bearer TOKEN}; anything else is answered 401 before the body is read.
 * Each exchange runs on a virtual thread; bodies over {@link #MAX_BODY_BYTES} get 413, and past
 * {@link #MAX_CONCURRENT_CALLS} calls at once the server answers 503 instead of queueing.
 */
public final class ApiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());

    public static final String API_FILE = "api.json";
    public static final String RPC_PATH = "/api/rpc";
    /** Largest request body: the biggest call (a publish with a long path) is a few KiB. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** Calls served at once; more are answered 503 (a local client has no reason to send more). */
    public static final int MAX_CONCURRENT_CALLS = 32;

    static {
        // The JDK server's own limits (read once, when its classes load): a client that sends
        // its request or reads its answer too slowly is cut off, and headers are bounded.
        setIfAbsent("sun.net.httpserver.maxReqTime", "30");
        setIfAbsent("sun.net.httpserver.maxRspTime", "600");
        setIfAbsent("sun.net.httpserver.maxReqHeaders", "100");
        setIfAbsent("sun.net.httpserver.idleInterval", "30");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String token;
    private final String url;
    private final Path apiFile;
    private final Semaphore calls = new Semaphore(MAX_CONCURRENT_CALLS);
    private final JsonRpc rpc;

    private ApiServer(HttpServer server, ExecutorService executor, String token, String url, Path apiFile, JsonRpc rpc) {
        this.server = server;
        this.executor = executor;
        this.token = token;
        this.url = url;
        this.apiFile = apiFile;
        this.rpc = rpc;
    }

    /**
     * Opens the API of {@code daemon} on {@code bind} and writes {@code dataDir/api.json}
     * (atomically, mode 0600) so that local commands can find and authenticate to it.
     */
    public static ApiServer start(Daemon daemon, InetSocketAddress bind, Path dataDir) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String token = Hex.encode(secret);
        HttpServer server = HttpServer.create(bind, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        InetSocketAddress at = server.getAddress();
        String host = at.getAddress() instanceof java.net.Inet6Address ? "[" + at.getAddress().getHostAddress() + "]" : at.getAddress().getHostAddress();
        String url = "http://" + host + ":" + at.getPort() + RPC_PATH;
        ApiServer api = new ApiServer(server, executor, token, url, dataDir.resolve(API_FILE), new JsonRpc(daemon));
        server.createContext(RPC_PATH, api::handleRpc);
        server.createContext("/", api::handleOther);
        server.start();
        try {
            JsonObject file = JsonObject.builder().put("url", url).put("token", token).put("pid", ProcessHandle.current().pid()).build();
            SecretFile.write(api.apiFile, (Json.write(file) + "\n").getBytes(StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            api.close();
            throw e;
        }
        return api;
    }

    public String url() {
        return url;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handleOther(HttpExchange ex) throws IOException {
        try (ex) {
            drainNothing(ex);
            sendJson(ex, 404, error(null, ApiException.METHOD_NOT_FOUND, "no such route: the API is POST " + RPC_PATH));
        }
    }

    private void handleRpc(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"megatorrent\"");
                sendJson(ex, 401, error(null, ApiException.INVALID_REQUEST, "missing or wrong API token (Authorization: Bearer TOKEN, from " + API_FILE + ")"));
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "POST");
                sendJson(ex, 405, error(null, ApiException.INVALID_REQUEST, "use POST for JSON-RPC calls"));
                return;
            }
            if (!calls.tryAcquire()) {
                sendJson(ex, 503, error(null, ApiException.UNAVAILABLE, "too many API calls at once; try again"));
                return;
            }
            try {
                byte[] body = readBody(ex);
                if (body == null) {
                    sendJson(ex, 413, error(null, ApiException.INVALID_REQUEST, "request body over " + MAX_BODY_BYTES + " bytes"));
                    return;
                }
                JsonObject answer = rpc.handle(body);
                if (answer == null) {
                    ex.sendResponseHeaders(204, -1); // a notification: no answer
                    return;
                }
                sendJson(ex, 200, answer);
            } finally {
                calls.release();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "API exchange failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "API call failed", e);
        }
    }

    /** Constant-time comparison of the bearer token. */
    private boolean authorized(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) return false;
        byte[] given = h.substring("Bearer ".length()).strip().getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(given, token.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The body, or null when it is longer than {@link #MAX_BODY_BYTES}. An oversized body is read
     * and dropped up to {@link #MAX_DRAINED_BYTES} (so the client reads our 413 instead of a
     * reset); a longer one is cut off with the connection. Never more than a bounded buffer.
     */
    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
            if (b.length <= MAX_BODY_BYTES) return b;
            in.skipNBytes(Math.max(0, Math.min(MAX_DRAINED_BYTES, declaredLength(ex)) - b.length));
            return null;
        } catch (java.io.EOFException e) {
            return null;
        }
    }

    /** Oversized bodies read and dropped at most, before answering 413. */
    static final long MAX_DRAINED_BYTES = 1 << 20;

    private static long declaredLength(HttpExchange ex) {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        try {
            return declared == null ? 0 : Long.parseLong(declared.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void drainNothing(HttpExchange ex) throws IOException {
        ex.getRequestBody().close();
    }

    static JsonObject error(JsonValue id, int code, String message) {
        return JsonObject.builder().put("jsonrpc", "2.0")
                .put("error", JsonObject.builder().put("code", code).put("message", message).build())
                .put("id", id == null ? JsonValue.JsonNull.INSTANCE : id).build();
    }

    private static void sendJson(HttpExchange ex, int status, JsonObject body) throws IOException {
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Reads {@code DIR/api.json}: the URL and token of the node serving DIR. */
    public record Endpoint(String url, String token, long pid) {
        public static Endpoint read(Path dataDir) throws IOException {
            Path f = dataDir.resolve(API_FILE);
            byte[] bytes = SecretFile.read(f, 4096);
            try {
                JsonObject o = Json.parseObject(bytes);
                return new Endpoint(o.string("url"), o.string("token"), o.integer("pid"));
            } catch (CodecException e) {
                throw new IOException(f + " is not a valid API file: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            // only our own file: a newer node may have written its own meanwhile
            Endpoint e = Endpoint.read(apiFile.getParent());
            if (e.token().equals(token)) Files.deleteIfExists(apiFile);
        } catch (IOException e) {
            // gone already
        }
    }
}
