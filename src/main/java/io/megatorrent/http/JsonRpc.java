package io.megatorrent.http;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonBool;
import io.megatorrent.codec.JsonValue.JsonNumber;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import io.megatorrent.node.FileStreams;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * JSON-RPC 2.0 requests to {@link Daemon} calls: the one place the API's methods and their
 * parameters are named (README, "Local API"). Parameters are strict: an unknown member, a
 * missing one or one of the wrong type is answered with INVALID_PARAMS naming it.
 */
final class JsonRpc {
    /** Methods and the parameters each accepts. */
    static final Map<String, Set<String>> METHODS = Map.ofEntries(
            Map.entry("publish", Set.of("path", "keyFile")),
            Map.entry("subscribe", Set.of("uri", "outDir", "maxSize", "label")),
            Map.entry("unsubscribe", Set.of("publicKey", "deleteFiles")),
            Map.entry("subscriptions", Set.of()),
            Map.entry("subscription", Set.of("publicKey")),
            Map.entry("downloads", Set.of()),
            Map.entry("published", Set.of()),
            Map.entry("status", Set.of()),
            Map.entry("blobs", Set.of("limit")),
            Map.entry("gc", Set.of("dryRun")),
            Map.entry("ledger", Set.of()),
            Map.entry("setDownloadRate", Set.of("bytesPerSecond")),
            Map.entry("uiToken", Set.of()),
            Map.entry("streams", Set.of()));
    /** Blobs one {@code blobs} call lists at most. */
    static final int MAX_BLOBS_LISTED = 100_000;

    private final Daemon daemon;
    private final FileStreams streams;
    private final Supplier<String> uiUrl;

    /** {@code uiUrl} makes a one-time link to the page (the {@code uiToken} method). */
    JsonRpc(Daemon daemon, FileStreams streams, Supplier<String> uiUrl) {
        this.daemon = daemon;
        this.streams = streams;
        this.uiUrl = uiUrl;
    }

