package io.megatorrent.transport;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Opens a byte stream to a peer: directly over TCP, through a SOCKS5 proxy (Tor), or through an
 * I2P SAM bridge. The returned channel is blocking, connected, and carries the peer's bytes only
 * (any proxy negotiation is finished). The Noise handshake runs on top of it, whatever the dialer.
 */
public interface Dialer {
    SocketChannel connect(PeerAddress address, Duration timeout) throws IOException;
}
