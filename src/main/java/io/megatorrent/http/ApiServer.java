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
import io.megatorrent.node.FileStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The node's HTTP server: the local control API (JSON-RPC 2.0 at {@code /api/rpc}), the web
 * page, the qBittorrent routes and file streaming ({@link WebUi}), on loopback unless told
 * otherwise. Guarded the way bitcoind guards its RPC: a random token written to
 * {@code DIR/api.json} (mode 0600, with the URL and the node's pid), sent as
 * {@code Authorization: Bearer TOKEN} or traded for a session cookie ({@link Access}); a request
 * without it is answered 401 (403 under /api/v2/) before its route or body is looked at.
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

    private final Access access;
    private final WebUi web;

    private ApiServer(HttpServer server, ExecutorService executor, String token, String url, Path apiFile, Access access, JsonRpc rpc, WebUi web) {
        this.server = server;
        this.executor = executor;
        this.token = token;
        this.url = url;
        this.apiFile = apiFile;
        this.access = access;
        this.rpc = rpc;
        this.web = web;
    }

    /** The page's address with a one-time token: what {@code megatorrent ui} prints. */
    static String uiUrl(InetSocketAddress at, String uiToken) {
        return "http://" + Access.literal(at.getAddress()) + ":" + at.getPort() + "/?token=" + uiToken;
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
        FileStreams streams = new FileStreams(daemon);
        Access access = new Access(token, at);
        ApiServer api = new ApiServer(server, executor, token, url, dataDir.resolve(API_FILE), access,
                new JsonRpc(daemon, streams, () -> uiUrl(at, access.newUiToken())), new WebUi(daemon, streams, access));
        server.createContext("/", api::handle);
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

    /**
     * Every request: the routes open to all (the page, its static files, {@code /?token=}, the
     * login route) check the Host header first; every other route checks the credentials first
     * (403 under /api/v2/ as qBittorrent does, 401 elsewhere), then the Host header, then,
     * for a state-changing method, that the request does not come from another site.
     */
    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            boolean qbt = path.startsWith("/api/v2/");
            if (!WebUi.isOpen(path)) {
                if (!access.authorized(ex)) {
                    drainNothing(ex);
                    if (qbt) {
                        WebUi.sendText(ex, 403, "Forbidden");
                    } else if (path.equals(RPC_PATH)) {
                        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"megatorrent\"");
                        sendJson(ex, 401, error(null, ApiException.INVALID_REQUEST, "missing or wrong API token (Authorization: Bearer TOKEN, from " + API_FILE + ")"));
                    } else {
                        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"megatorrent\"");
                        WebUi.sendError(ex, 401, "not signed in: open the link `megatorrent ui -d DIR` prints, or send Authorization: Bearer TOKEN (from " + API_FILE + ")");
                    }
                    return;
                }
            }
            if (!access.hostAllowed(ex)) {
                drainNothing(ex);
                WebUi.sendError(ex, 403, "the Host header does not name this server (allowed: " + String.join(", ", access.hosts()) + ")");
                return;
            }
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD") && !access.notCrossSite(ex)) {
                drainNothing(ex);
                WebUi.sendError(ex, 403, "a state-changing request from another site (Origin, Referer or Sec-Fetch-Site) is refused");
                return;
            }
            if (path.equals(RPC_PATH)) handleRpc(ex);
            else web.handle(ex);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "HTTP exchange failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "HTTP request failed", e);
        }
    }

    private void handleRpc(HttpExchange ex) throws IOException {
        {
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
        }
    }

    /**
     * The body, or null when it is longer than {@link #MAX_BODY_BYTES}. An oversized body is read
     * and dropped up to {@link #MAX_DRAINED_BYTES} (so the client reads our 413 instead of a
     * reset); a longer one is cut off with the connection. Never more than a bounded buffer.
     */
    static byte[] readBody(HttpExchange ex) throws IOException {
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

    static void drainNothing(HttpExchange ex) throws IOException {
        ex.getRequestBody().close();
    }

    static JsonObject error(JsonValue id, int code, String message) {
        return JsonObject.builder().put("jsonrpc", "2.0")
                .put("error", JsonObject.builder().put("code", code).put("message", message).build())
                .put("id", id == null ? JsonValue.JsonNull.INSTANCE : id).build();
    }

    static void sendJson(HttpExchange ex, int status, JsonObject body) throws IOException {
        WebUi.security(ex);
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
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
