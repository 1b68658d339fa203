package io.megatorrent.transport.sam;

import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * Reaches I2P peers (name.i2p, name.b32.i2p, or a base64 destination) with STREAM CONNECT on
 * one SAM session. I2P streams have no ports: the address's port must be 0.
 */
public final class SamDialer implements Dialer {
    private final SamSession session;

    public SamDialer(SamSession session) {
        this.session = Objects.requireNonNull(session, "session");
    }

    @Override
    public SocketChannel connect(PeerAddress address, Duration timeout) throws IOException {
        if (!address.isI2p()) {
            throw new IOException("not an I2P address (name.i2p, name.b32.i2p or a base64 destination): " + address);
        }
        if (address.port() != 0) {
            throw new IOException("I2P addresses have no port (SAM 3.1 streams carry none), got " + address.port()
                    + " for " + SamReply.abbreviate(address.host()));
        }
        return session.connect(address.host(), timeout);
    }
}
