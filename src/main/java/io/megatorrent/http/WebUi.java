package io.megatorrent.http;

import com.sun.net.httpserver.HttpExchange;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import io.megatorrent.node.FileStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Everything the HTTP server serves besides JSON-RPC: the web page and its static files (from
 * the jar), {@code /?token=} (a one-time link to a session), qBittorrent's login route and the
 * megatorrent qBittorrent routes, and the stream route. {@link ApiServer} has checked the
 * credentials, the Host header and the request's site before a request gets here.
 */
final class WebUi {
    private static final System.Logger LOG = System.getLogger(WebUi.class.getName());

    /** The page's static files: name in the jar (beside this class, under web/) and content type. */
    static final Map<String, String> STATIC = Map.of(
            "/index.html", "text/html; charset=utf-8",
            "/app.js", "text/javascript; charset=utf-8",
            "/app.css", "text/css; charset=utf-8");
    static final String LOGIN_PATH = "/api/v2/auth/login";
    static final String LOGOUT_PATH = "/api/v2/auth/logout";
    static final String STREAM_PREFIX = "/stream/";
    /** Every page and answer: no inline script, nothing from elsewhere, no framing. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    /** Streams served at once (a media element opens a few); more get 503. */
    static final int MAX_STREAMS = 16;

    private final Access access;
    private final FileStreams streams;
    private final QbittorrentRoutes qbt;
    private final Semaphore streamSlots = new Semaphore(MAX_STREAMS);
    private final Semaphore calls = new Semaphore(ApiServer.MAX_CONCURRENT_CALLS);

    WebUi(Daemon daemon, FileStreams streams, Access access) {
        this.access = access;
        this.streams = streams;
        this.qbt = new QbittorrentRoutes(daemon, streams);
    }

    /** Routes anyone may ask for (the Host header is still checked): the page, its files, the login route. */
    static boolean isOpen(String path) {
        return path.equals("/") || STATIC.containsKey(path) || path.equals(LOGIN_PATH);
    }

