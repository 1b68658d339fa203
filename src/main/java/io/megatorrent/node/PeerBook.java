package io.megatorrent.node;

import io.megatorrent.codec.Hex;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Peers a node has learned hold a blob or a channel without asking the DHT: those that
 * announced it to us (MSG_ANNOUNCE), served it to us, or that a peer named (MSG_PEERS). It
 * answers MSG_FIND_PEERS and feeds the downloader beside the DHT. Bounded whatever peers send:
 * {@link #MAX_TARGETS} targets, least recently touched dropped first, and
 * {@link #MAX_PEERS_PER_TARGET} peers each, oldest dropped first.
 */
final class PeerBook {
    static final int MAX_TARGETS = 65_536;
    static final int MAX_PEERS_PER_TARGET = 32;

    private final LinkedHashMap<String, LinkedHashSet<InetSocketAddress>> byTarget = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, LinkedHashSet<InetSocketAddress>> eldest) {
            return size() > MAX_TARGETS;
        }
    };

    /** Records that {@code peer} holds {@code target} (a 20-byte blob short id or channel target). */
    synchronized void add(byte[] target, InetSocketAddress peer) {
        LinkedHashSet<InetSocketAddress> peers = byTarget.computeIfAbsent(Hex.encode(target), k -> new LinkedHashSet<>());
        peers.remove(peer);
        peers.add(peer);
        if (peers.size() > MAX_PEERS_PER_TARGET) {
            InetSocketAddress oldest = peers.iterator().next();
            peers.remove(oldest);
        }
    }

    /** The peers known for {@code target}, newest last; at most {@code max}. */
    synchronized List<InetSocketAddress> get(byte[] target, int max) {
        LinkedHashSet<InetSocketAddress> peers = byTarget.get(Hex.encode(target));
        if (peers == null) return List.of();
        List<InetSocketAddress> all = new ArrayList<>(peers);
        return all.size() <= max ? all : all.subList(all.size() - max, all.size());
    }

    synchronized int targets() {
        return byTarget.size();
    }
}
