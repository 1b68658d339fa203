package io.megatorrent.dht;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-IP token bucket on incoming queries. Loopback addresses are exempt unless told otherwise
 * (every test peer shares 127.0.0.1). The table of IPs is capped: past the cap it is cleared,
 * which at worst lets a flood through for one refill.
 */
final class RateLimiter {
    /** Distinct IPs tracked before the table is reset. */
    static final int MAX_TRACKED_IPS = 10_000;

    private final double perSecond;
    private final double burst;
    private final boolean limitLoopback;
    private final Map<InetAddress, double[]> buckets = new HashMap<>(); // {tokens, last nanos}

    RateLimiter(int perSecond, boolean limitLoopback) {
        this.perSecond = perSecond;
        this.burst = Math.max(1, perSecond * 2.0);
        this.limitLoopback = limitLoopback;
    }

    synchronized boolean allow(InetAddress ip, long now) {
        if (perSecond <= 0) return true;
        if (!limitLoopback && ip.isLoopbackAddress()) return true;
        double[] b = buckets.get(ip);
        if (b == null) {
            if (buckets.size() >= MAX_TRACKED_IPS) buckets.clear();
            b = new double[] {burst, now};
            buckets.put(ip, b);
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
