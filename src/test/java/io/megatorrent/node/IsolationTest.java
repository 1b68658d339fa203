package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.crypto.X25519;
import io.megatorrent.transport.Connection;
import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.Listener;
import io.megatorrent.transport.TcpDialer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behind a proxy each channel's work gets connections of its own (PROTOCOL_FINAL.md 5.5): two
 * channels fetching from one peer use two connections, dialled by their groups' dialers, each
 * proving a fresh static key; work outside any group uses the plain dialer.
 */
@Timeout(60)
class IsolationTest {
    @TempDir
    Path tmp;

    @Test
    void noConnectionIsSharedAcrossChannels() throws Exception {
        Map<String, byte[]> blobs = BlobTransferTest.randomBlobs(4, 9);
        List<String> ids = new ArrayList<>(blobs.keySet());
        List<byte[]> remoteKeys = new CopyOnWriteArrayList<>();
        BlobServer server = new BlobServer(BlobTransferTest.sourceOf(blobs), () -> 0);
        try (Listener listener = Listener.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), X25519.generate(), Connection.Timeouts.DEFAULT,
                c -> {
                    remoteKeys.add(c.remoteStatic());
                    server.handle(c);
                })) {
            InetSocketAddress peer = listener.localAddress();
            List<String> dialled = new CopyOnWriteArrayList<>();
            Dialer plain = (a, t) -> {
                dialled.add("plain");
                return new TcpDialer().connect(a, t);
            };
            X25519.KeyPair own = X25519.generate();
            try (BlobDownloader d = new BlobDownloader(LocalBlobs.open(tmp), id -> List.of(peer), plain, own, X25519::generate, 0)) {
                d.isolateConnectionsBy(group -> (a, t) -> {
                    dialled.add(group);
                    return new TcpDialer().connect(a, t);
                });
                try (BlobDownloader.Isolation c1 = d.isolation("channel-one")) {
                    d.download(ids.subList(0, 2));
                }
                try (BlobDownloader.Isolation c2 = d.isolation("channel-two")) {
                    d.download(ids.subList(2, 3));
                }
                d.download(ids.subList(3, 4));
                assertEquals(List.of("channel-one", "channel-two", "plain"), dialled, "one connection per group, dialled by the group's dialer");
                assertEquals(3, d.openConnections());
            }
            Set<String> keys = new HashSet<>();
            for (byte[] k : remoteKeys) {
                keys.add(io.megatorrent.codec.Hex.encode(k));
                assertFalse(java.util.Arrays.equals(own.publicKey(), k), "a dial proved the node's own key");
            }
            assertEquals(3, keys.size(), "a fresh static key per connection");
        }
    }
}