    void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        security(ex);
        if (path.equals("/") || STATIC.containsKey(path)) {
            ApiServer.drainNothing(ex);
            if (!method.equals("GET") && !method.equals("HEAD")) {
                methodNotAllowed(ex, "GET, HEAD");
                return;
            }
            if (path.equals("/")) {
                String token = queryParam(ex.getRequestURI().getRawQuery(), "token");
                if (token != null) {
                    redeem(ex, token);
                    return;
                }
            }
            sendStatic(ex, path.equals("/") ? "/index.html" : path, method.equals("HEAD"));
        } else if (path.equals(LOGIN_PATH)) {
            login(ex);
        } else if (path.equals(LOGOUT_PATH)) {
            ApiServer.drainNothing(ex);
            if (!method.equals("POST")) {
                methodNotAllowed(ex, "POST");
                return;
            }
            access.endSession(access.session(ex));
            sendText(ex, 200, "Ok.");
        } else if (path.startsWith(QbittorrentRoutes.PREFIX)) {
            qbittorrent(ex, path, method);
        } else if (path.startsWith(STREAM_PREFIX)) {
            ApiServer.drainNothing(ex);
            stream(ex, path, method);
        } else {
            ApiServer.drainNothing(ex);
            sendError(ex, 404, "no such route: " + path + " (the page is /, the API POST " + ApiServer.RPC_PATH + ", qBittorrent routes under "
                    + QbittorrentRoutes.PREFIX + ", files under " + STREAM_PREFIX + ")");
        }
    }

    /** {@code /?token=T}: a valid one-time token becomes a session cookie and a redirect to the page. */
    private void redeem(HttpExchange ex, String token) throws IOException {
        if (!access.redeemUiToken(token)) {
            sendError(ex, 403, "this link is used up or expired (links work once, for " + Access.UI_TOKEN_LIFE.toMinutes()
                    + " minutes): run `megatorrent ui -d DIR` again");
            return;
        }
        ex.getResponseHeaders().add("Set-Cookie", cookie(Access.SESSION_COOKIE, access.newSession()));
        ex.getResponseHeaders().set("Location", "/");
        ex.sendResponseHeaders(303, -1);
    }

    private static String cookie(String name, String value) {
        return name + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
    }

    /** qBittorrent's {@code POST /api/v2/auth/login}: username (ignored) and password (the API token) -> {@code Ok.} and a SID cookie. */
    private void login(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            ApiServer.drainNothing(ex);
            methodNotAllowed(ex, "POST");
            return;
        }
        byte[] body = ApiServer.readBody(ex);
        if (body == null) {
            sendError(ex, 413, "request body over " + ApiServer.MAX_BODY_BYTES + " bytes");
            return;
        }
        Map<String, String> f;
        try {
            f = QbittorrentRoutes.form(new String(body, StandardCharsets.UTF_8));
        } catch (ApiException e) {
            sendError(ex, 400, e.getMessage());
            return;
        }
        if (!access.isApiToken(f.get("password"))) {
            sendText(ex, 200, "Fails."); // what qBittorrent answers
            return;
        }
        ex.getResponseHeaders().add("Set-Cookie", cookie(Access.QBITTORRENT_COOKIE, access.newSession()));
        sendText(ex, 200, "Ok.");
    }

    private void qbittorrent(HttpExchange ex, String path, String method) throws IOException {
        String route = QbittorrentRoutes.route(path);
        if (route == null) {
            ApiServer.drainNothing(ex);
            sendError(ex, 404, "no route " + path + " (routes: " + String.join(", ", new java.util.TreeSet<>(QbittorrentRoutes.CHANGING))
                    + ", " + String.join(", ", new java.util.TreeSet<>(QbittorrentRoutes.READING)) + "; each also as <name>Action)");
            return;
        }
        boolean changing = QbittorrentRoutes.CHANGING.contains(route);
        if (!method.equals("POST") && (changing || !method.equals("GET"))) {
            ApiServer.drainNothing(ex);
            methodNotAllowed(ex, changing ? "POST" : "GET, POST");
            return;
        }
        if (!calls.tryAcquire()) {
            ApiServer.drainNothing(ex);
            sendError(ex, 503, "too many calls at once; try again");
            return;
        }
        try {
            String encoded;
            if (method.equals("POST")) {
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                byte[] body = ApiServer.readBody(ex);
                if (body == null) {
                    sendError(ex, 413, "request body over " + ApiServer.MAX_BODY_BYTES + " bytes");
                    return;
                }
                if (body.length > 0 && (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded"))) {
                    sendError(ex, 415, "send the fields as application/x-www-form-urlencoded");
                    return;
                }
                encoded = new String(body, StandardCharsets.UTF_8);
            } else {
                ApiServer.drainNothing(ex);
                encoded = ex.getRequestURI().getRawQuery();
            }
            JsonValue result;
            try {
                result = qbt.call(route, QbittorrentRoutes.form(encoded));
            } catch (ApiException e) {
                sendError(ex, httpStatus(e.code()), e.getMessage());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sendError(ex, 503, "the node is shutting down");
                return;
            }
            sendJson(ex, 200, result);
        } finally {
            calls.release();
        }
    }

    static int httpStatus(int apiCode) {
        return switch (apiCode) {
            case ApiException.NOT_FOUND -> 404;
            case ApiException.FAILED -> 500;
            case ApiException.UNAVAILABLE -> 503;
            case ApiException.METHOD_NOT_FOUND -> 404;
            default -> 400;
        };
    }

    /** {@code /stream/<channel key hex>/<collection>/<item, possibly with slashes>}. */
    private void stream(HttpExchange ex, String path, String method) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            methodNotAllowed(ex, "GET, HEAD");
            return;
        }
        String[] parts = path.substring(STREAM_PREFIX.length()).split("/", 3);
        if (parts.length < 3 || parts[2].isEmpty()) {
            sendError(ex, 404, "a file is named /stream/<channel key hex>/<collection>/<item>");
            return;
        }
        String key;
        String collection;
        String item;
        try {
            key = QbittorrentRoutes.key(parts[0]);
            collection = URLDecoder.decode(parts[1].replace("+", "%2B"), StandardCharsets.UTF_8);
            StringBuilder it = new StringBuilder();
            for (String seg : parts[2].split("/", -1)) {
                if (!it.isEmpty()) it.append('/');
                it.append(URLDecoder.decode(seg.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
            item = it.toString();
        } catch (ApiException e) {
            sendError(ex, 400, e.getMessage());
            return;
        } catch (IllegalArgumentException e) {
            sendError(ex, 400, "the path is not valid percent-encoding: " + e.getMessage());
            return;
        }
        if (!streamSlots.tryAcquire()) {
            sendError(ex, 503, "too many streams at once; try again");
            return;
        }
        try {
            FileStreams.StreamFile file = streams.open(key, collection, item);
            Streaming.send(ex, file, method.equals("HEAD"));
        } catch (ApiException e) {
            sendError(ex, httpStatus(e.code()), e.getMessage());
        } catch (IOException e) {
            // before the headers: say why; after them the client sees the response cut short
            if (ex.getResponseCode() == -1) sendError(ex, 504, "could not read the file: " + e.getMessage());
            else LOG.log(System.Logger.Level.DEBUG, "stream of " + path + " cut: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streamSlots.release();
        }
    }

    private static String queryParam(String rawQuery, String name) {
        if (rawQuery == null) return null;
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                try {
                    return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return "";
                }
            }
        }
        return null;
    }

    private void sendStatic(HttpExchange ex, String name, boolean headOnly) throws IOException {
        byte[] bytes;
        try (InputStream in = WebUi.class.getResourceAsStream("web" + name)) {
            if (in == null) {
                sendError(ex, 500, "the page's file " + name + " is missing from the jar");
                return;
            }
            bytes = in.readAllBytes();
        }
        ex.getResponseHeaders().set("Content-Type", STATIC.get(name));
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        if (headOnly) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Headers every answer carries. */
    static void security(HttpExchange ex) {
        var h = ex.getResponseHeaders();
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "same-origin");
    }

    private static void methodNotAllowed(HttpExchange ex, String allow) throws IOException {
        ex.getResponseHeaders().set("Allow", allow);
        sendError(ex, 405, "method " + ex.getRequestMethod() + " not allowed here (use " + allow + ")");
    }

    /** A JSON error: {@code {"error": MESSAGE}}. */
    static void sendError(HttpExchange ex, int status, String message) throws IOException {
        sendJson(ex, status, JsonObject.builder().put("error", message).build());
    }

    static void sendJson(HttpExchange ex, int status, JsonValue body) throws IOException {
        security(ex);
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void sendText(HttpExchange ex, int status, String text) throws IOException {
        security(ex);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
