package io.megatorrent.dht;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * BEP 5 routing table. Bucket i holds the nodes whose ids share exactly i leading bits with
 * ours; the last bucket holds all nodes sharing at least that many, and it is the only one
 * that splits when full (the BEP 5 rule: only the bucket whose range covers our own id splits).
 * A full bucket that cannot split keeps newcomers in its replacement cache and promotes them
 * when one of its nodes goes bad. Thread-safe.
 */
final class RoutingTable {
    /** Nodes per bucket (BEP 5's K). */
    static final int K = 8;
    /** Newcomers kept per full bucket, newest first to be promoted. */
    static final int REPLACEMENT_CACHE_SIZE = 8;
    /** A node is good while it answered us within this time (BEP 5: 15 minutes). */
    static final long GOOD_NANOS = 15L * 60 * 1_000_000_000L;
    /** Consecutive unanswered queries after which a node is bad. */
    static final int BAD_AFTER_FAILURES = 2;

    enum State { GOOD, QUESTIONABLE, BAD }

    static final class Entry {
        NodeInfo node;
        long lastReplied; // 0 = never
        long lastSeen;
        int failures;

        Entry(NodeInfo node) {
            this.node = node;
        }

        State state(long now) {
            if (failures >= BAD_AFTER_FAILURES) return State.BAD;
            if (lastReplied != 0 && now - lastReplied < GOOD_NANOS) return State.GOOD;
            return State.QUESTIONABLE;
        }
    }

    static final class Bucket {
        final List<Entry> nodes = new ArrayList<>(K);
        final ArrayDeque<Entry> replacements = new ArrayDeque<>(REPLACEMENT_CACHE_SIZE);
        long lastChanged;
    }

    private final NodeId own;
    private final List<Bucket> buckets = new ArrayList<>();
    /** Which id each address in the table has: one address holds one entry. */
    private final java.util.Map<InetSocketAddress, NodeId> byAddress = new java.util.HashMap<>();

    private final boolean enforceBep42;
    /** The address family of the node's socket: nodes of the other family are unreachable and stay out. */
    private final boolean ipv6;

    RoutingTable(NodeId own, long now) {
        this(own, now, false, false);
    }

    RoutingTable(NodeId own, long now, boolean enforceBep42) {
        this(own, now, enforceBep42, false);
    }

    /**
     * With enforceBep42, nodes whose id BEP 42 forbids for their (public IPv4) address stay out;
     * ipv6: the table of an IPv6 node (BEP 32), which holds IPv6 nodes only, else IPv4 only.
     */
    RoutingTable(NodeId own, long now, boolean enforceBep42, boolean ipv6) {
        this.own = own;
        this.enforceBep42 = enforceBep42;
        this.ipv6 = ipv6;
        Bucket b = new Bucket();
        b.lastChanged = now;
        buckets.add(b);
    }

    NodeId ownId() {
        return own;
    }

    /**
     * Records that a node answered our query (replied) or sent us a query (not replied, so it
     * enters as questionable). Returns false when it was not added (table full there).
     */
    synchronized boolean heardFrom(NodeInfo node, boolean replied, long now) {
        int cpl = own.commonPrefixLength(node.id());
        if (cpl == NodeId.BITS) return false;
        if (!Addresses.sameFamily(node.address().getAddress(), ipv6)) return false;
        if (node.address().getPort() == 0 || Addresses.scope(node.address().getAddress()) == Addresses.Scope.UNUSABLE) return false;
        if (enforceBep42 && !Bep42.valid(node.id(), node.address().getAddress())) return false;
        NodeId known = byAddress.get(node.address());
        if (known != null && !known.equals(node.id())) {
            // One address, one entry: a query under a new id is ignored (no id flooding), but an
            // answer to our own query means the node changed its id (libtorrent does, after
            // learning its external address): the old entry goes.
            if (!replied) return false;
            remove(known, node.address());
        }
        while (true) {
            int index = Math.min(cpl, buckets.size() - 1);
            Bucket bucket = buckets.get(index);
            for (int i = 0; i < bucket.nodes.size(); i++) { // no iterator: this runs for every query answered
                Entry e = bucket.nodes.get(i);
                if (e.node.id().equals(node.id())) {
                    // an id answering from a new address is not trusted to move; the old one stays
                    if (!e.node.address().equals(node.address())) return false;
                    e.lastSeen = now;
                    if (replied) {
                        e.lastReplied = now;
                        e.failures = 0;
                    }
                    bucket.lastChanged = now;
                    return true;
                }
            }
            Entry fresh = new Entry(node);
            fresh.lastSeen = now;
            if (replied) fresh.lastReplied = now;
            if (bucket.nodes.size() < K) {
                bucket.nodes.add(fresh);
                byAddress.put(node.address(), node.id());
                bucket.lastChanged = now;
                return true;
            }
            if (index == buckets.size() - 1 && buckets.size() < NodeId.BITS) {
                split(now);
                continue;
            }
            for (int i = 0; i < bucket.nodes.size(); i++) {
                if (bucket.nodes.get(i).state(now) == State.BAD) {
                    byAddress.remove(bucket.nodes.get(i).node.address());
                    byAddress.put(node.address(), node.id());
                    bucket.nodes.set(i, fresh);
                    bucket.lastChanged = now;
                    return true;
                }
            }
            bucket.replacements.removeIf(e -> e.node.id().equals(node.id()));
            if (bucket.replacements.size() >= REPLACEMENT_CACHE_SIZE) bucket.replacements.removeLast();
            bucket.replacements.addFirst(fresh);
            return false;
        }
    }

