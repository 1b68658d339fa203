package io.megatorrent.dht;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Announced peers per infohash (BEP 5), expiring 30 minutes after their last announce, with caps.
 * A source (IPv4 address, IPv6 /64) holds a few entries per infohash (its latest announces) and
 * entries under a bounded number of infohashes, so one host cannot push out everyone else.
 * Loopback sources are exempt from the per-source caps, as from the rate limit: only processes
 * on this host use them (and every local test peer shares 127.0.0.1). Thread-safe.
 */
final class PeerStore {
    static final long PEER_TTL_NANOS = 30L * 60 * 1_000_000_000L;
    /** Infohashes tracked at once; announces for new ones beyond it are refused. */
    static final int MAX_INFOHASHES = 2_000;
    /** Peers kept per infohash; the oldest announce is dropped for a newcomer. */
    static final int MAX_PEERS_PER_INFOHASH = 200;
    /**
     * Peers (ports) one source holds under one infohash: a few peers behind one NAT are found,
     * while one host's announces from many ports replace its own oldest, not everyone's.
     */
    static final int MAX_PEERS_PER_SOURCE = 4;
    /** Infohashes one source may be announced under at once; announces for more are refused. */
    static final int MAX_INFOHASHES_PER_SOURCE = 50;
    /** Peers returned in one get_peers response (50 x 8 bytes keeps the packet small). */
    static final int MAX_PEERS_PER_RESPONSE = 50;

    /** Per infohash: peer -> expiry, oldest announce first. */
    private final Map<NodeId, LinkedHashMap<InetSocketAddress, Long>> peers = new HashMap<>();
    /** Longest wait between two full expiry scans triggered by a cap (PROTOCOL_FINAL.md 3.9). */
    static final long FULL_EXPIRY_INTERVAL_NANOS = 1_000_000_000L;
    private long lastFullExpiry;
    private long fullExpiries;
    /** Infohashes each (non-loopback) source key has an entry under. */
    private final Map<InetAddress, Integer> perSource = new HashMap<>();

    /** False when a cap is reached (infohashes in all, or infohashes of this source). */
    synchronized boolean add(NodeId infohash, InetSocketAddress peer, long now) {
        InetAddress source = sourceOf(peer);
        LinkedHashMap<InetSocketAddress, Long> set = peers.get(infohash);
        if (source != null && (set == null || countOf(set, source) == 0)
                && perSource.getOrDefault(source, 0) >= MAX_INFOHASHES_PER_SOURCE) {
            expireIfDue(now);
            if (perSource.getOrDefault(source, 0) >= MAX_INFOHASHES_PER_SOURCE) return false;
            set = peers.get(infohash);
        }
        if (set == null) {
            if (peers.size() >= MAX_INFOHASHES) {
                expireIfDue(now);
                if (peers.size() >= MAX_INFOHASHES) return false;
            }
            set = new LinkedHashMap<>();
            peers.put(infohash, set);
        }
        remove(set, peer);
        if (source != null && countOf(set, source) >= MAX_PEERS_PER_SOURCE) {
            // the source's own oldest announce makes room
            for (InetSocketAddress p : set.keySet()) {
                if (source.equals(sourceOf(p))) {
                    remove(set, p);
                    break;
                }
            }
        } else if (set.size() >= MAX_PEERS_PER_INFOHASH) {
            remove(set, set.keySet().iterator().next());
        }
        // (re-)inserted last: the order is by last announce
        if (source != null && countOf(set, source) == 0) perSource.merge(source, 1, Integer::sum);
        set.put(peer, now + PEER_TTL_NANOS);
        return true;
    }

    /** The key the per-source caps count a peer under, or null for a loopback one (exempt). */
    private static InetAddress sourceOf(InetSocketAddress peer) {
        return peer.getAddress().isLoopbackAddress() ? null : Addresses.limitKey(peer.getAddress());
    }

    private static int countOf(LinkedHashMap<InetSocketAddress, Long> set, InetAddress source) {
        if (source == null) return 0;
        int n = 0;
        for (InetSocketAddress p : set.keySet()) if (source.equals(sourceOf(p))) n++;
        return n;
    }

    /** Removes peer from set; when it was its source's last entry there, the source has one infohash less. */
    private void remove(LinkedHashMap<InetSocketAddress, Long> set, InetSocketAddress peer) {
        if (set.remove(peer) == null) return;
        InetAddress source = sourceOf(peer);
        if (source != null && countOf(set, source) == 0) perSource.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    }

    synchronized List<InetSocketAddress> get(NodeId infohash, long now) {
        LinkedHashMap<InetSocketAddress, Long> set = peers.get(infohash);
        if (set == null) return List.of();
        expire(set, now);
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

    /**
     * A full scan at most every {@link #FULL_EXPIRY_INTERVAL_NANOS}: a cap reached must not make
     * every announce rescan the whole store on the receive thread (16 ms at 400,000 entries). The
     * node's maintenance expires everything once a minute anyway.
     */
    private void expireIfDue(long now) {
        if (lastFullExpiry != 0 && now - lastFullExpiry < FULL_EXPIRY_INTERVAL_NANOS) return;
        expire(now);
    }

    /** Full scans run so far: for tests. */
    synchronized long fullExpiries() {
        return fullExpiries;
    }

    synchronized void expire(long now) {
        lastFullExpiry = now == 0 ? 1 : now;
        fullExpiries++;
        for (Iterator<LinkedHashMap<InetSocketAddress, Long>> it = peers.values().iterator(); it.hasNext(); ) {
            LinkedHashMap<InetSocketAddress, Long> set = it.next();
            expire(set, now);
            if (set.isEmpty()) it.remove();
        }
    }

    private void expire(LinkedHashMap<InetSocketAddress, Long> set, long now) {
        List<InetSocketAddress> gone = new ArrayList<>();
        for (Map.Entry<InetSocketAddress, Long> e : set.entrySet()) if (e.getValue() - now <= 0) gone.add(e.getKey());
        for (InetSocketAddress p : gone) remove(set, p);
    }

    synchronized int infohashCount() {
        return peers.size();
    }

    synchronized int peerCount() {
        int n = 0;
        for (var s : peers.values()) n += s.size();
        return n;
    }

    synchronized int infohashesOf(InetAddress source) {
        return perSource.getOrDefault(Addresses.limitKey(source), 0);
    }
}
