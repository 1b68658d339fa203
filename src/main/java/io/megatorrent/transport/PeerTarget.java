package io.megatorrent.transport;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Hex;
import java.util.Locale;

/**
 * A peer to dial and, when known, its Noise static key: written {@code host:port},
 * {@code [ipv6]:port}, a bare I2P name or destination, or any of those prefixed with
 * {@code <64 hex digits>@} (a gateway or bridge whose key we know: the handshake is then IK).
 */
public record PeerTarget(byte[] staticKey, PeerAddress address) {
    public PeerTarget {
        if (staticKey != null) {
            if (staticKey.length != Message.KEY_LENGTH) throw new IllegalArgumentException("static key must be 32 bytes");
            staticKey = staticKey.clone();
        }
    }

    @Override
    public byte[] staticKey() {
        return staticKey == null ? null : staticKey.clone();
    }

    public static PeerTarget parse(String text) {
        byte[] key = null;
        String rest = text;
        int at = text.indexOf('@');
        if (at >= 0) {
            try {
                key = Hex.decode(text.substring(0, at).toLowerCase(Locale.ROOT), Message.KEY_LENGTH, "static key");
            } catch (CodecException e) {
                throw new IllegalArgumentException("bad peer '" + text + "': the part before '@' must be 64 hex digits (a static key): " + e.getMessage());
            }
            rest = text.substring(at + 1);
        }
        return new PeerTarget(key, parseAddress(rest));
    }

    private static PeerAddress parseAddress(String s) {
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') throw new IllegalArgumentException("bad peer address '" + s + "' (want [ipv6]:port)");
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                PeerAddress bare = new PeerAddress(s, 0);
                if (!bare.isI2p()) throw new IllegalArgumentException("bad peer address '" + s + "' (want host:port)");
                try {
                    PeerName.kind(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad peer address '" + s + "': " + e.getMessage());
                }
                return bare;
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.contains(":")) throw new IllegalArgumentException("bad peer address '" + s + "' (write IPv6 as [address]:port)");
        }
        if (!port.matches("\\d{1,5}")) throw new IllegalArgumentException("bad port in '" + s + "'");
        int p = Integer.parseInt(port);
        if (s.startsWith("[") ? MessageReader.ipLiteral(host) == null || !host.contains(":") : !MessageReader.isIpLiteral(host)) {
            if (s.startsWith("[")) throw new IllegalArgumentException("bad peer address '" + s + "': not an IPv6 address in brackets");
            boolean hasPort;
            try {
                hasPort = PeerName.kind(host).hasPort();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad peer address '" + s + "': " + e.getMessage());
            }
            if (!hasPort) throw new IllegalArgumentException("bad peer address '" + s + "': an I2P location has no port");
        }
        if (p < 1 || p > 65535) throw new IllegalArgumentException("bad port in '" + s + "' (1..65535)");
        return new PeerAddress(host, p);
    }

    @Override
    public String toString() {
        return (staticKey == null ? "" : Hex.encode(staticKey) + "@") + address;
    }
}
