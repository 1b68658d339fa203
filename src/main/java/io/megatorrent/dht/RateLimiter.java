package io.megatorrent.dht;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-IP token bucket on incoming queries. Loopback addresses are exempt unless told otherwise
 * (every test peer shares 127.0.0.1). IPv6 sources are counted per /64. The table is capped
 * and evicts the least recently seen source, so a flood of new addresses never resets the
 * buckets of the busy ones.
 */
final class RateLimiter {
    /** Distinct IPv4 addresses / IPv6 /64s tracked; beyond it the least recently seen one is forgotten. */
    static final int MAX_TRACKED_IPS = 10_000;

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

    synchronized int trackedIps() {
        return buckets.size();
    }
}