    private void remove(NodeId id, InetSocketAddress address) {
        byAddress.remove(address);
        for (Bucket b : buckets) b.nodes.removeIf(e -> e.node.id().equals(id) && e.node.address().equals(address));
    }

    private void split(long now) {
        Bucket last = buckets.get(buckets.size() - 1);
        Bucket next = new Bucket();
        next.lastChanged = now;
        int depth = buckets.size(); // nodes sharing >= depth bits move to the new bucket
        buckets.add(next);
        for (Iterator<Entry> it = last.nodes.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (own.commonPrefixLength(e.node.id()) >= depth) {
                next.nodes.add(e);
                it.remove();
            }
        }
        for (Iterator<Entry> it = last.replacements.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (own.commonPrefixLength(e.node.id()) >= depth) {
                if (next.nodes.size() < K && !byAddress.containsKey(e.node.address())) {
                    next.nodes.add(e);
                    byAddress.put(e.node.address(), e.node.id());
                }
                it.remove();
            }
        }
    }

    /** Records an unanswered query; a node that goes bad is replaced from the cache. */
    synchronized void failed(InetSocketAddress address, long now) {
        for (Bucket bucket : buckets) {
            for (int i = 0; i < bucket.nodes.size(); i++) {
                Entry e = bucket.nodes.get(i);
                if (!e.node.address().equals(address)) continue;
                e.failures++;
                if (e.state(now) != State.BAD) return;
                // a replacement whose address got an entry meanwhile is stale: drop it, try the next
                while (!bucket.replacements.isEmpty()) {
                    Entry promoted = bucket.replacements.removeFirst();
                    if (byAddress.containsKey(promoted.node.address())) continue;
                    byAddress.remove(e.node.address());
                    byAddress.put(promoted.node.address(), promoted.node.id());
                    bucket.nodes.set(i, promoted);
                    bucket.lastChanged = now;
                    return;
                }
                return;
            }
        }
    }

    /** Up to count known nodes that are not bad, closest to target first. */
    synchronized List<NodeInfo> closest(NodeId target, int count, long now) {
        // every find_node and get_peers asks this: keep the best count by insertion instead of
        // sorting the whole table (count is 8 or 16, the table hundreds)
        NodeInfo[] best = new NodeInfo[Math.max(0, count)];
        int n = 0;
        for (Bucket b : buckets) {
            for (Entry e : b.nodes) {
                if (e.state(now) == State.BAD) continue;
                NodeInfo node = e.node;
                if (n == best.length && (n == 0 || target.compareDistance(node.id(), best[n - 1].id()) >= 0)) continue;
                int i = n == best.length ? n - 1 : n++;
                while (i > 0 && target.compareDistance(node.id(), best[i - 1].id()) < 0) {
                    best[i] = best[i - 1];
                    i--;
                }
                best[i] = node;
            }
        }
        List<NodeInfo> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(best[i]);
        return out;
    }

    synchronized List<NodeInfo> all() {
        List<NodeInfo> all = new ArrayList<>();
        for (Bucket b : buckets) for (Entry e : b.nodes) all.add(e.node);
        return all;
    }

    /** Nodes to ping because they went quiet (questionable), at most max. */
    synchronized List<NodeInfo> questionable(long now, int max) {
        List<NodeInfo> out = new ArrayList<>();
        for (Bucket b : buckets)
            for (Entry e : b.nodes)
                if (e.state(now) == State.QUESTIONABLE && out.size() < max) out.add(e.node);
        return out;
    }

    /** A random target for each bucket untouched for {@code staleNanos} (all buckets when 0). */
    synchronized List<NodeId> refreshTargets(long now, long staleNanos, java.util.Random random) {
        List<NodeId> out = new ArrayList<>();
        for (int i = 0; i < buckets.size(); i++) {
            Bucket b = buckets.get(i);
            if (staleNanos > 0 && now - b.lastChanged < staleNanos) continue;
            // the last bucket covers every id sharing >= i bits; a random id there shares exactly i or more
            out.add(i == buckets.size() - 1 ? own.randomWithPrefix(NodeId.BITS, random) : own.randomWithPrefix(i, random));
            b.lastChanged = now;
        }
        return out;
    }

    synchronized int size() {
        int n = 0;
        for (Bucket b : buckets) n += b.nodes.size();
        return n;
    }

    synchronized int bucketCount() {
        return buckets.size();
    }

    static Comparator<NodeInfo> byDistanceTo(NodeId target) {
        return (a, b) -> target.compareDistance(a.id(), b.id());
    }
}
