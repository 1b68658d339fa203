package io.megatorrent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Range parsing (RFC 9110 14.1.2 and 14.2) and the access bookkeeping, without a server. */
class RangeAndAccessTest {
    private static Streaming.Range part(String header, long size) {
        return assertInstanceOf(Streaming.Part.class, Streaming.parse(header, size), header).range();
    }

    @Test
    void rangesAreParsedAsRfc9110Says() {
        assertEquals(new Streaming.Range(0, 499), part("bytes=0-499", 10_000));
        assertEquals(new Streaming.Range(500, 999), part("bytes=500-999", 10_000));
        assertEquals(new Streaming.Range(9500, 9999), part("bytes=-500", 10_000));
        assertEquals(new Streaming.Range(9500, 9999), part("bytes=9500-", 10_000));
        assertEquals(new Streaming.Range(0, 9999), part("bytes=-20000", 10_000), "a suffix longer than the file is the whole file");
        assertEquals(new Streaming.Range(5, 9999), part("bytes=5-99999999999999999999999", 10_000), "a last position past the end is the end");
        assertEquals(new Streaming.Range(0, 0), part("Bytes=0-0", 10_000), "the unit is case-insensitive");
        assertInstanceOf(Streaming.Unsatisfiable.class, Streaming.parse("bytes=10000-", 10_000));
        assertInstanceOf(Streaming.Unsatisfiable.class, Streaming.parse("bytes=-0", 10_000));
        assertInstanceOf(Streaming.Unsatisfiable.class, Streaming.parse("bytes=0-", 0), "no byte of an empty file");
        for (String ignored : new String[] {null, "", "bytes=", "bytes=-", "bytes=5-3", "bytes=a-b", "bytes=0-1,3-4", "pages=1-2", "bytes=1-2-3",
                "bytes=" + "1".repeat(300) + "-"}) {
            assertInstanceOf(Streaming.Whole.class, Streaming.parse(ignored, 10_000), String.valueOf(ignored));
        }
    }

    @Test
    void contentTypesNeverLetAFileRunScript() {
        assertEquals("audio/wav", Streaming.contentType("a/tone.WAV"));
        assertEquals("video/webm", Streaming.contentType("clip.webm"));
        for (String risky : new String[] {"x.html", "x.htm", "x.svg", "x.js", "x.xml", "x.xhtml", "noext", "dir.wav/file"}) {
            assertEquals("application/octet-stream", Streaming.contentType(risky), risky);
        }
    }

    @Test
    void uiTokensWorkOnceAndSessionsAreBounded() {
        Access a = new Access("t".repeat(64), new InetSocketAddress(InetAddress.getLoopbackAddress(), 4321));
        String token = a.newUiToken();
        assertTrue(a.redeemUiToken(token));
        assertFalse(a.redeemUiToken(token), "once");
        assertFalse(a.redeemUiToken("x".repeat(1000)));
        assertFalse(a.redeemUiToken(null));
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < Access.MAX_UI_TOKENS + 5; i++) tokens.add(a.newUiToken());
        assertEquals(Access.MAX_UI_TOKENS + 5, tokens.size());
        assertNotEquals(a.newSession(), a.newSession());
        assertTrue(a.isApiToken("t".repeat(64)));
        assertFalse(a.isApiToken("t".repeat(63)));
        assertEquals(Set.of("127.0.0.1:4321", "localhost:4321", "[::1]:4321"), a.hosts());
        Set<String> all = Access.hostsOf(new InetSocketAddress(4321));
        assertTrue(all.contains("127.0.0.1:4321") && all.size() >= 3, "bound to all: every interface address " + all);
    }
}
