package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.transport.Framing;
import io.megatorrent.transport.Message;
import io.megatorrent.transport.Noise;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 1, against a real node process with a 256 MiB heap: 400 authenticated
 * connections each hold a partial message (a largest frame short of its last byte), and 100 more
 * send the first frame of a 1 MiB MSG_DATA that answers nothing. The node stays up,
 * refuses the unsolicited MSG_DATA unread, stays within its heap, and a legitimate bridge client
 * is answered all along; no OutOfMemoryError anywhere in its log.
 */
@Timeout(300)
class HeapExhaustionAttackTest {
    static final int ATTACKERS = 400;
    static final int UNSOLICITED_DATA = 100;
    static final Duration T = Duration.ofSeconds(20);

    @Test
    void partialMessagesOn400ConnectionsDoNotExhaustA256MiBHeap(@TempDir Path dir) throws Exception {
        try (NodeUnderAttack node = NodeUnderAttack.start(dir, "256m", List.of())) {
            long baseline = node.heapUsedAfterGc();
            List<NodeUnderAttack.RawSession> data = new ArrayList<>();
            List<NodeUnderAttack.RawSession> partialFrames = new ArrayList<>();
            try {
                for (int i = 0; i < ATTACKERS + UNSOLICITED_DATA; i++) {
                    NodeUnderAttack.RawSession s = NodeUnderAttack.RawSession.open(node.bridgeAddress(), T);
                    if (i % 5 == 4) {
                        // the first frame of a full-size MSG_DATA that answers no request of the node's
                        s.write(s.firstFrameOf(Message.DATA, Message.MAX_MESSAGE_LENGTH));
                        data.add(s);
                    } else {
                        // a largest frame announced and sent but for its last byte: a message the node must wait for
                        byte[] frame = s.firstFrameOf(Message.HELLO, Framing.MAX_FRAME_PLAINTEXT - Framing.MESSAGE_LENGTH_PREFIX);
                        assertEquals(Framing.FRAME_LENGTH_PREFIX + Noise.MAX_MESSAGE_LENGTH, frame.length);
                        s.write(java.util.Arrays.copyOf(frame, frame.length - 1));
                        partialFrames.add(s);
                    }
                    if (i % 100 == 99) {
                        assertInstanceOf(Message.DhtResponse.class, node.legitimateQuery(T), "a legitimate client is served after " + (i + 1) + " attackers");
                    }
                }
                assertTrue(node.alive(), "the node is up");
                int closed = 0;
                for (NodeUnderAttack.RawSession s : data) if (s.closedByNode(Duration.ofSeconds(5))) closed++;
                assertEquals(data.size(), closed, "every unsolicited MSG_DATA closed its connection unread");
                int held = 0;
                for (NodeUnderAttack.RawSession s : partialFrames) if (!s.closedByNode(Duration.ofMillis(20))) held++;
                long heap = node.heapUsedAfterGc();
                long rss = node.residentBytes();
                System.out.printf("finding 1: %d connections hold a partial frame; node heap after GC %d KiB (baseline %d KiB, %d KiB per held connection); RSS %d MiB%n",
                        held, heap / 1024, baseline / 1024, held == 0 ? 0 : (heap - baseline) / 1024 / held, rss >> 20);
                assertEquals(partialFrames.size(), held, "the connections holding a partial frame are still served (no false eviction)");
                assertTrue(heap < 256L << 20, "within its 256 MiB heap: " + heap);
                assertInstanceOf(Message.DhtResponse.class, node.legitimateQuery(T), "a legitimate client is served during the attack");
            } finally {
                for (var s : data) s.close();
                for (var s : partialFrames) s.close();
            }
            assertInstanceOf(Message.DhtResponse.class, node.legitimateQuery(T), "and after it");
            assertTrue(node.alive());
            assertFalse(node.log().contains("OutOfMemoryError"), "no OutOfMemoryError in the node's log:\n" + node.log());
        }
    }
}
