package io.megatorrent.dht;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Announced peers per infohash (BEP 5), expiring 30 minutes after their last announce, with caps. Thread-safe. */
final class PeerStore {
    static final long PEER_TTL_NANOS = 30L * 60 * 1_000_000_000L;
    /** Infohashes tracked at once; announces for new ones beyond it are refused. */
    static final int MAX_INFOHASHES = 2_000;
    /** Peers kept per infohash; the oldest announce is dropped for a newcomer. */
    static final int MAX_PEERS_PER_INFOHASH = 200;
    /** Peers returned in one get_peers response (50 x 8 bytes keeps the packet small). */
    static final int MAX_PEERS_PER_RESPONSE = 50;

    private final Map<NodeId, LinkedHashMap<InetSocketAddress, Long>> peers = new HashMap<>();

    /** False when the infohash cap is reached. */
    synchronized boolean add(NodeId infohash, InetSocketAddress peer, long now) {
        LinkedHashMap<InetSocketAddress, Long> set = peers.get(infohash);
        if (set == null) {
            if (peers.size() >= MAX_INFOHASHES) {
                expire(now);
                if (peers.size() >= MAX_INFOHASHES) return false;
            }
            set = new LinkedHashMap<>();
            peers.put(infohash, set);
        }
        set.remove(peer); // re-insert: the order is by last announce
        set.put(peer, now + PEER_TTL_NANOS);
        if (set.size() > MAX_PEERS_PER_INFOHASH) {
            Iterator<InetSocketAddress> it = set.keySet().iterator();
            it.next();
            it.remove();
        }
        return true;
    }

    synchronized List<InetSocketAddress> get(NodeId infohash, long now) {
        LinkedHashMap<InetSocketAddress, Long> set = peers.get(infohash);
        if (set == null) return List.of();
        set.values().removeIf(expiry -> expiry - now <= 0);
        if (set.isEmpty()) {
            peers.remove(infohash);
            return List.of();
        }
        List<InetSocketAddress> out = new ArrayList<>(set.keySet());
        if (out.size() > MAX_PEERS_PER_RESPONSE) {
            Collections.shuffle(out);
            out = new ArrayList<>(out.subList(0, MAX_PEERS_PER_RESPONSE));
        }
        return out;
    }

    synchronized void expire(long now) {
        for (Iterator<LinkedHashMap<InetSocketAddress, Long>> it = peers.values().iterator(); it.hasNext(); ) {
            LinkedHashMap<InetSocketAddress, Long> set = it.next();
            set.values().removeIf(expiry -> expiry - now <= 0);
            if (set.isEmpty()) it.remove();
        }
    }

    synchronized int infohashCount() {
        return peers.size();
    }

    synchronized int peerCount() {
        int n = 0;
        for (var s : peers.values()) n += s.size();
        return n;
    }
}
