package io.megatorrent.dht;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Address classes the DHT's limits and contact checks are keyed by. */
final class Addresses {
    private Addresses() {}

    /** Where an address is reachable from: contacts of another reach than the answering node's are not followed. */
    enum Scope { LOOPBACK, LOCAL, PUBLIC, UNUSABLE }

    /**
     * The key a per-IP limit counts under: the IPv4 address, or the /64 prefix of an IPv6 one
     * (one subscriber usually holds a whole /64, so counting /128s would be no limit at all).
     */
    static InetAddress limitKey(InetAddress a) {
        if (!(a instanceof Inet6Address)) return a;
        byte[] b = a.getAddress();
        for (int i = 8; i < 16; i++) b[i] = 0;
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an IPv6 address", e);
        }
    }

    /**
     * The source key the item quota counts every bridged client relayed by a local proxy under
     * (Tor, I2P: no address of their own): one shared quota, {@link ItemStore#MAX_ITEMS_PROXIED}.
     * In fd00::/8 beside the clients' random token addresses, which never take this /64.
     */
    static final InetAddress PROXIED = proxied();

    private static InetAddress proxied() {
        byte[] b = new byte[16];
        b[0] = (byte) 0xfd;
        for (int i = 1; i < 8; i++) b[i] = (byte) 0xff;
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static boolean sameFamily(InetAddress a, boolean ipv6) {
        return (a instanceof Inet6Address) == ipv6;
    }

    static Scope scope(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isMulticastAddress()) return Scope.UNUSABLE;
        if (a.isLoopbackAddress()) return Scope.LOOPBACK;
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int b0 = b[0] & 0xff, b1 = b[1] & 0xff;
            if (b0 == 0 || b0 >= 240) return Scope.UNUSABLE; // "this network", reserved, broadcast
            if (a.isSiteLocalAddress() || a.isLinkLocalAddress() || (b0 == 100 && (b1 & 0xc0) == 64)) return Scope.LOCAL; // + CGNAT 100.64/10
            return Scope.PUBLIC;
        }
        if (a.isLinkLocalAddress() || a.isSiteLocalAddress() || (b[0] & 0xfe) == 0xfc) return Scope.LOCAL; // + ULA fc00::/7
        return Scope.PUBLIC;
    }

    /**
     * Whether a contact that {@code responder} gave us may be queried: never an unusable one;
     * a public one always; a loopback or local one only when the responder (or our own bound
     * address) is of that same scope, so that a node on the Internet cannot point our queries at
     * services on our host or LAN. {@code responder} null or unspecified: the contact came from
     * a source we trust for this (a bridge's own node, which checks targets itself).
     */
    static boolean contactAllowed(InetSocketAddress contact, InetAddress responder, InetAddress ownBound) {
        if (contact.getPort() == 0) return false;
        Scope s = scope(contact.getAddress());
        if (s == Scope.UNUSABLE) return false;
        if (s == Scope.PUBLIC) return true;
        if (responder == null || responder.isAnyLocalAddress()) return true;
        return scope(responder) == s || (ownBound != null && scope(ownBound) == s);
    }
}
