package io.megatorrent.node;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The budget of the connections a node dials to fetch blobs (issue 11, finding 7): a hostile
 * DHT node can name endless holders, and each connection kept costs a socket and buffers for the
 * node's life. At most {@link #cap} are kept; to dial past it the idlest is closed first, one that
 * carries no gossip link of a followed channel before one that does; and a connection unused for
 * {@link #idleAfter} that carries no gossip link is closed. Which peers carry gossip links is the
 * daemon's to say ({@link #keepLinksTo}). Keys are whatever the pool names a connection by.
 */
final class OutgoingConnections<K> {
    /** Connections kept at most: well above the fetches running at once, so a download keeps its peers. */
    static final int DEFAULT_CAP = 64;
    /** A connection carrying no gossip link is closed after this long unused. */
    static final Duration DEFAULT_IDLE = Duration.ofMinutes(5);

    private final int cap;
    private final long idleNanos;
    private final LongSupplier clock;
    private final Function<K, InetSocketAddress> peerOf;
    private final Map<K, Long> lastUsed = new ConcurrentHashMap<>();
    private volatile Predicate<InetSocketAddress> keep = peer -> false;

    /** Counters over the pool's life, for status and tests. */
    final AtomicLong dialsAttempted = new AtomicLong();
    final AtomicLong evictedForRoom = new AtomicLong();
    final AtomicLong closedIdle = new AtomicLong();
    final AtomicInteger mostKept = new AtomicInteger();

    OutgoingConnections(int cap, Duration idleAfter, LongSupplier clock, Function<K, InetSocketAddress> peerOf) {
        if (cap < 1) throw new IllegalArgumentException("cap must be at least 1");
        this.cap = cap;
        this.idleNanos = idleAfter.toNanos();
        this.clock = clock;
        this.peerOf = peerOf;
    }

    int cap() {
        return cap;
    }

    /** Peers whose connection carries a followed channel's gossip: not closed for idleness, evicted last. */
    void keepLinksTo(Predicate<InetSocketAddress> keep) {
        this.keep = keep;
    }

    void used(K key) {
        lastUsed.put(key, clock.getAsLong());
    }

    void forget(K key) {
        lastUsed.remove(key);
    }

    /** A dial is starting, room made, with {@code kept} connections kept or being made (the new one included). */
    void dialing(int kept) {
        dialsAttempted.incrementAndGet();
        mostKept.accumulateAndGet(kept, Math::max);
    }

    /**
     * Of {@code open} (connections established, not the one being dialed), the one to close to
     * make room: the least recently used without a gossip link, else the least recently used;
     * null when {@code open} is empty.
     */
    K evictionVictim(Iterable<K> open) {
        K best = null;
        long bestUsed = Long.MAX_VALUE;
        boolean bestKept = true;
        Predicate<InetSocketAddress> k = keep;
        for (K key : open) {
            boolean kept = k.test(peerOf.apply(key));
            long used = lastUsed.getOrDefault(key, Long.MIN_VALUE);
            if (best == null || (bestKept && !kept) || (kept == bestKept && used < bestUsed)) {
                best = key;
                bestUsed = used;
                bestKept = kept;
            }
        }
        if (best != null) evictedForRoom.incrementAndGet();
        return best;
    }

    /** Whether {@code key}'s connection is idle past the limit and carries no gossip link: the caller closes it. */
    boolean idle(K key) {
        Long used = lastUsed.get(key);
        if (used == null || clock.getAsLong() - used < idleNanos || keep.test(peerOf.apply(key))) return false;
        closedIdle.incrementAndGet();
        return true;
    }
}
