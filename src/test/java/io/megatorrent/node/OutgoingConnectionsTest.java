package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The outgoing connection budget's choices (finding 7), on a clock the test moves. */
class OutgoingConnectionsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final OutgoingConnections<InetSocketAddress> pool = new OutgoingConnections<>(3, Duration.ofMinutes(5), now::get, p -> p);

    private static InetSocketAddress peer(int i) {
        return InetSocketAddress.createUnresolved("10.0.0." + i, 6881);
    }

    @Test
    void theIdlestIsEvictedAndAGossipLinkOnlyWhenNothingElseIs() {
        for (int i = 1; i <= 3; i++) {
            pool.used(peer(i));
            now.addAndGet(10);
        }
        pool.used(peer(1)); // 1 is now the most recently used, 2 the idlest
        assertEquals(peer(2), pool.evictionVictim(List.of(peer(1), peer(2), peer(3))));
        pool.keepLinksTo(p -> p.equals(peer(2)));
        assertEquals(peer(3), pool.evictionVictim(List.of(peer(1), peer(2), peer(3))), "a gossip link goes after the others");
        assertEquals(peer(2), pool.evictionVictim(List.of(peer(2))), "but it goes when it is all there is");
        assertNull(pool.evictionVictim(List.of()));
        assertEquals(3, pool.evictedForRoom.get());
    }

    @Test
    void onlyConnectionsIdlePastTheLimitWithoutAGossipLinkAreClosed() {
        pool.used(peer(1));
        pool.used(peer(2));
        pool.keepLinksTo(p -> p.equals(peer(2)));
        now.addAndGet(Duration.ofMinutes(5).toNanos() - 1);
        assertFalse(pool.idle(peer(1)));
        now.addAndGet(1);
        assertTrue(pool.idle(peer(1)));
        assertFalse(pool.idle(peer(2)), "a gossip link is kept however idle");
        assertFalse(pool.idle(peer(3)), "a connection the pool never saw used is not judged");
        assertEquals(1, pool.closedIdle.get());
    }

    @Test
    void dialsAndTheMostKeptAreCounted() {
        pool.dialing(1);
        pool.dialing(3);
        pool.dialing(2);
        assertEquals(3, pool.dialsAttempted.get());
        assertEquals(3, pool.mostKept.get());
    }
}
