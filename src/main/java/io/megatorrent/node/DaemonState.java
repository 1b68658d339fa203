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
import java.net.InetSocketAddress;
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

    /**
     * A followed channel. seq -1: nothing completed yet. pending: the newer item being downloaded
     * (null when none), so a restart resumes it without looking it up again.
     */
    record Subscription(ChannelUri uri, String label, Path outDir, long maxSize, long seq, SignedPointer item, long addedAt, SignedPointer pending,
            List<InetSocketAddress> holders) {
        Subscription {
            holders = List.copyOf(holders);
        }

        String keyHex() {
            return Hex.encode(uri.publicKey());
        }

        Subscription completed(SignedPointer newItem) {
            return new Subscription(uri, label, outDir, maxSize, newItem.seq(), newItem, addedAt, null, holders);
        }

        Subscription downloading(SignedPointer newItem) {
            return new Subscription(uri, label, outDir, maxSize, seq, item, addedAt, newItem, holders);
        }

        Subscription withHolders(List<InetSocketAddress> h) {
            return new Subscription(uri, label, outDir, maxSize, seq, item, addedAt, pending, h);
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
        SignedPointer pending = o.has("pending") ? item(o.object("pending"), uri.publicKey()) : null;
        List<InetSocketAddress> holders = new ArrayList<>();
        if (o.has("holders")) {
            for (JsonValue v : o.array("holders").items()) {
                if (!(v instanceof JsonValue.JsonString hp)) throw new CodecException("holders: expected strings", 0);
                holders.add(holder(hp.value()));
            }
        }
        return new Subscription(uri, o.string("label"), Path.of(o.string("outDir")), o.integer("maxSize"), o.integer("seq"), item,
                o.integer("addedAt"), pending, holders);
    }

    /** An IP literal and port, as {@link #holderText} writes them; never a name lookup. */
    private static InetSocketAddress holder(String text) throws CodecException {
        io.megatorrent.transport.PeerTarget t;
        try {
            t = io.megatorrent.transport.PeerTarget.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CodecException("holders: " + e.getMessage(), 0);
        }
        byte[] ip = t.address().ipAddress();
        if (ip == null || t.address().port() == 0) throw new CodecException("holders: not an IP address and port: " + text, 0);
        try {
            return new InetSocketAddress(java.net.InetAddress.getByAddress(ip), t.address().port());
        } catch (java.net.UnknownHostException e) {
            throw new CodecException("holders: " + e.getMessage(), 0);
        }
    }

    private static String holderText(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
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
            if (s.pending() != null) b.put("pending", itemJson(s.pending()));
            List<JsonValue> hs = new ArrayList<>();
            for (InetSocketAddress h : s.holders()) hs.add(new JsonValue.JsonString(holderText(h)));
            b.put("holders", new JsonArray(hs));
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
