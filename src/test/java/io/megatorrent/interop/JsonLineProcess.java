package io.megatorrent.interop;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process that prints one JSON object per line on stdout and reads requests as JSON
 * lines on stdin: the test peers' scripts and our own {@code dht node}. Stopped by PID (the
 * process and its descendants), TERM first and KILL after a grace period; each script also
 * exits by itself when its stdin closes, so a crashed test JVM leaves nothing behind.
 */
final class JsonLineProcess implements AutoCloseable {
    /** Last part of the child's stderr kept for failure messages. */
    static final int STDERR_TAIL_CHARS = 6_000;
    /** Time a process gets to exit after SIGTERM before SIGKILL. */
    static final Duration TERM_GRACE = Duration.ofSeconds(2);
    private static final String END_OF_OUTPUT = "\u0000eof";

    private final String name;
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> stdoutLines = new LinkedBlockingQueue<>();
    private final StringBuilder stderrTail = new StringBuilder();
    private JsonObject ready;

    private JsonLineProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread.ofVirtual().name(name + "-stdout").start(() -> pump(process.getInputStream(), true));
        Thread.ofVirtual().name(name + "-stderr").start(() -> pump(process.getErrorStream(), false));
    }

    /** Starts the command and waits for its first JSON line (its ready line). */
    static JsonLineProcess start(String name, List<String> command, Path workDir, Duration readyTimeout)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        JsonLineProcess started = new JsonLineProcess(name, builder.start());
        try {
            started.ready = started.nextObject(readyTimeout, "its ready line");
            return started;
        } catch (IOException | RuntimeException e) {
            started.close();
            throw e;
        }
    }

    private void pump(InputStream in, boolean isStdout) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (isStdout) stdoutLines.add(line);
                else appendTail(line);
            }
        } catch (IOException e) {
            if (!isStdout) appendTail("(stderr read failed: " + e + ")");
        } finally {
            if (isStdout) stdoutLines.add(END_OF_OUTPUT);
        }
    }

    private void appendTail(String line) {
        StringBuilder tail = stderrTail;
        synchronized (tail) {
            tail.append(line).append('\n');
            if (tail.length() > STDERR_TAIL_CHARS) tail.delete(0, tail.length() - STDERR_TAIL_CHARS);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    JsonObject readyLine() {
        return ready;
    }

    /** The end of the child's stderr, for failure messages. */
    String stderrTail() {
        StringBuilder tail = stderrTail;
        synchronized (tail) {
            return tail.toString();
        }
    }

    /** Sends one request line and returns the next JSON object the child prints. */
    JsonObject request(JsonObject request, Duration timeout) throws IOException {
        stdin.write((Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        return nextObject(timeout, "an answer to " + Json.write(request));
    }

    private JsonObject nextObject(Duration timeout, String awaited) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line;
            try {
                line = stdoutLines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(name + ": interrupted waiting for " + awaited, e);
            }
            if (line == null) {
                throw new IOException(name + " (pid " + process.pid() + ") gave no " + awaited + " within "
                        + timeout.toSeconds() + " s; stderr:\n" + stderrTail());
            }
            if (line.equals(END_OF_OUTPUT)) {
                stdoutLines.add(END_OF_OUTPUT);
                throw new IOException(name + " exited (" + exitDescription() + ") before " + awaited
                        + "; stderr:\n" + stderrTail());
            }
            if (!line.startsWith("{")) {
                appendTail("(stdout) " + line);
                continue;
            }
            try {
                if (Json.parse(line) instanceof JsonValue.JsonObject object) return object;
            } catch (CodecException e) {
                appendTail("(stdout, not JSON: " + e.getMessage() + ") " + line);
            }
        }
    }

    private String exitDescription() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? "exit code " + process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Stops the child and its descendants by PID: TERM, then KILL after {@link #TERM_GRACE}. */
    @Override
    public void close() {
        List<ProcessHandle> descendants = process.descendants().toList();
        try {
            stdin.close();
        } catch (IOException ignored) {
            // the child may already be gone
        }
        descendants.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
