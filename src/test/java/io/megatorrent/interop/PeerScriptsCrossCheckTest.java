package io.megatorrent.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.crypto.Hashes;
import io.megatorrent.testing.Peers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The harness checked without our code: libtorrent and bittorrent-dht, through the same two
 * scripts, store and find each other's items and announces. When an interop check fails, this
 * one passing shows the fault is on our side of the wire, not in the scripts.
 */
class PeerScriptsCrossCheckTest {
    @Test
    @Timeout(60)
    void libtorrentAndBittorrentDhtReadEachOther() throws Exception {
        Peers.require(TheirDhtNode.libtorrentAvailable(), "libtorrent (python3-libtorrent)",
                "apt-get install python3-libtorrent");
        Peers.require(TheirDhtNode.bittorrentDhtAvailable(), "bittorrent-dht 11 (npm, with Node.js)",
                "apt-get install nodejs npm && npm install --prefix src/test/node");
        Path dir = Files.createTempDirectory("megatorrent-interop-cross-");
        try (TheirDhtNode lt = TheirDhtNode.startLibtorrent("cross-libtorrent", Files.createDirectories(dir.resolve("lt")));
                TheirDhtNode bt = TheirDhtNode.startBittorrentDht("cross-bittorrent-dht", dir)) {
            lt.addNode("127.0.0.1", bt.port());
            bt.addNode("127.0.0.1", lt.port());
            long deadline = System.nanoTime() + MainlineInteropChecks.SETTLE_TIMEOUT.toNanos();
            while ((lt.routingTableSize() < 1 || bt.routingTableSize() < 1) && System.nanoTime() < deadline) {
                Thread.sleep(MainlineInteropChecks.POLL_INTERVAL.toMillis());
            }
            assertTrue(lt.routingTableSize() >= 1 && bt.routingTableSize() >= 1, "the two peers did not connect");

            JsonObject ltPut = lt.putMutable("04".repeat(32), "from libtorrent ✓", "cross", 1);
            JsonObject btGot = bt.getMutable(ltPut.string("pubkey"), "cross");
            assertEquals("from libtorrent ✓", btGot.string("value"), "bittorrent-dht read " + btGot);
            assertEquals(ltPut.integer("seq"), btGot.integer("seq"));
            assertEquals(ltPut.string("signature"), btGot.string("signature"));

            JsonObject btPut = bt.putMutable("05".repeat(32), "from bittorrent-dht ✓", "", 9);
            JsonObject ltGot = lt.getMutable(btPut.string("pubkey"), "");
            assertEquals("from bittorrent-dht ✓", ltGot.string("value"), "libtorrent read " + ltGot);
            assertEquals(9, ltGot.integer("seq"));

            JsonObject ltImm = lt.putImmutable("immutable from libtorrent");
            assertEquals("immutable from libtorrent", bt.getImmutable(ltImm.string("target")).string("value"));
            JsonObject btImm = bt.putImmutable("immutable from bittorrent-dht");
            assertEquals(ltImm.string("target").length(), btImm.string("target").length());
            assertEquals("immutable from bittorrent-dht", lt.getImmutable(btImm.string("target")).string("value"));

            String ih1 = Hex.encode(Hashes.sha1("cross: bittorrent-dht announces".getBytes(StandardCharsets.UTF_8)));
            bt.announce(ih1, 6890);
            assertTrue(lt.getPeers(ih1).contains("127.0.0.1:6890"), "libtorrent did not find bittorrent-dht's announce");

            String ih2 = Hex.encode(Hashes.sha1("cross: libtorrent announces".getBytes(StandardCharsets.UTF_8)));
            String ltPeer = "127.0.0.1:" + lt.announce(ih2, 0).integer("port");
            List<String> found = List.of();
            deadline = System.nanoTime() + MainlineInteropChecks.SETTLE_TIMEOUT.toNanos();
            while (true) {
                found = bt.getPeers(ih2);
                if (found.contains(ltPeer) || System.nanoTime() > deadline) break;
                Thread.sleep(MainlineInteropChecks.POLL_INTERVAL.toMillis());
            }
            assertTrue(found.contains(ltPeer), "bittorrent-dht found " + found + ", not libtorrent's " + ltPeer);
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
