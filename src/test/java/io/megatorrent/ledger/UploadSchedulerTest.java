package io.megatorrent.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Grant order under contention: score first, every 4th grant to a newcomer, refusers last. */
@Timeout(30)
class UploadSchedulerTest {
    private static final byte[] GIVER = {1};
    private static final byte[] BIG_GIVER = {2};
    private static final byte[] NEWCOMER = {3};
    private static final byte[] REFUSER = {4};

    @Test
    void grantsFollowScoreWithAShareForNewcomersAndRefusersLast() throws Exception {
        Map<Byte, UploadScheduler.Standing> standing = Map.of(
                (byte) 1, new UploadScheduler.Standing(10, false),
                (byte) 2, new UploadScheduler.Standing(50, false),
                (byte) 3, UploadScheduler.Standing.NEWCOMER,
                (byte) 4, new UploadScheduler.Standing(0, true));
        UploadScheduler s = new UploadScheduler(1, k -> standing.get(k[0]));
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        UploadScheduler.Slot held = s.acquire(GIVER); // the one slot is busy: everyone below waits
        List<byte[]> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(REFUSER);
            waiting.add(NEWCOMER);
            waiting.add(GIVER);
            waiting.add(BIG_GIVER);
        }
        CountDownLatch queued = new CountDownLatch(waiting.size());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (byte[] k : waiting) {
                pool.submit(() -> {
                    queued.countDown();
                    try (UploadScheduler.Slot slot = s.acquire(k)) {
                        order.add(switch (k[0]) {
                            case 1 -> "G";
                            case 2 -> "B";
                            case 3 -> "N";
                            default -> "R";
                        });
                    }
                    return null;
                });
                Thread.sleep(5); // arrivals in this order
            }
            assertTrue(queued.await(10, TimeUnit.SECONDS));
            while (s.grants() < 1 || waitingCount(s) < waiting.size()) Thread.sleep(5);
            held.close();
        }
        // grant 1 went to the holder; then: B B N(4th) B G G N(8th) G N R R R
        assertEquals(List.of("B", "B", "N", "B", "G", "G", "N", "G", "N", "R", "R", "R"), order);
        assertEquals(3, s.newcomerGrants());
    }

    private static int waitingCount(UploadScheduler s) {
        return s.waiting();
    }

    @Test
    void aHolderWithAnotherRequestCompetesForTheSlotItFrees() throws Exception {
        UploadScheduler s = new UploadScheduler(1, k -> k[0] == 1 ? new UploadScheduler.Standing(10, false) : UploadScheduler.Standing.NEWCOMER);
        UploadScheduler.Slot giver = s.acquire(GIVER); // grant 1
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Thread newcomer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 2; i++) {
                    try (UploadScheduler.Slot slot = s.acquire(NEWCOMER)) {
                        order.add("N");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (s.waiting() < 1) Thread.sleep(5);
        // the giver keeps asking for its next request as it frees each slot: it wins but every 4th turn
        for (int i = 0; i < 6; i++) {
            giver = s.acquireNext(giver, GIVER);
            order.add("G");
            while (newcomer.isAlive() && s.waiting() < 1 && order.size() < 8) Thread.sleep(5);
        }
        giver.close();
        newcomer.join(5000);
        // grants 2, 3: giver; 4: the newcomer's turn; 5, 6, 7: giver; 8: newcomer
        assertEquals(List.of("G", "G", "N", "G", "G", "G", "N", "G"), order);
    }

    @Test
    void withoutContentionEveryoneIsServedAtOnce() throws Exception {
        UploadScheduler s = new UploadScheduler(3, k -> new UploadScheduler.Standing(0, true));
        try (UploadScheduler.Slot a = s.acquire(REFUSER); UploadScheduler.Slot b = s.acquire(null); UploadScheduler.Slot c = s.acquire(NEWCOMER)) {
            assertEquals(3, s.grants());
        }
    }
}
