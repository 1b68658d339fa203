package io.megatorrent.node;

import static org.junit.jupiter.api.Assertions.*;

import io.megatorrent.testing.Cli;
import io.megatorrent.testing.Peers;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code megatorrent bench anonymity} through a real microsocks prints the proxied figure beside the direct one (no timing asserted). */
@Timeout(120)
class AnonymityBenchTest {
    @TempDir
    Path tmp;

    @Test
    void benchPrintsTheSocks5FigureBesideDirect() throws Exception {
        Peers.require(Peers.hasExecutable("microsocks"), "microsocks", "apt-get install microsocks");
        try (SafeModeSocks5Test.Microsocks proxy = SafeModeSocks5Test.Microsocks.start(tmp)) {
            Cli.Result r = Cli.run("bench", "anonymity", "--mib", "8", "--socks5", "127.0.0.1:" + proxy.port);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().matches("(?s).*direct TCP, loopback\\s+[0-9.]+ MB/s.*"), r.out());
            assertTrue(r.out().matches("(?s).*through SOCKS5 127\\.0\\.0\\.1:" + proxy.port + "\\s+[0-9.]+ MB/s\\s+\\(\\d+% of direct\\).*"), r.out());
            assertTrue(r.out().contains("through I2P: not measured"), r.out());
        }
    }
}
