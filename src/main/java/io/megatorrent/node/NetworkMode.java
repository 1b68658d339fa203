package io.megatorrent.node;

import io.megatorrent.transport.PeerTarget;
import io.megatorrent.transport.socks5.Socks5Credentials;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * How a node reaches the network, chosen once when it starts: it decides the dialer, whether a
 * UDP socket exists at all, and how the DHT is reached. Nothing below the node asks which one
 * it is. In the two safe modes the node opens no UDP socket and resolves no name itself: every
 * stream goes through the proxy or the I2P router, and the DHT only through bridges
 * (PROTOCOL_FINAL.md 7) reached the same way.
 */
public sealed interface NetworkMode {
    /** What {@code status} and serve's JSON line call it. */
    String label();

    /** Bridges the DHT is reached through (empty in direct mode). */
    List<PeerTarget> bridges();

    /** Whether peers at IP addresses can be dialled (not through SAM: I2P reaches I2P destinations only). */
    default boolean reachesIp() {
        return !(this instanceof I2p);
    }

    /** A UDP DHT node, direct TCP and UDP, names resolved locally. */
    NetworkMode DIRECT = new Direct();

    record Direct() implements NetworkMode {
        @Override
        public String label() {
            return "direct";
        }

        @Override
        public List<PeerTarget> bridges() {
            return List.of();
        }
    }

    /**
     * Through a SOCKS5 proxy (Tor's SocksPort): credentials null means each stream carries
     * isolation credentials (PROTOCOL_FINAL.md 5.2); given ones are sent on every stream.
     */
    record Socks5(InetSocketAddress proxy, Socks5Credentials credentials, List<PeerTarget> bridges) implements NetworkMode {
        public Socks5 {
            if (proxy.isUnresolved()) throw new IllegalArgumentException("the SOCKS5 proxy must be an IP address: " + proxy);
            bridges = List.copyOf(bridges);
        }

        @Override
        public String label() {
            return "socks5";
        }
    }

    /** Through an I2P router's SAM v3.1 bridge, on the node's persisted destination; samOptions are I2CP options. */
    record I2p(InetSocketAddress sam, Map<String, String> samOptions, List<PeerTarget> bridges) implements NetworkMode {
        public I2p {
            if (sam.isUnresolved()) throw new IllegalArgumentException("the SAM bridge must be an IP address: " + sam);
            samOptions = Map.copyOf(samOptions);
            bridges = List.copyOf(bridges);
        }

        @Override
        public String label() {
            return "i2p";
        }
    }
}
