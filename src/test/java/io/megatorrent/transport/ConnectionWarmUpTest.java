package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.FileDescriptors;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The handshake warm-up a node runs as it starts: both ends complete, and it leaves no socket open. */
class ConnectionWarmUpTest {
    @Test
    void bothEndsCompleteAndEverySocketIsClosed() throws Exception {
        Connection.warmUp(); // the first may load classes that open files of their own
        long before = FileDescriptors.open();
        Duration took = Connection.warmUp();
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "a warm-up is bounded by the handshake timeout: " + took);
        if (before >= 0) assertEquals(before, FileDescriptors.open(), "file descriptors before and after a warm-up");
    }

}
