package io.megatorrent.transport.sam;

import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * Takes each stream a peer opened to our session: the same handler the TCP listener feeds.
 * Called on its own virtual thread; the channel is blocking and carries only the peer's bytes.
 * Returning normally hands the channel over; throwing closes it.
 */
@FunctionalInterface
public interface SamAcceptHandler {
    /** {@code peer} is the peer's base64 destination with port 0. */
    void accepted(SocketChannel channel, PeerAddress peer) throws IOException;
}
