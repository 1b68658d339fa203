package io.megatorrent.transport.socks5;

import static io.megatorrent.transport.socks5.Socks5TestSupport.assertEchoes;
import static io.megatorrent.transport.socks5.Socks5TestSupport.assertNoLookups;
import static io.megatorrent.transport.socks5.Socks5TestSupport.loopback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.testing.Peers;
import io.megatorrent.testing.RecordingResolver;
import io.megatorrent.transport.PeerAddress;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SOCKS5 client through a real dante-server 1.4.x: without auth, and with RFC 1929
 * username/password checked against the system password database (a system user the test
 * creates when it runs as root, and removes again).
 */
class DanteTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String USER = "mtsocks5test";
    private static final String PASSWORD = "mt-Secret-42";

    @TempDir
    static Path dir;
    private static Socks5TestSupport.EchoServer echo;
    private static ProxyProcesses.Started open;
    private static ProxyProcesses.Started authenticated;
    private static boolean createdUser;
    private static String noUserReason;

    @BeforeAll
    static void start() throws Exception {
        Peers.require(Peers.executable("danted") != null, "danted", "apt-get install dante-server");
        echo = new Socks5TestSupport.EchoServer();
        open = startDante("none");
        noUserReason = ensureUser();
        if (noUserReason == null) authenticated = startDante("username");
    }

    private static ProxyProcesses.Started startDante(String method) throws Exception {
        return ProxyProcesses.start("danted " + method, dir, port -> {
            try {
                Path conf = ProxyProcesses.write(dir, "danted-" + method + "-" + port + ".conf",
                        ProxyProcesses.template("danted.conf", Map.of("PORT", Integer.toString(port), "METHOD", method)));
                return List.of(Peers.executable("danted"), "-f", conf.toString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Null when the system user exists with our password, else why not. */
    private static String ensureUser() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "dante username auth needs a system user, and creating one needs root (running as "
                    + System.getProperty("user.name") + ")";
        }
        if (Peers.executable("useradd") == null || Peers.executable("chpasswd") == null) return "useradd/chpasswd not found";
        if (run(List.of("id", USER), null) != 0) {
            int rc = run(List.of(Peers.executable("useradd"), "--no-create-home", "--shell", "/usr/sbin/nologin", USER), null);
            if (rc != 0) return "useradd " + USER + " failed with " + rc;
            createdUser = true;
        }
        int rc = run(List.of(Peers.executable("chpasswd")), USER + ":" + PASSWORD + "\n");
        return rc == 0 ? null : "chpasswd failed with " + rc;
    }

    private static int run(List<String> command, String stdin) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @AfterAll
    static void stop() throws Exception {
        if (open != null) open.process().close();
        if (authenticated != null) authenticated.process().close();
        if (echo != null) echo.close();
        if (createdUser) run(List.of(Objects.requireNonNullElse(Peers.executable("userdel"), "userdel"), USER), null);
    }

    private static void requireUser() {
        if (noUserReason != null) {
            Assumptions.abort(noUserReason);
        }
    }

    private static void connectByName(Socks5Dialer dialer) throws Exception {
        Socks5TestSupport.assertResolverRecords();
        String name = Socks5TestSupport.freshLocalhostSpelling();
        RecordingResolver.clear();
        try (SocketChannel ch = dialer.connect(new PeerAddress(name, echo.port()), TIMEOUT)) {
            assertEchoes(ch, "through dante to " + name);
        }
        assertNoLookups("a connect through dante to " + name);
    }

    @Test
    void connectsByHostNameWithoutAuth() throws Exception {
        connectByName(Socks5Dialer.noAuth(loopback(open.port())));
    }

    @Test
    void connectsByHostNameWithUsernameAndPassword() throws Exception {
        requireUser();
        connectByName(Socks5Dialer.withCredentials(loopback(authenticated.port()), new Socks5Credentials(USER, PASSWORD)));
    }

    @Test
    void wrongPasswordIsAClearAuthError() {
        requireUser();
        Socks5Dialer dialer = Socks5Dialer.withCredentials(loopback(authenticated.port()), new Socks5Credentials(USER, "wrong"));
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> dialer.connect(new PeerAddress("localhost", echo.port()), TIMEOUT));
        assertEquals(1, e.authStatus());
        assertTrue(e.getMessage().contains("rejected our username/password (RFC 1929 STATUS 0x01)"), e.getMessage());
    }

    @Test
    void aClosedTargetPortIsConnectionRefused() throws Exception {
        int closed = Peers.freePort();
        Socks5Exception e = assertThrows(Socks5Exception.class, () -> Socks5Dialer.noAuth(loopback(open.port()))
                .connect(new PeerAddress("127.0.0.1", closed), TIMEOUT));
        assertEquals(0x05, e.replyCode());
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    }

    /** Dante logs the address it connected to (it resolved the name itself): proof the stream went through it. */
    @Test
    void danteLogsTheConnection() throws Exception {
        try (SocketChannel ch = Socks5Dialer.noAuth(loopback(open.port())).connect(new PeerAddress("localhost", echo.port()), TIMEOUT)) {
            assertEchoes(ch, "logged");
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        String expected = "127.0.0.1." + echo.port();
        while (!open.process().log().contains(expected) && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(open.process().log().contains(expected), open.process().log());
    }
}
