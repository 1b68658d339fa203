package io.megatorrent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code megatorrent bench transport} runs end to end and prints each figure beside its baselines (no timing asserted). */
class TransportBenchTest {
    @Test
    void benchPrintsNoiseBesideRawTcp() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"bench", "transport", "--mib", "8", "--handshakes", "3"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.matches("(?s).*raw TCP loopback \\(ceiling\\)\\s+[0-9.]+ MB/s.*"), text);
        assertTrue(text.matches("(?s).*Noise XX ChaChaPoly BLAKE2b, framed\\s+[0-9.]+ MB/s.*"), text);
        assertTrue(text.matches("(?s).*XX handshakes over loopback, serial\\s+[0-9]+ /s  \\(199 bytes on the wire\\).*"), text);
        assertTrue(text.matches("(?s).*XXhfs handshakes over loopback, serial\\s*[0-9]+ /s  \\(2487 bytes on the wire; [0-9.]+x the time of classic XX\\).*"), text);
        assertTrue(text.matches("(?s).*XX    CPU, both ends, 1 thread\\s+[0-9]+ us  XXhfs\\s+[0-9]+ us  \\([0-9.]+x; 199 vs 2487 bytes on the wire\\).*"), text);
        assertTrue(text.matches("(?s).*IK    CPU, both ends, 1 thread\\s+[0-9]+ us  IKhfs\\s+[0-9]+ us  \\([0-9.]+x; 149 vs 2453 bytes on the wire\\).*"), text);
        assertTrue(text.contains("ML-KEM-768: "), text);
    }
}
