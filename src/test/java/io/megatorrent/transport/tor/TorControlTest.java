package io.megatorrent.transport.tor;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The control-port client's parsing and the exact lines it sends, against a scripted server (the real tor is in OnionServiceTest). */
class TorControlTest {
    @Test
    void fieldsAndQuotedStrings() throws IOException {
        String auth = "AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"/var/lib/tor/a \\\"b\\\"/cookie\"";
        assertEquals("COOKIE,SAFECOOKIE", TorControl.field(auth, "METHODS"));
        assertEquals("/var/lib/tor/a \"b\"/cookie", TorControl.unquote(TorControl.field(auth, "COOKIEFILE")));
        assertEquals("\"p\\\"w\\\\\"", TorControl.quote("p\"w\\"));
        assertThrows(IOException.class, () -> TorControl.field("AUTH METHODS=NULL", "COOKIEFILE"));
    }

    @Test
    void passwordAuthenticationAndAnOversizeLineAndDataBlocks() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    received.add(readLine(in));
                    out.write("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                    received.add(readLine(in));
                    out.write("250 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                    received.add(readLine(in));
                    out.write(("250+onions/detached=\r\n" + "a".repeat(56) + "\r\n" + "b".repeat(56) + "\r\n.\r\n250 OK\r\n").getBytes(StandardCharsets.US_ASCII));
                    received.add(readLine(in));
                    out.write(("250-" + "x".repeat(TorControl.MAX_LINE + 10) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    in.read();
                } catch (IOException e) {
                    // the client gave up
                }
            });
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            try (TorControl c = TorControl.connect(at, "s3cret \"q\"", Duration.ofSeconds(5))) {
                assertEquals(List.of("a".repeat(56), "b".repeat(56)), c.detachedOnions());
                IOException e = assertThrows(IOException.class, () -> c.command("GETINFO version"));
                assertTrue(e.getMessage().contains("longer than"), e.getMessage());
            }
        }
        assertEquals(List.of("PROTOCOLINFO 1", "AUTHENTICATE \"s3cret \\\"q\\\"\"", "GETINFO onions/detached", "GETINFO version"), received);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("closed");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }
}
