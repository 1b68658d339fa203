package io.megatorrent.testing;

import io.megatorrent.codec.Json;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@code megatorrent} command run as its own process, as a user starts it (one JVM, the
 * process's PID is the node's), on this test run's class path: the recording resolver is
 * installed in it and logs every name lookup to {@link #lookupLog}. stderr goes to a log file;
 * the first JSON line on stdout (serve's ready line) is {@link #ready}. Closed with SIGTERM, so
 * the node's shutdown hook runs, and SIGKILL if it does not exit in time.
 */
public final class LoggedProcess implements AutoCloseable {
    public final Process process;
    public final Path log;
    public final Path lookupLog;
    private final CompletableFuture<JsonObject> readyLine = new CompletableFuture<>();
    private final StringBuilder stdout = new StringBuilder();

    private LoggedProcess(Process process, Path log, Path lookupLog) {
        this.process = process;
        this.log = log;
        this.lookupLog = lookupLog;
        Thread.ofPlatform().daemon().start(this::pump);
    }

    /** Starts {@code megatorrent ARGS}; logs go to {@code logDir/name.log} and {@code logDir/name.lookups}. */
    public static LoggedProcess start(Path logDir, String name, String... args) throws IOException {
        Path log = logDir.resolve(name + ".log");
        Path lookups = logDir.resolve(name + ".lookups");
        Files.deleteIfExists(lookups);
        List<String> cmd = new ArrayList<>(List.of(Peers.javaExecutable(), "-Xmx512m", "-D" + RecordingResolver.LOG_PROPERTY + "=" + lookups,
                "-cp", System.getProperty("java.class.path"), "io.megatorrent.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        return new LoggedProcess(p, log, lookups);
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (stdout) {
                    stdout.append(line).append('\n');
                }
                if (!readyLine.isDone() && line.startsWith("{")) {
                    try {
                        readyLine.complete(Json.parseObject(line.getBytes(StandardCharsets.UTF_8)));
                    } catch (Exception e) {
                        readyLine.completeExceptionally(e);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            readyLine.completeExceptionally(new IOException("no JSON line on stdout before it ended"));
        }
    }

    /** serve's ready line (its first JSON line), waiting at most {@code timeout}. */
    public JsonObject ready(Duration timeout) throws Exception {
        try {
            return readyLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("no ready line from " + log.getFileName() + " (" + describeExit() + "): " + e + "\nstderr:\n" + logText(), e);
        }
    }

    /** Waits for the process to exit and returns its code. */
    public int exitCode(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new AssertionError(log.getFileName() + " still runs after " + timeout);
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Every name the process looked up so far (the recording resolver's log). */
    public List<String> lookups() throws IOException {
        return Files.exists(lookupLog) ? Files.readAllLines(lookupLog) : List.of();
    }

    private String describeExit() {
        return process.isAlive() ? "running" : "exit code " + process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: the node's shutdown hook saves and closes
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
