package io.megatorrent.interop;

import io.megatorrent.codec.CodecException;
import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Path;

/** Issue 3's six interop checks against the npm bittorrent-dht 11 (the Node.js client's DHT). */
class BittorrentDhtInteropTest extends MainlineInteropChecks {
    @Override
    boolean peerAvailable() {
        return TheirDhtNode.bittorrentDhtAvailable();
    }

    @Override
    void requirePeer() {
        Peers.require(peerAvailable(), "bittorrent-dht 11 (npm, with Node.js)",
                "apt-get install nodejs npm && npm install --prefix src/test/node");
    }

    @Override
    TheirDhtNode startTheirs(String name, Path dir) throws IOException, CodecException {
        return TheirDhtNode.startBittorrentDht(name, dir);
    }

    @Override
    String tag() {
        return "bittorrent-dht";
    }
}
