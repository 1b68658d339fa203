package io.megatorrent.http;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelIdentity;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.node.ApiException;
import io.megatorrent.node.Daemon;
import io.megatorrent.node.FileStreams;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The qBittorrent WebAPI routes of the earlier C++ reference, under {@code /api/v2/megatorrent/},
 * form-encoded as its WebUI scripts send them; each is served as {@code <name>} and as
 * {@code <name>Action}. Where those took a secret key, these take the path of a key file on the
 * node: no secret crosses HTTP.
 */
final class QbittorrentRoutes {
    static final String PREFIX = "/api/v2/megatorrent/";
    /** Routes that change the node's state: POST only (and so the cross-site check). */
    static final Set<String> CHANGING = Set.of("addSubscription", "removeSubscription", "publish", "generateKey", "ingest", "subscribe", "unsubscribe");
    static final Set<String> READING = Set.of("getSubscriptions", "status", "subscriptions", "blobs");
    /** Form fields kept at most: a request naming more is refused. */
    static final int MAX_FIELDS = 16;
    /** Blobs listed when the request sets no limit. */
    static final int DEFAULT_BLOBS = 1000;

    private final Daemon daemon;
    private final FileStreams streams;
    private final SecureRandom random = new SecureRandom();

    QbittorrentRoutes(Daemon daemon, FileStreams streams) {
        this.daemon = daemon;
        this.streams = streams;
    }

    /** The route named by a path under {@link #PREFIX} ({@code fooAction} is {@code foo}), or null. */
    static String route(String path) {
        if (!path.startsWith(PREFIX)) return null;
        String name = path.substring(PREFIX.length());
        if (name.endsWith("Action")) name = name.substring(0, name.length() - "Action".length());
        return CHANGING.contains(name) || READING.contains(name) ? name : null;
    }

