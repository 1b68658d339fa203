package io.megatorrent.node;

import io.megatorrent.codec.Bencode;
import io.megatorrent.codec.Hex;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.codec.JsonValue.JsonString;
import io.megatorrent.content.BlobStore;
import io.megatorrent.content.ChannelUri;
import io.megatorrent.content.FileEntry;
import io.megatorrent.content.Ingest;
import io.megatorrent.content.ManifestPointer;
import io.megatorrent.content.SignedPointer;
import io.megatorrent.crypto.Ed25519;
import io.megatorrent.crypto.X25519;
import io.megatorrent.dht.DhtNode;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Listener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A hostile publisher run by the test: its own channel key, its own blob store and listener
 * (serving any blob it holds and recording which ones were asked for), and its own DHT node
 * joined to the victim's network, where it announces its blobs and puts signed pointers. It
 * signs whatever manifest bytes the test makes, valid or not, so that only the victim's own
 * checks stand between an attack and the victim's heap and disk.
 */
final class HostilePublisher implements AutoCloseable {
    static final Duration T = Duration.ofSeconds(20);

    private final BlobStore store;
    private final Map<String, String> byShortHex = new ConcurrentHashMap<>();
    /** Blob ids a peer asked this publisher for. */
    final Set<String> requested = ConcurrentHashMap.newKeySet();
    private final BlobServer server;
    private final Listener listener;
    private final DhtNode dht;

    HostilePublisher(Path dir, InetSocketAddress bootstrap) throws IOException, InterruptedException {
        store = BlobStore.open(dir);
        server = new BlobServer(shortId -> {
            String id = byShortHex.get(BlobKeys.shortHex(shortId));
            if (id == null) return null;
            requested.add(id);
            return store.read(id);
        }, () -> 0);
        listener = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), X25519.generate(), Connection.Timeouts.DEFAULT, server);
        dht = DhtNode.start(DhtNode.Config.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        dht.bootstrap(List.of(bootstrap), T);
    }

    /** A fresh channel of this publisher's. */
    static Ed25519.KeyPair channel() {
        return Ed25519.generate();
    }

    static String uri(Ed25519.KeyPair channel) {
        return new ChannelUri(channel.publicKey(), null, List.of()).format();
    }

    /** Stores {@code bytes} as one file of blobs (the blob format, a fresh file key) that this publisher serves. */
    FileEntry store(byte[] bytes, String name) throws IOException, InterruptedException {
        FileEntry f = Ingest.bytes(bytes, name, store);
        for (String id : f.blobIds()) byShortHex.put(BlobKeys.shortHex(id), id);
        return f;
    }

    /** Announces each blob of {@code files} in the DHT with this publisher's listener as the holder. */
    void announce(List<FileEntry> files) throws IOException, InterruptedException {
        for (FileEntry f : files) {
            for (String id : f.blobIds()) dht.announce(BlobKeys.infohash(id), listener.localAddress().getPort(), T);
        }
    }

    /**
     * Publishes {@code manifest} (the file's bytes, whatever they hold) as sequence {@code seq}
     * of {@code channel}: stored and announced as blobs (with an index beyond 8 blobs), the pointer
     * signed and put into the DHT.
     */
    void publish(Ed25519.KeyPair channel, long seq, byte[] manifest) throws Exception {
        FileEntry manifestFile = store(manifest, "manifest.json");
        FileEntry indexFile = null;
        List<FileEntry> files = new ArrayList<>(List.of(manifestFile));
        if (ManifestPointer.needsIndex(manifestFile.blobIds().size())) {
            indexFile = store(ManifestPointer.indexBytes(manifestFile.blobIds()), "manifest.index");
            files.add(indexFile);
        }
        announce(files);
        SignedPointer item = SignedPointer.sign(channel, seq, ManifestPointer.of(manifestFile, indexFile));
        var put = dht.putSigned(item.publicKey(), SignedPointer.SALT, Bencode.decode(item.value()), seq, item.signature(), T);
        if (put.stored() < 1) throw new IOException("no DHT node stored the hostile pointer");
    }

    /**
     * A manifest's canonical bytes with a correct signature: {@code unsigned} holds every member
     * but {@code signature} (version, publicKey, seq, timestamp, collections), whatever they say.
     */
    static byte[] signManifest(Ed25519.KeyPair channel, JsonObject unsigned) {
        byte[] signature = channel.sign(Json.canonical(unsigned));
        Map<String, io.megatorrent.codec.JsonValue> m = new LinkedHashMap<>(unsigned.members());
        m.put("signature", new JsonString(Hex.encode(signature)));
        return Json.canonical(new JsonObject(m));
    }

    /** The fixed members of a public manifest of {@code channel}, sequence {@code seq}. */
    static JsonObject.Builder header(Ed25519.KeyPair channel, long seq) {
        return JsonObject.builder().put("version", 1).put("publicKey", Hex.encode(channel.publicKey())).put("seq", seq)
                .put("timestamp", System.currentTimeMillis() / 1000);
    }

    @Override
    public void close() throws IOException {
        dht.close();
        listener.close();
    }
}
