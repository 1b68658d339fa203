package io.megatorrent.node;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonArray;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.ChannelUriException;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.SecretFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a serving node must find again after a restart or a crash: the channels it follows
 * (URI, where files go, the byte budget, the newest sequence it completed and its signed
 * pointer) and the channels it publishes (key file, sequence, signed pointer). One JSON file,
 * {@code DIR/node-state.json}, mode 0600 (a private channel's URI holds its read key), replaced
 * atomically on every change, so a kill leaves the old state or the new one. Blobs are not
 * listed here: the blob store is its own record, and a resumed download asks only for what it
 * lacks.
 */
final class DaemonState {
    static final String FILE = "node-state.json";
    /** Refuse a state file larger than this: it holds at most a few thousand small entries. */
    static final int MAX_FILE_BYTES = 16 << 20;
    /** Channels a node follows or publishes, each: bounds the state file and the MSG_HELLO list. */
    static final int MAX_CHANNELS = 256;

    /** A followed channel. seq -1: nothing completed yet. */
    record Subscription(ChannelUri uri, String label, Path outDir, long maxSize, long seq, SignedPointer item, long addedAt) {
        String keyHex() {
            return Hex.encode(uri.publicKey());
        }

        Subscription completed(SignedPointer newItem) {
            return new Subscription(uri, label, outDir, maxSize, newItem.seq(), newItem, addedAt);
        }
    }

    /** A channel this node publishes. */
    record Publication(byte[] publicKey, Path keyFile, long seq, SignedPointer item) {
        String keyHex() {
            return Hex.encode(publicKey);
        }
    }

    private final Path file;
    private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    private final Map<String, Publication> published = new LinkedHashMap<>();

    private DaemonState(Path file) {
        this.file = file;
    }

    /** Reads the state of {@code dataDir}; a missing file is an empty state. A corrupt one is an error: forgetting would lose subscriptions. */
    static DaemonState load(Path dataDir) throws IOException {
        DaemonState s = new DaemonState(dataDir.resolve(FILE));
        byte[] bytes;
        try {
            if (Files.size(s.file) > MAX_FILE_BYTES) throw new IOException(s.file + ": larger than " + MAX_FILE_BYTES + " bytes");
            bytes = Files.readAllBytes(s.file);
        } catch (NoSuchFileException e) {
            return s;
        }
        try {
            JsonObject o = Json.parseObject(bytes);
            for (JsonValue v : o.array("subscriptions").items()) {
                Subscription sub = subscription(asObject(v));
                s.subscriptions.put(sub.keyHex(), sub);
            }
            for (JsonValue v : o.array("published").items()) {
                Publication p = publication(asObject(v));
                s.published.put(p.keyHex(), p);
            }
        } catch (CodecException | ChannelUriException | IllegalArgumentException e) {
            Path aside = s.file.resolveSibling(FILE + ".corrupt");
            Files.move(s.file, aside, StandardCopyOption.REPLACE_EXISTING);
            throw new IOException(s.file + " is not a valid node state (" + e.getMessage() + "); it was moved to " + aside
                    + ": fix or remove it and start again");
        }
        return s;
    }

    private static JsonObject asObject(JsonValue v) throws CodecException {
        if (v instanceof JsonObject o) return o;
        throw new CodecException("expected an object", 0);
    }

    private static Subscription subscription(JsonObject o) throws CodecException, ChannelUriException {
        ChannelUri uri = ChannelUri.parse(o.string("uri"));
        SignedPointer item = o.has("item") ? item(o.object("item"), uri.publicKey()) : null;
        return new Subscription(uri, o.string("label"), Path.of(o.string("outDir")), o.integer("maxSize"), o.integer("seq"), item,
                o.integer("addedAt"));
    }

    private static Publication publication(JsonObject o) throws CodecException {
        byte[] key = Hex.decode(o.string("publicKey"));
        return new Publication(key, Path.of(o.string("keyFile")), o.integer("seq"), item(o.object("item"), key));
    }

    private static SignedPointer item(JsonObject o, byte[] publicKey) throws CodecException {
        return new SignedPointer(publicKey, o.integer("seq"), Hex.decode(o.string("v")), Hex.decode(o.string("sig")));
    }

    private static JsonObject itemJson(SignedPointer item) {
        return JsonObject.builder().put("seq", item.seq()).put("v", Hex.encode(item.value())).put("sig", Hex.encode(item.signature())).build();
    }

    synchronized List<Subscription> subscriptions() {
        return List.copyOf(subscriptions.values());
    }

    synchronized Subscription subscription(String keyHex) {
        return subscriptions.get(keyHex);
    }

    synchronized List<Publication> published() {
        return List.copyOf(published.values());
    }

    synchronized Publication publication(String keyHex) {
        return published.get(keyHex);
    }

    synchronized void put(Subscription s) throws IOException {
        if (!subscriptions.containsKey(s.keyHex()) && subscriptions.size() + published.size() >= MAX_CHANNELS) {
            throw new IOException("this node already follows and publishes " + MAX_CHANNELS + " channels, the most it keeps");
        }
        subscriptions.put(s.keyHex(), s);
        save();
    }

    synchronized Subscription remove(String keyHex) throws IOException {
        Subscription s = subscriptions.remove(keyHex);
        if (s != null) save();
        return s;
    }

    synchronized void put(Publication p) throws IOException {
        if (!published.containsKey(p.keyHex()) && subscriptions.size() + published.size() >= MAX_CHANNELS) {
            throw new IOException("this node already follows and publishes " + MAX_CHANNELS + " channels, the most it keeps");
        }
        published.put(p.keyHex(), p);
        save();
    }

    private void save() throws IOException {
        List<JsonValue> subs = new ArrayList<>();
        for (Subscription s : subscriptions.values()) {
            JsonObject.Builder b = JsonObject.builder().put("uri", s.uri().format()).put("label", s.label())
                    .put("outDir", s.outDir().toString()).put("maxSize", s.maxSize()).put("seq", s.seq()).put("addedAt", s.addedAt());
            if (s.item() != null) b.put("item", itemJson(s.item()));
            subs.add(b.build());
        }
        List<JsonValue> pubs = new ArrayList<>();
        for (Publication p : published.values()) {
            pubs.add(JsonObject.builder().put("publicKey", p.keyHex()).put("keyFile", p.keyFile().toString()).put("seq", p.seq())
                    .put("item", itemJson(p.item())).build());
        }
        JsonObject o = JsonObject.builder().put("version", 1).put("subscriptions", new JsonArray(subs)).put("published", new JsonArray(pubs)).build();
        SecretFile.write(file, (Json.writePretty(o) + "\n").getBytes(StandardCharsets.UTF_8), true);
    }
}