    /** The response object for a request body; null for a notification (a request without id). */
    JsonObject handle(byte[] body) {
        JsonValue parsed;
        try {
            parsed = Json.parse(body);
        } catch (CodecException e) {
            return ApiServer.error(null, ApiException.PARSE_ERROR, "the body is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof JsonObject request)) {
            return ApiServer.error(null, ApiException.INVALID_REQUEST, "expected one JSON-RPC request object (batches are not supported)");
        }
        JsonValue id = request.get("id").orElse(null);
        if (id != null && !(id instanceof JsonString || id instanceof JsonNumber || id instanceof JsonValue.JsonNull)) {
            return ApiServer.error(null, ApiException.INVALID_REQUEST, "'id' must be a string, a number or null");
        }
        try {
            for (String k : request.members().keySet()) {
                if (!Set.of("jsonrpc", "method", "params", "id").contains(k)) throw new ApiException(ApiException.INVALID_REQUEST, "unknown member '" + k + "'");
            }
            if (!(request.get("jsonrpc").orElse(null) instanceof JsonString v) || !v.value().equals("2.0")) {
                throw new ApiException(ApiException.INVALID_REQUEST, "'jsonrpc' must be \"2.0\"");
            }
            if (!(request.get("method").orElse(null) instanceof JsonString m)) throw new ApiException(ApiException.INVALID_REQUEST, "'method' must be a string");
            JsonValue p = request.get("params").orElse(JsonObject.builder().build());
            if (!(p instanceof JsonObject params)) throw new ApiException(ApiException.INVALID_PARAMS, "'params' must be an object (named parameters)");
            JsonValue result = call(m.value(), params);
            if (id == null) return null;
            return JsonObject.builder().put("jsonrpc", "2.0").put("result", result).put("id", id).build();
        } catch (ApiException e) {
            return id == null && e.code() != ApiException.INVALID_REQUEST ? null : ApiServer.error(id, e.code(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiServer.error(id, ApiException.UNAVAILABLE, "the node is shutting down");
        }
    }

    private JsonValue call(String method, JsonObject params) throws ApiException, InterruptedException {
        Set<String> allowed = METHODS.get(method);
        if (allowed == null) throw new ApiException(ApiException.METHOD_NOT_FOUND, "no method '" + method + "' (methods: " + String.join(", ", new java.util.TreeSet<>(METHODS.keySet())) + ")");
        for (String k : params.members().keySet()) {
            if (!allowed.contains(k)) throw new ApiException(ApiException.INVALID_PARAMS, "method '" + method + "' takes no parameter '" + k + "'");
        }
        return switch (method) {
            case "publish" -> {
                if (!params.has("path")) throw new ApiException(ApiException.INVALID_PARAMS, "missing parameter 'path'");
                yield daemon.publish(path(params, "path"), path(params, "keyFile"));
            }
            case "subscribe" -> daemon.subscribe(string(params, "uri", true), path(params, "outDir"), number(params, "maxSize"), string(params, "label", false));
            case "unsubscribe" -> daemon.unsubscribe(string(params, "publicKey", true), bool(params, "deleteFiles"));
            case "subscriptions" -> daemon.subscriptions();
            case "subscription" -> daemon.subscription(string(params, "publicKey", true));
            case "downloads" -> daemon.downloads();
            case "published" -> daemon.published();
            case "status" -> daemon.status();
            case "blobs" -> {
                Long limit = number(params, "limit");
                if (limit != null && (limit < 0 || limit > MAX_BLOBS_LISTED)) throw new ApiException(ApiException.INVALID_PARAMS, "'limit' must be 0.." + MAX_BLOBS_LISTED);
                yield daemon.blobs(limit == null ? MAX_BLOBS_LISTED : limit.intValue());
            }
            case "gc" -> daemon.gc(bool(params, "dryRun"));
            case "ledger" -> daemon.ledger();
            case "setDownloadRate" -> {
                Long rate = number(params, "bytesPerSecond");
                if (rate == null) throw new ApiException(ApiException.INVALID_PARAMS, "missing parameter 'bytesPerSecond'");
                yield daemon.setDownloadRate(rate);
            }
            case "uiToken" -> JsonObject.builder().put("url", uiUrl.get()).put("expiresInSeconds", Access.UI_TOKEN_LIFE.toSeconds()).build();
            case "streams" -> streams.stats();
            default -> throw new ApiException(ApiException.METHOD_NOT_FOUND, "no method '" + method + "'");
        };
    }

    private static String string(JsonObject params, String name, boolean required) throws ApiException {
        JsonValue v = params.get(name).orElse(null);
        if (v == null) {
            if (required) throw new ApiException(ApiException.INVALID_PARAMS, "missing parameter '" + name + "'");
            return null;
        }
        if (!(v instanceof JsonString s)) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' must be a string");
        if (s.value().isEmpty()) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' must not be empty");
        if (s.value().indexOf('\0') >= 0) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' holds a NUL character");
        return s.value();
    }

    private static Path path(JsonObject params, String name) throws ApiException {
        String s = string(params, name, false);
        if (s == null) return null;
        try {
            Path p = Path.of(s);
            if (!p.isAbsolute()) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' must be an absolute path (the node's working folder is not yours)");
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' is not a path: " + e.getMessage());
        }
    }

    private static Long number(JsonObject params, String name) throws ApiException {
        JsonValue v = params.get(name).orElse(null);
        if (v == null) return null;
        if (!(v instanceof JsonNumber n)) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' must be a number");
        try {
            return n.asLong(name);
        } catch (CodecException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "': " + e.getMessage());
        }
    }

    private static boolean bool(JsonObject params, String name) throws ApiException {
        JsonValue v = params.get(name).orElse(null);
        if (v == null) return false;
        if (!(v instanceof JsonBool b)) throw new ApiException(ApiException.INVALID_PARAMS, "parameter '" + name + "' must be true or false");
        return b.value();
    }
}
