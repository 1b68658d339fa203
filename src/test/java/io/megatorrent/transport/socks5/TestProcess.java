package io.megatorrent.transport.socks5;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real peer (proxy or router) started by a test, its output in a log file, stopped by PID:
 * SIGTERM, then SIGKILL if it has not exited after a grace period.
 */
public final class TestProcess implements AutoCloseable {
    private final String what;
    private final Process process;
    private final Path log;
    private final Duration grace;

    private TestProcess(String what, Process process, Path log, Duration grace) {
        this.what = what;
        this.process = process;
        this.log = log;
        this.grace = grace;
    }

    public static TestProcess start(String what, List<String> command, Path log, Duration grace) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.directory(log.getParent().toFile());
        return new TestProcess(what, pb.start(), log, grace);
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Waits until 127.0.0.1:port accepts connections; fails with the log if the process dies or it takes too long. */
    public void awaitPort(int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) throw new IOException(what + " exited with " + process.exitValue() + ":\n" + log());
            try (SocketChannel ch = SocketChannel.open()) {
                ch.socket().connect(new InetSocketAddress("127.0.0.1", port), 200);
                // if our process failed to bind, what answered belongs to someone else: it exits soon
                Thread.sleep(100);
                if (!process.isAlive()) throw new IOException(what + " exited with " + process.exitValue() + ":\n" + log());
                return;
            } catch (java.net.ConnectException | java.net.SocketTimeoutException notYet) {
                if (System.nanoTime() > deadline) throw new IOException(what + " did not listen on port " + port + " in " + timeout + ":\n" + log());
                Thread.sleep(20);
            }
        }
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy(); // SIGTERM to this PID only
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly(); // SIGKILL
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
