package io.megatorrent.interop;

import io.megatorrent.codec.CodecException;
import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Path;

/** Issue 3's six interop checks against libtorrent 2.0 (Debian python3-libtorrent). */
class LibtorrentInteropTest extends MainlineInteropChecks {
    @Override
    boolean peerAvailable() {
        return TheirDhtNode.libtorrentAvailable();
    }

    @Override
    void requirePeer() {
        Peers.require(peerAvailable(), "libtorrent (python3-libtorrent)",
                "apt-get install python3-libtorrent");
    }

    @Override
    TheirDhtNode startTheirs(String name, Path dir) throws IOException, CodecException {
        return TheirDhtNode.startLibtorrent(name, dir);
    }

    @Override
    String tag() {
        return "libtorrent";
    }
}
