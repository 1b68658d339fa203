package io.megatorrent.dht;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Which peers learned from the DHT (get_peers values) or from other peers a node may dial, by
 * address scope (PROTOCOL_FINAL.md 3.7, applied to peers): a hostile DHT node must not point our
 * dials at services on our host or LAN, nor at addresses nobody can use.
 */
public final class PeerScope {
    private PeerScope() {}

    /**
     * Whether {@code peer} may be dialed by a node bound to {@code ownBound}: never an unusable
     * address (unspecified, multicast, 0/8, 240/4) or port 0; a public one always; a loopback or
     * local one (private, link-local, CGNAT 100.64/10, ULA) only when our own bound address is of
     * that same scope, so a one-host test network keeps working on loopback and a LAN on the LAN.
     * A node bound to the wildcard address counts as on the LAN (it is reachable there), never as
     * on loopback.
     */
    public static boolean dialable(InetSocketAddress peer, InetAddress ownBound) {
        if (peer.isUnresolved() || peer.getPort() == 0) return false;
        Addresses.Scope s = Addresses.scope(peer.getAddress());
        if (s == Addresses.Scope.UNUSABLE) return false;
        if (s == Addresses.Scope.PUBLIC) return true;
        if (ownBound == null) return false;
        if (ownBound.isAnyLocalAddress()) return s == Addresses.Scope.LOCAL;
        return Addresses.scope(ownBound) == s;
    }
}
