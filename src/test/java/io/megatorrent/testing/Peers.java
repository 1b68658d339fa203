package io.megatorrent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Real test peers (libtorrent, bittorrent-dht, microsocks, dante, tor, i2pd). A test whose peer
 * is missing skips with a message naming the package; under CI (CI=true, set by .ci/run, which
 * installs them all) the same absence is a failure, so CI always runs against the real thing.
 */
public final class Peers {
    private Peers() {}

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or, in CI, fails) the test unless {@code available}; {@code install} says how to get it. */
    public static void require(boolean available, String what, String install) {
        if (available) return;
        String message = what + " is not installed (" + install + ")";
        if (inCi()) Assertions.fail(message + ": CI must run against the real peer");
        Assumptions.abort(message);
    }

    /** An executable on PATH or at an absolute path. */
    public static boolean hasExecutable(String name) {
        if (name.contains("/")) return Files.isExecutable(Path.of(name));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) return true;
        }
        return false;
    }

    /**
     * The program's absolute path: from PATH, else from the folders where Debian installs system
     * daemons and admin tools (/usr/sbin, /sbin), which a plain user's PATH lacks. Null if absent.
     */
    public static String executable(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toAbsolutePath().toString();
            }
        }
        for (String dir : new String[] {"/usr/local/sbin", "/usr/sbin", "/sbin"}) {
            if (Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toString();
        }
        return null;
    }

    /** The project folder (surefire sets megatorrent.project.dir; else the working folder). */
    public static Path projectDir() {
        return Path.of(System.getProperty("megatorrent.project.dir", ".")).toAbsolutePath();
    }

    /** ../shared/vectors beside the project, if present. */
    public static Path sharedVectors() {
        return projectDir().resolve("../shared/vectors").normalize();
    }

    /** The java executable running this test (a JDK >= 21), for tests that start child JVMs. */
    public static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** A free TCP/UDP port number on loopback (best effort: the port is released before use). */
    public static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
