package io.megatorrent.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** Direct TCP. Resolves host names locally, so it refuses .onion and .i2p addresses (those need SOCKS5 or SAM). */
public final class TcpDialer implements Dialer {
    @Override
    public SocketChannel connect(PeerAddress address, Duration timeout) throws IOException {
        if (address.isI2p() || address.isOnion()) {
            throw new IOException(address.host() + " is not reachable over plain TCP (needs a SOCKS5 or SAM dialer)");
        }
        if (address.port() == 0) throw new IOException("TCP address " + address + " has no port");
        InetSocketAddress target = new InetSocketAddress(address.host(), address.port());
        if (target.isUnresolved()) throw new IOException("cannot resolve " + address.host());
        SocketChannel channel = SocketChannel.open();
        try {
            channel.configureBlocking(true);
            channel.socket().connect(target, (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            channel.socket().setTcpNoDelay(true);
            return channel;
        } catch (SocketTimeoutException e) {
            channel.close();
            throw new SocketTimeoutException("connecting to " + address + " timed out after " + timeout.toMillis() + " ms");
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
