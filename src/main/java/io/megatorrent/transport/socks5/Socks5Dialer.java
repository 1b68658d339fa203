package io.megatorrent.transport.socks5;

import io.megatorrent.transport.Dialer;
import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reaches peers through a SOCKS5 proxy (Tor's SocksPort, or any RFC 1928 proxy). The proxy
 * resolves every name: this class never looks a peer's host up, so a proxied peer causes no
 * local DNS query. The proxy's own address must already be resolved (an IP literal).
 */
public final class Socks5Dialer implements Dialer {
    private static final System.Logger LOG = System.getLogger(Socks5Dialer.class.getName());

    private final InetSocketAddress proxy;
    private final Function<PeerAddress, Socks5Credentials> credentialsFor;

    private Socks5Dialer(InetSocketAddress proxy, Function<PeerAddress, Socks5Credentials> credentialsFor) {
        Objects.requireNonNull(proxy, "proxy");
        if (proxy.isUnresolved()) {
            throw new IllegalArgumentException("SOCKS5 proxy address must be an IP address, not a name to look up: " + proxy);
        }
        this.proxy = proxy;
        this.credentialsFor = credentialsFor;
    }

    /** A proxy that needs no authentication. */
    public static Socks5Dialer noAuth(InetSocketAddress proxy) {
        return new Socks5Dialer(proxy, peer -> null);
    }

    /** The same username and password for every stream. */
    public static Socks5Dialer withCredentials(InetSocketAddress proxy, Socks5Credentials credentials) {
        Objects.requireNonNull(credentials, "credentials");
        return new Socks5Dialer(proxy, peer -> credentials);
    }

    /** Tor stream isolation: each peer gets {@link Socks5Credentials#isolating(PeerAddress)}, so its own circuit. */
    public static Socks5Dialer isolatingPerPeer(InetSocketAddress proxy) {
        return new Socks5Dialer(proxy, Socks5Credentials::isolating);
    }

    /** Credentials chosen per peer by the caller (for example one isolation group per circuit). */
    public static Socks5Dialer withCredentials(InetSocketAddress proxy, Function<PeerAddress, Socks5Credentials> credentialsFor) {
        return new Socks5Dialer(proxy, Objects.requireNonNull(credentialsFor, "credentialsFor"));
    }

    public InetSocketAddress proxy() {
        return proxy;
    }

    @Override
    public SocketChannel connect(PeerAddress address, Duration timeout) throws IOException {
        if (address.isI2p()) throw new IOException("an I2P address needs the SAM dialer, not SOCKS5: " + address);
        if (address.port() == 0) throw new IOException("SOCKS5 target needs a port: " + address);
        long deadline = System.nanoTime() + timeout.toNanos();
        Socks5Credentials credentials = credentialsFor.apply(address);
        SocketChannel channel = SocketChannel.open();
        boolean done = false;
        try {
            long millis = Math.max(1, timeout.toMillis());
            try {
                channel.socket().connect(proxy, (int) Math.min(Integer.MAX_VALUE, millis));
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("timed out connecting to SOCKS5 proxy " + proxy);
            } catch (IOException e) {
                throw new IOException("cannot connect to SOCKS5 proxy " + proxy + ": " + e.getMessage(), e);
            }
            channel.socket().setTcpNoDelay(true);
            String bound = Socks5Handshake.negotiate(channel, address.host(), address.port(), credentials, deadline);
            LOG.log(System.Logger.Level.DEBUG, "SOCKS5 {0} -> {1} (proxy bound {2})", proxy, address, bound);
            done = true;
            return channel;
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot ask a SOCKS5 proxy for " + address + ": " + e.getMessage(), e);
        } finally {
            if (!done) channel.close();
        }
    }
}
