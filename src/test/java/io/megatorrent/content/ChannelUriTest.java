package io.megatorrent.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.megatorrent.codec.Hex;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChannelUriTest {
    private static final String PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String READ = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private static String error(String uri) {
        return assertThrows(ChannelUriException.class, () -> ChannelUri.parse(uri), uri).getMessage();
    }

    @Test
    void publicUri() throws Exception {
        ChannelUri u = ChannelUri.parse("megatorrent://" + PUB);
        assertArrayEquals(Hex.decode(PUB), u.publicKey());
        assertNull(u.readKey());
        assertFalse(u.isPrivate());
        assertEquals(List.of(), u.bootstrap());
        assertEquals("megatorrent://" + PUB, u.format());
    }

    @Test
    void privateUriWithBootstrapRoundTrips() throws Exception {
        String text = "megatorrent://" + PUB + ":" + READ + "?bootstrap=router.example.org:6881&bootstrap=127.0.0.1:1&bootstrap=%5B::1%5D:65535";
        ChannelUri u = ChannelUri.parse(text);
        assertTrue(u.isPrivate());
        assertArrayEquals(Hex.decode(READ), u.readKey());
        assertEquals(List.of(new ChannelUri.Bootstrap("router.example.org", 6881), new ChannelUri.Bootstrap("127.0.0.1", 1),
                new ChannelUri.Bootstrap("::1", 65535)), u.bootstrap());
        assertEquals(text, u.format());
        assertEquals(u, ChannelUri.parse(u.format()));
        // Raw brackets are accepted too; printing percent-encodes them.
        assertEquals(u, ChannelUri.parse(text.replace("%5B", "[").replace("%5D", "]")));
        // Upper-case hex and scheme are accepted and printed in lower case.
        assertEquals(u, ChannelUri.parse(text.toUpperCase().replace("BOOTSTRAP", "bootstrap").replace("ROUTER.EXAMPLE.ORG", "router.example.org")));
        // The read key never reaches a log line.
        assertFalse(u.toString().contains(READ));
        assertEquals("megatorrent://" + PUB + "?bootstrap=router.example.org:6881&bootstrap=127.0.0.1:1&bootstrap=%5B::1%5D:65535",
                u.withoutReadKey().format());
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertTrue(error("magnet://" + PUB).contains("bad scheme 'magnet'"));
        assertTrue(error(PUB).contains("expected 'megatorrent://'"));
        assertTrue(error("megatorrent://" + PUB.substring(2)).contains("public key must be 64 hex digits, got 62"));
        assertTrue(error("megatorrent://" + PUB + "00").contains("public key must be 64 hex digits, got 66"));
        assertTrue(error("megatorrent://" + PUB.replace('d', 'g')).contains("not a hex digit"));
        assertTrue(error("megatorrent://" + PUB + ":" + READ.substring(1)).contains("read key must be 64 hex digits, got 63"));
        assertTrue(error("megatorrent://" + PUB + ":").contains("read key must be 64 hex digits, got 0"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:0").contains("bad port 0"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:65536").contains("bad port 65536"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:x1").contains("bad port 'x1'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:").contains("bad port ''"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:08").contains("leading zeros"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h").contains("missing ':port'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=::1:5").contains("IPv6 address must be in brackets"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=[::g]:5").contains("bad IPv6 address"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=[::1]5").contains("missing ':port'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=[::1:5").contains("missing ']'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=256.1.1.1:5").contains("bad IPv4 address"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=1.2.3:5").contains("bad IPv4 address"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=bad_host:5").contains("bad character '_'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=-a.b:5").contains("bad host name"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=:5").contains("empty host"));
        assertTrue(error("megatorrent://" + PUB + "?peer=h:1").contains("unknown parameter 'peer'"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap").contains("needs a value"));
        assertTrue(error("megatorrent://" + PUB + "?").contains("empty query"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:1&").contains("empty parameter"));
        assertTrue(error("megatorrent://" + PUB + "#x").contains("fragment"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h%41:1").contains("unexpected percent-escape"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:1%5").contains("truncated percent-escape"));
        StringBuilder many = new StringBuilder("megatorrent://" + PUB);
        for (int i = 0; i <= ChannelUri.MAX_BOOTSTRAP; i++) many.append(i == 0 ? '?' : '&').append("bootstrap=h:").append(i + 1);
        assertTrue(error(many.toString()).contains("more than " + ChannelUri.MAX_BOOTSTRAP));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=h:1&bootstrap=H:1").contains("given twice"));
        assertTrue(error("megatorrent://" + PUB + "/").contains("path"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=127.1:1").contains("bad IPv4 address"));
        assertTrue(error("megatorrent://" + PUB + "?bootstrap=[fe80::1%25eth0]:1").contains("unexpected percent-escape %25"));
        assertEquals("megatorrent://" + PUB + "?bootstrap=%5B2001:db8::1%5D:1",
                assertDoesNotThrow(() -> ChannelUri.parse("megatorrent://" + PUB + "?bootstrap=[2001:DB8:0:0:0:0:0:1]:1")).format());
        assertTrue(error("megatorrent://" + "a".repeat(ChannelUri.MAX_LENGTH)).contains("limit"));
    }
}
