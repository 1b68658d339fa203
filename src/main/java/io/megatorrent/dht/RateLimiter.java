package io.megatorrent.dht;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-IP token bucket on incoming queries, counted in bytes answered: a query is let in while its
 * source has a token (which it takes), and its answer then costs the rest of
 * {@code answer bytes / BYTES_PER_TOKEN} tokens, so a spoofed source cannot be sent more than the rate in bytes however large
 * the answers it asks for (a stored 1,000-byte item, UDP reflection). Loopback addresses are exempt unless told otherwise
 * (every test peer shares 127.0.0.1). IPv6 sources are counted per /64. The table is capped
 * and evicts the least recently seen source, so a flood of new addresses never resets the
 * buckets of the busy ones.
 */
final class RateLimiter {
    /** Distinct IPv4 addresses / IPv6 /64s tracked; beyond it the least recently seen one is forgotten. */
    static final int MAX_TRACKED_IPS = 10_000;
    /** Bytes of answer one token pays for: a ping or a small answer costs one, a 1,000-byte item about ten. */
    static final int BYTES_PER_TOKEN = 128;

    private final double perSecond;
    private final double burst;
    private final boolean limitLoopback;
    private final Map<InetAddress, double[]> buckets = new LinkedHashMap<>(1024, 0.75f, true) { // {tokens, last nanos}
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, double[]> eldest) {
            return size() > MAX_TRACKED_IPS;
        }
    };

    RateLimiter(int perSecond, boolean limitLoopback) {
        this.perSecond = perSecond;
        this.burst = Math.max(1, perSecond * 2.0);
        this.limitLoopback = limitLoopback;
    }

    synchronized boolean allow(InetAddress ip, long now) {
        if (perSecond <= 0) return true;
        if (!limitLoopback && ip.isLoopbackAddress()) return true;
        InetAddress key = Addresses.limitKey(ip);
        double[] b = buckets.get(key);
        if (b == null) {
            b = new double[] {burst, now};
            buckets.put(key, b);
        }
        b[0] = Math.min(burst, b[0] + (now - b[1]) / 1e9 * perSecond);
        b[1] = now;
        if (b[0] < 1) return false;
        b[0] -= 1;
        return true;
    }

    /**
     * Charges an answer of {@code bytes} sent to {@code ip}: one token per {@link #BYTES_PER_TOKEN}
     * bytes, less the one its query paid in {@link #allow}. The bucket may go below zero: the
     * source then waits until it refills.
     */
    synchronized void charge(InetAddress ip, int bytes, long now) {
        if (perSecond <= 0) return;
        if (!limitLoopback && ip.isLoopbackAddress()) return;
        double[] b = buckets.get(Addresses.limitKey(ip));
        if (b == null) return; // forgotten meanwhile: it starts over with a full bucket anyway
        b[0] -= Math.max(0.0, (double) bytes / BYTES_PER_TOKEN - 1);
    }

    synchronized int trackedIps() {
        return buckets.size();
    }
}
