package io.megatorrent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The progress a publish shows while the node works: the steps the node's status reports for this path. */
class PublishProgressTest {
    private static JsonObject status(String path, String step, long done) {
        JsonObject job = JsonObject.builder().put("path", path).put("step", step).put("bytes", 1000).put("bytesIngested", done).build();
        return JsonObject.builder().put("publishing", new JsonValue.JsonArray(List.of(job))).build();
    }

    @Test
    void showsEachStepTheNodeReportsForThisPathOnce() throws Exception {
        Path input = Path.of("/tmp/album");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicReference<JsonObject> now = new AtomicReference<>(status("/tmp/other", "ingesting", 0));
        CountDownLatch finish = new CountDownLatch(1);
        Thread driver = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(400);
                now.set(status(input.toString(), "ingesting", 300));
                Thread.sleep(600);
                now.set(status(input.toString(), "storing the pointer in the DHT", 1000));
                Thread.sleep(600);
                finish.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        String result = PublishCommand.withProgress(() -> {
            assertTrue(finish.await(30, TimeUnit.SECONDS));
            return "done";
        }, now::get, input, new Progress(err));
        driver.join();
        assertEquals("done", result);
        String lines = bytes.toString(StandardCharsets.UTF_8);
        // not a terminal: one line per step, in order, and nothing of the other path's publish
        assertEquals("ingesting (1000 B)\nstoring the pointer in the DHT (1000 B)\n", lines);
    }

    @Test
    void theJobsErrorIsThrownAndAnUnreadableStatusOnlyCostsTheLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        IOException failure = assertThrows(IOException.class, () -> PublishCommand.withProgress(() -> {
            Thread.sleep(600);
            throw new IOException("no DHT node stored the channel pointer");
        }, () -> {
            throw new IOException("the node went away");
        }, Path.of("/tmp/album"), new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8))));
        assertEquals("no DHT node stored the channel pointer", failure.getMessage());
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }
}
