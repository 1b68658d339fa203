package io.megatorrent.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Upload slots, handed out by trust when more peers wait than there are slots (PROTOCOL_FINAL.md
 * 8.7). A free slot goes to the waiting peer with the highest score (ties: the one waiting
 * longest), except that every {@value #NEWCOMER_TURN}th grant goes to the longest-waiting
 * newcomer (score 0), as BitTorrent's optimistic unchoke does, so a new user still progresses.
 * Peers that refused to countersign come after everyone else. Without contention every
 * request gets a slot at once.
 */
public final class UploadScheduler {
    public static final int NEWCOMER_TURN = 4;

    /** How a peer ranks when it asks: its score and whether it refused to countersign. */
    public record Standing(long score, boolean refuser) {
        public static final Standing NEWCOMER = new Standing(0, false);
    }

    /** A held slot; closing it frees it. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final int slots;
    private final Function<byte[], Standing> standing;
    private final List<Waiter> waiting = new ArrayList<>();
    private int free;
    private long arrivals;
    private long grants;

    /** Counters, for reports and tests. */
    private long newcomerGrants;

    private static final class Waiter {
        final Standing standing;
        final long arrival;
        boolean granted;

        Waiter(Standing standing, long arrival) {
            this.standing = standing;
            this.arrival = arrival;
        }
    }

    /** {@code standing}: the rank of a peer by its ledger key (null key: a peer without a ledger, a newcomer). */
    public UploadScheduler(int slots, Function<byte[], Standing> standing) {
        if (slots < 1) throw new IllegalArgumentException("at least one upload slot");
        this.slots = slots;
        this.free = slots;
        this.standing = standing;
    }

    /** Ranks peers by a ledger: score by maximum flow, refusers last. */
    public static UploadScheduler byLedger(int slots, Ledger ledger) {
        return new UploadScheduler(slots, key -> key == null ? Standing.NEWCOMER : new Standing(ledger.score(key), ledger.isRefuser(key)));
    }

    public int slots() {
        return slots;
    }

    /** Waits for a slot for the peer with ledger key {@code peerKey} (null if it has none). */
    public Slot acquire(byte[] peerKey) throws InterruptedException {
        return await(null, peerKey);
    }

    /**
     * Gives {@code held} back and waits for a slot for the holder's next request, in one step:
     * the holder competes for the slot it frees with everyone waiting, by rank. (Freeing first and
     * asking again after would hand the slot to whoever waits, whatever their rank.)
     */
    public Slot acquireNext(Slot held, byte[] peerKey) throws InterruptedException {
        return await((Grant) held, peerKey);
    }

    private Slot await(Grant held, byte[] peerKey) throws InterruptedException {
        Standing s = peerKey == null ? Standing.NEWCOMER : standing.apply(peerKey);
        synchronized (this) {
            Waiter w = new Waiter(s, arrivals++);
            waiting.add(w);
            if (held != null && !held.closed) {
                held.closed = true;
                free++;
            }
            dispatch();
            try {
                while (!w.granted) wait();
            } catch (InterruptedException e) {
                if (w.granted) release();
                else waiting.remove(w);
                throw e;
            }
        }
        return new Grant();
    }

    private final class Grant implements Slot {
        boolean closed; // guarded by the scheduler

        @Override
        public void close() {
            synchronized (UploadScheduler.this) {
                if (closed) return;
                closed = true;
                release();
            }
        }
    }

    private void release() {
        free++;
        dispatch();
    }

    private void dispatch() {
        boolean any = false;
        while (free > 0 && !waiting.isEmpty()) {
            Waiter next = pick();
            waiting.remove(next);
            next.granted = true;
            free--;
            grants++;
            any = true;
        }
        if (any) notifyAll();
    }

    private Waiter pick() {
        Waiter best = null;
        Waiter newcomer = null;
        Waiter refuser = null;
        for (Waiter w : waiting) {
            if (w.standing.refuser()) {
                if (refuser == null) refuser = w;
            } else if (w.standing.score() <= 0) {
                if (newcomer == null) newcomer = w;
            } else if (best == null || w.standing.score() > best.standing.score()) {
                best = w;
            }
        }
        if (newcomer != null && (best == null || (grants + 1) % NEWCOMER_TURN == 0)) {
            newcomerGrants++;
            return newcomer;
        }
        return best != null ? best : refuser;
    }

    /** Grants so far, and those that went to newcomers. */
    public synchronized long grants() {
        return grants;
    }

    public synchronized long newcomerGrants() {
        return newcomerGrants;
    }

    /** Requests waiting for a slot now. */
    public synchronized int waiting() {
        return waiting.size();
    }
}
