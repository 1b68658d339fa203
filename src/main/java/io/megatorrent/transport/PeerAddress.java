package io.megatorrent.transport;

import java.util.Locale;

/**
 * Where a peer is reached: a host (DNS name, IPv4 or IPv6 literal, .onion name, .i2p or .b32.i2p
 * name, or a base64 I2P destination) and a port (0 for I2P destinations, which have none).
 * The host is kept as text: resolving it is the dialer's business (a SOCKS5 proxy resolves names
 * itself, so a proxied peer never causes a local DNS lookup).
 */
public record PeerAddress(String host, int port) {
    /** Longest host accepted; a base64 I2P destination with an Ed25519 key is 516+ characters. */
    public static final int MAX_HOST_LENGTH = 1024;

    public PeerAddress {
        if (host == null || host.isEmpty() || host.length() > MAX_HOST_LENGTH) {
            throw new IllegalArgumentException("peer host must be 1.." + MAX_HOST_LENGTH + " characters");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
    }

    /** True for .i2p names and base64 destinations, which only a SAM dialer can reach. */
    /** The address bytes when the host is an IPv4 or IPv6 literal (4 or 16 bytes), else null: never a name lookup. */
    public byte[] ipAddress() {
        return MessageReader.ipLiteral(host);
    }

    public boolean isI2p() {
        String h = host.toLowerCase(Locale.ROOT);
        return h.endsWith(".i2p") || (host.length() >= 516 && !host.contains("."));
    }

    public boolean isOnion() {
        return host.toLowerCase(Locale.ROOT).endsWith(".onion");
    }

    @Override
    public String toString() {
        if (port == 0) return host;
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
