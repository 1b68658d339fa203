package io.megatorrent.dht;

import java.net.InetSocketAddress;

/**
 * Which peer addresses a node may dial when the DHT (or a peer) names them as holders of a
 * blob: a hostile DHT node could otherwise point our dials at services on our own host or LAN,
 * or feed us addresses that cannot work. The rule is section 3.7's for contacts, applied to
 * peers: never port 0 or an unusable address; a public address always; a loopback or LAN
 * address only when the node itself is bound in that scope (so nodes on one loopback network,
 * as in tests and the demo, still find each other). A wildcard bind counts as LAN and public.
 */
public final class PeerScope {
    private PeerScope() {}

    public static boolean dialable(InetSocketAddress peer, InetSocketAddress ownBind) {
        if (peer.isUnresolved() || peer.getPort() == 0) return false;
        Addresses.Scope s = Addresses.scope(peer.getAddress());
        if (s == Addresses.Scope.UNUSABLE) return false;
        if (s == Addresses.Scope.PUBLIC) return true;
        if (ownBind.getAddress().isAnyLocalAddress()) return s == Addresses.Scope.LOCAL;
        return Addresses.scope(ownBind.getAddress()) == s;
    }
}