    /** Fields of an application/x-www-form-urlencoded body or query. */
    static Map<String, String> form(String encoded) throws ApiException {
        Map<String, String> fields = new HashMap<>();
        if (encoded == null || encoded.isEmpty()) return fields;
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) continue;
            if (fields.size() == MAX_FIELDS) throw new ApiException(ApiException.INVALID_PARAMS, "more than " + MAX_FIELDS + " form fields");
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (v.indexOf('\0') >= 0) throw new ApiException(ApiException.INVALID_PARAMS, "field '" + k + "' holds a NUL character");
                fields.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw new ApiException(ApiException.INVALID_PARAMS, "the form is not valid URL encoding: " + e.getMessage());
            }
        }
        return fields;
    }

    JsonValue call(String route, Map<String, String> f) throws ApiException, InterruptedException {
        return switch (route) {
            case "addSubscription", "subscribe" -> daemon.subscribe(uri(f), null, null, optional(f, "label"));
            case "removeSubscription", "unsubscribe" -> daemon.unsubscribe(key(required(f, "publicKey")), false);
            case "getSubscriptions", "subscriptions" -> daemon.subscriptions();
            case "publish" -> {
                JsonObject r = daemon.publish(path(required(f, "path"), "path"), f.containsKey("keyFile") ? path(required(f, "keyFile"), "keyFile") : null);
                yield JsonObject.builder().put("uri", str(r, "uri")).put("publicKey", str(r, "publicKey")).put("sequence", num(r, "seq")).build();
            }
            case "status" -> {
                JsonObject s = daemon.status();
                yield new JsonObject(with(s.members(), "streams", streams.stats()));
            }
            case "generateKey" -> generateKey(f);
            case "ingest" -> ingest(path(required(f, "filePath"), "filePath"));
            case "blobs" -> {
                int limit = DEFAULT_BLOBS;
                String l = optional(f, "limit");
                if (l != null) {
                    try {
                        limit = Integer.parseInt(l);
                    } catch (NumberFormatException e) {
                        limit = -1;
                    }
                    if (limit < 0 || limit > 100_000) throw new ApiException(ApiException.INVALID_PARAMS, "field 'limit' must be a number 0..100000");
                }
                yield daemon.blobs(limit);
            }
            default -> throw new ApiException(ApiException.METHOD_NOT_FOUND, "no route '" + route + "'");
        };
    }

    private JsonObject generateKey(Map<String, String> f) throws ApiException {
        ChannelIdentity id = ChannelIdentity.generate(false, random);
        String hex = Hex.encode(id.publicKey());
        Path file = f.containsKey("keyFile") ? path(required(f, "keyFile"), "keyFile") : daemon.node().dataDir().resolve("keys").resolve(hex + ".json");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            id.save(file, false);
        } catch (FileAlreadyExistsException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "key file " + file + " exists already; it is not replaced");
        } catch (IOException e) {
            throw new ApiException(ApiException.FAILED, "cannot write the key file " + file + ": " + e.getMessage());
        }
        return JsonObject.builder().put("publicKey", hex).put("uri", id.uri().format()).put("keyFile", file.toString()).build();
    }

    private JsonObject ingest(Path file) throws ApiException, InterruptedException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) throw new ApiException(ApiException.INVALID_PARAMS, "no such regular file: " + file);
        try {
            FileEntry e = Ingest.file(file, file.getFileName().toString(), daemon.node().blobs().store(), n -> {});
            daemon.node().blobs().indexAll(e.blobIds());
            return JsonObject.builder().put("fileEntry", e.toJson()).put("blobCount", e.blobIds().size()).build();
        } catch (IOException e) {
            throw new ApiException(ApiException.FAILED, "ingesting " + file + " failed: " + e.getMessage());
        }
    }

    private static Map<String, JsonValue> with(Map<String, JsonValue> m, String k, JsonValue v) {
        Map<String, JsonValue> copy = new java.util.LinkedHashMap<>(m);
        copy.put(k, v);
        return copy;
    }

    private static String str(JsonObject o, String k) throws ApiException {
        try {
            return o.string(k);
        } catch (CodecException e) {
            throw new ApiException(ApiException.FAILED, "internal: " + e.getMessage());
        }
    }

    private static long num(JsonObject o, String k) throws ApiException {
        try {
            return o.integer(k);
        } catch (CodecException e) {
            throw new ApiException(ApiException.FAILED, "internal: " + e.getMessage());
        }
    }

    /** The channel of {@code uri}, or of {@code publicKey} (hex). */
    private static String uri(Map<String, String> f) throws ApiException {
        String uri = optional(f, "uri");
        if (uri != null) return uri;
        String key = optional(f, "publicKey");
        if (key == null) throw new ApiException(ApiException.INVALID_PARAMS, "missing field 'publicKey' (or 'uri')");
        return ChannelUri.SCHEME + "://" + key(key);
    }

    /** A channel's public key: 64 hex digits, lowercased. */
    static String key(String hex) throws ApiException {
        try {
            Hex.decode(hex, ChannelUri.KEY_LENGTH, "field 'publicKey'");
        } catch (CodecException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "bad key: 'publicKey' must be 64 hex digits (" + e.getMessage() + ")");
        }
        return hex.toLowerCase(Locale.ROOT);
    }

    private static String required(Map<String, String> f, String name) throws ApiException {
        String v = f.get(name);
        if (v == null || v.isEmpty()) throw new ApiException(ApiException.INVALID_PARAMS, "missing field '" + name + "'");
        return v;
    }

    private static String optional(Map<String, String> f, String name) {
        String v = f.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static Path path(String s, String name) throws ApiException {
        try {
            Path p = Path.of(s);
            if (!p.isAbsolute()) throw new ApiException(ApiException.INVALID_PARAMS, "field '" + name + "' must be an absolute path on the node's machine");
            return p.normalize();
        } catch (InvalidPathException e) {
            throw new ApiException(ApiException.INVALID_PARAMS, "field '" + name + "' is not a path: " + e.getMessage());
        }
    }
}
